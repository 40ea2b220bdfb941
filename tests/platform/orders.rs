//! The order service working with collab over the bus, as `renkei up` and
//! `renkei serve` run them: a partnership accepted in collab lets orders
//! accept an order between the two, and the order's events reach collab's
//! webhook fan-out — on the local bus and on Kafka, on SQLite and PostgreSQL.

use std::time::Duration;

use renkei_collab::{
    app::Proposal,
    domain::{
        NewOrganisation,
        partnership::{PartnershipAction, PartnershipKind},
    },
};
use renkei_edi::{Document, samples};
use renkei_kernel::{
    auth::{Caller, Principal, PrincipalKind, Role},
    service::Context,
    settings::{Backend, BusMode},
    testing,
};
use renkei_orders::app::{AppError, Submission};

const DEADLINE: Duration = Duration::from_secs(90);

/// A new user owning a new company, and a caller acting in it.
pub(crate) async fn owner(
    collab: &renkei_collab::app::App,
    email: &str,
    name: &str,
) -> (String, Caller) {
    let sign_up = renkei_collab::app::SignUp::parse(email, "order-cycle-2026", "試験 太郎")
        .expect("valid sign-up");
    let user_id = collab
        .sign_up(sign_up, "test")
        .await
        .expect("signed up")
        .user_id;
    let mut caller = Caller {
        principal: Principal {
            kind: PrincipalKind::User,
            subject: user_id,
            organisation_id: None,
            role: None,
            scopes: Vec::new(),
            session_id: None,
        },
        client_addr: "test".into(),
    };
    let input = NewOrganisation::parse(name, "company", "13", &Default::default())
        .expect("valid organisation");
    let (organisation, _) = collab
        .organisation_register(&caller, input, &format!("register-{email}"), None)
        .await
        .expect("registered");
    caller.principal.organisation_id = Some(organisation.organisation_id.clone());
    caller.principal.role = Some(Role::Owner);
    (organisation.organisation_id, caller)
}

fn between(document: Document, buyer: &str, seller: &str) -> Document {
    let mut document = document;
    let (b, s) = document.parties_mut();
    b.id = buyer.to_string();
    s.id = seller.to_string();
    document
}

async fn order_over_the_bus(backend: Backend, bus: BusMode) {
    let Some((settings, _dir)) = testing::settings(backend, bus).await else {
        return;
    };
    let ctx = Context::new(settings);
    let collab = renkei_collab::start(&ctx).await.expect("collab starts");
    let orders = renkei_orders::start(&ctx, collab.verifier().clone())
        .await
        .expect("orders starts");
    renkei_collab::follow(&ctx, &collab, &[renkei_orders::NAME])
        .await
        .expect("webhooks follow orders");

    let (shop, shop_caller) =
        owner(&collab, "shop@togoshi.example.jp", "戸越銀座 青果まるやま").await;
    let (wholesaler, wholesaler_caller) =
        owner(&collab, "sales@shinagawa.example.jp", "品川中央卸 株式会社").await;
    let order = between(Document::Order(samples::order()), &shop, &wholesaler);
    let submit = |caller: &Caller, org: &str, document: &Document, key: &str| {
        let submission = Submission {
            document: document.clone(),
            channel: renkei_orders::domain::Channel::Api,
            idempotency_key: key.to_string(),
        };
        let (orders, caller, org) = (orders.clone(), caller.clone(), org.to_string());
        async move { orders.submit(&caller, &org, submission).await }
    };

    let early = submit(&shop_caller, &shop, &order, "po-early").await;
    assert!(
        matches!(early, Err(AppError::NotPartners(_))),
        "no partnership yet: {early:?}"
    );

    let proposal = Proposal {
        counterparty_id: shop.clone(),
        kind: PartnershipKind::BuyerSupplier,
        proposer_buys: false,
        note: None,
    };
    let partnership = collab
        .partnership_propose(&wholesaler_caller, &wholesaler, proposal)
        .await
        .expect("proposed");
    collab
        .partnership_act(
            &shop_caller,
            &shop,
            &partnership.partnership_id,
            PartnershipAction::Accept,
        )
        .await
        .expect("accepted");

    let sent = testing::eventually(DEADLINE, || async {
        submit(&shop_caller, &shop, &order, "po-0001").await.ok()
    })
    .await
    .expect("orders learns of the partnership from collab's events and takes the order");
    let response = between(
        Document::OrderResponse(samples::order_response()),
        &shop,
        &wholesaler,
    );
    let answered = submit(&wholesaler_caller, &wholesaler, &response, "rsp-0001")
        .await
        .expect("the wholesaler answers");
    assert_eq!(answered.order_id, sent.order_id);
    let view = orders
        .order(&shop_caller, &shop, &sent.order_id)
        .await
        .expect("the shop sees it");
    assert_eq!(
        view.partnership_id, partnership.partnership_id,
        "the partnership is recorded on the order"
    );

    let delivered = testing::eventually(DEADLINE, || async {
        let seen = ctx.bus.outcomes("collab.webhooks.orders");
        (seen.applied >= 2).then_some(seen)
    })
    .await;
    assert!(
        delivered.is_some(),
        "collab's webhook fan-out reads both orders events: {:?}",
        ctx.bus.outcomes("collab.webhooks.orders")
    );
    ctx.shutdown.cancel();
    ctx.join().await;
}
renkei_kernel::on_each_engine_and_bus!(
    an_order_between_partners_accepted_in_collab_flows_over_the_bus,
    order_over_the_bus
);
