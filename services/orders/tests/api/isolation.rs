//! Each side sees only its own orders: a third organisation, a token for
//! another organisation, a viewer and an app without the scope are refused,
//! and the refusals say nothing about the order.

use axum::http::StatusCode;
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};
use serde_json::{Value, json};

use crate::{TestApp, cycle_between, org};

async fn isolated(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler, other) = (org(), org(), org());
    t.partners(&shop, &wholesaler, false).await;
    t.partners(&other, &wholesaler, false).await;
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);
    let docs = cycle_between(&shop, &wholesaler);
    let created = t.send(&shop, &buyer, &docs[0]).await;
    let order_id = created.body["order_id"].as_str().expect("id").to_string();

    let stranger = t.token(&other, Role::Owner);
    let paths = [
        format!("/organisations/{other}/orders/{order_id}"),
        format!("/organisations/{other}/orders/{order_id}/documents/1"),
    ];
    for path in &paths {
        let r = t.get(path, &stranger).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body.to_string().contains(&shop), "{path} names nobody");
    }
    let list = t
        .get(&format!("/organisations/{other}/orders"), &stranger)
        .await;
    assert_eq!(list.body, Value::Array(vec![]));
    let thread = t
        .call(
            "PUT",
            &format!("/organisations/{other}/orders/{order_id}/thread"),
            &stranger,
            None,
            Some(&json!({"thread_id": uuid::Uuid::now_v7().to_string()})),
        )
        .await;
    assert_eq!(thread.status, StatusCode::NOT_FOUND);

    let foreign_path = t
        .get(
            &format!("/organisations/{shop}/orders/{order_id}"),
            &stranger,
        )
        .await;
    assert_eq!(
        foreign_path.status,
        StatusCode::NOT_FOUND,
        "a token acts only in its own organisation"
    );

    let as_other_buyer = cycle_between(&other, &wholesaler);
    let mut answer = as_other_buyer[3].clone();
    if let renkei_edi::Document::OrderResponse(r) = &mut answer {
        r.buyer.id = shop.clone();
        r.seller.id = other.clone();
    }
    let posing = t.send(&other, &stranger, &answer).await;
    assert_eq!(
        posing.status,
        StatusCode::NOT_FOUND,
        "only the order's seller answers it: {}",
        posing.body
    );

    let viewer = t.token(&wholesaler, Role::Viewer);
    let r = t.send(&wholesaler, &viewer, &docs[3]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "viewers read, members send"
    );
    assert_eq!(
        t.get(
            &format!("/organisations/{wholesaler}/orders/{order_id}"),
            &viewer
        )
        .await
        .status,
        StatusCode::OK
    );

    let reader = t.app_token(&wholesaler, "orders:read");
    assert_eq!(
        t.send(&wholesaler, &reader, &docs[3]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&format!("/organisations/{wholesaler}/orders"), &reader)
            .await
            .status,
        StatusCode::OK
    );
    let writer = t.app_token(&wholesaler, "orders:read orders:write");
    let r = t.send(&wholesaler, &writer, &docs[3]).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an app with orders:write answers: {}",
        r.body
    );

    let thread_id = uuid::Uuid::now_v7().to_string();
    let attached = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/orders/{order_id}/thread"),
            &buyer,
            None,
            Some(&json!({"thread_id": thread_id})),
        )
        .await;
    assert_eq!(attached.status, StatusCode::NO_CONTENT, "{}", attached.body);
    let seen = t
        .get(
            &format!("/organisations/{wholesaler}/orders/{order_id}"),
            &seller,
        )
        .await;
    assert_eq!(
        seen.body["thread_id"],
        thread_id.as_str(),
        "both sides find the thread"
    );
    assert_eq!(
        t.rows("purchase_order").await,
        1,
        "the stranger created nothing"
    );
}
renkei_kernel::on_each_engine!(each_side_sees_only_its_own_orders, isolated);
