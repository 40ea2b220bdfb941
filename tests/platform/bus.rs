//! An event written in one service's transaction (collab registers an
//! organisation) reaches a consumer in another service (insights' regional
//! directory) exactly once in effect — on the local bus and on Kafka, on
//! SQLite and PostgreSQL — across a consumer crash and a full redelivery.

use std::{sync::Arc, time::Duration};

use renkei_collab::domain::NewOrganisation;
use renkei_insights::events::RegionalDirectory;
use renkei_kernel::{
    Db,
    bus::Handler,
    service::Context,
    settings::{Backend, BusMode},
    testing,
};
use tokio_util::sync::CancellationToken;

const DEADLINE: Duration = Duration::from_secs(90);

async fn counted(db: &Db) -> i64 {
    let (total,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(organisations), 0) AS BIGINT) FROM region_count")
            .fetch_one(db.pool())
            .await
            .expect("read region_count");
    total
}

async fn wait_for_count(db: &Db, expected: i64, phase: &str) {
    let reached = testing::eventually(DEADLINE, || async {
        (counted(db).await == expected).then_some(())
    })
    .await;
    assert!(
        reached.is_some(),
        "{phase}: the regional directory counts {} organisations, expected {expected}",
        counted(db).await
    );
}

async fn register(collab: &renkei_collab::app::App, from: usize, n: usize) {
    let email = "bus-test@example.jp";
    let user_id = match collab.user_by_email(email).await.expect("lookup") {
        Some(user) => user.user_id,
        None => {
            let sign_up = renkei_collab::app::SignUp::parse(email, "queue-relay-2026", "試験")
                .expect("valid sign-up");
            collab
                .sign_up(sign_up, "test")
                .await
                .expect("signed up")
                .user_id
        }
    };
    let caller = renkei_kernel::auth::Caller {
        principal: renkei_kernel::auth::Principal {
            kind: renkei_kernel::auth::PrincipalKind::User,
            subject: user_id,
            organisation_id: None,
            role: None,
            scopes: Vec::new(),
            session_id: None,
        },
        client_addr: "test".into(),
    };
    for i in from..from + n {
        let input = NewOrganisation::parse(
            &format!("テスト商店 {i}"),
            "company",
            "13",
            &Default::default(),
        )
        .expect("valid input");
        collab
            .organisation_register(&caller, input, &format!("org-{i}"), None)
            .await
            .expect("registered");
    }
}

async fn exactly_once_across_a_crash(backend: Backend, bus: BusMode) {
    let Some((settings, _dir)) = testing::settings(backend, bus).await else {
        return;
    };
    let ctx = Context::new(settings);
    let collab = renkei_collab::start(&ctx).await.expect("collab starts");
    let insights_db = ctx
        .migrate(renkei_insights::NAME, &renkei_insights::migrations())
        .await
        .expect("insights migrates");
    let handler: Arc<dyn Handler> = Arc::new(RegionalDirectory);
    let name = handler.name().to_string();

    // A consumer runs while events arrive.
    let first = ctx
        .bus
        .spawn_consumer(
            handler.clone(),
            insights_db.clone(),
            CancellationToken::new(),
        )
        .await
        .expect("consumer starts");
    register(&collab, 0, 10).await;
    wait_for_count(&insights_db, 10, "before the crash").await;

    // It crashes (its tasks are killed, nothing is flushed) while more arrive.
    register(&collab, 10, 10).await;
    for task in first {
        task.abort();
    }
    register(&collab, 20, 5).await;

    // A new consumer with the same name picks up where the old one left off.
    let stop_second = CancellationToken::new();
    let second = ctx
        .bus
        .spawn_consumer(handler.clone(), insights_db.clone(), stop_second.clone())
        .await
        .expect("consumer restarts");
    wait_for_count(&insights_db, 25, "after the restart").await;
    stop_second.cancel();
    for task in second {
        task.await.expect("consumer stops cleanly");
    }

    // Everything is delivered again from the beginning: no effect may double.
    let before = ctx.bus.outcomes(&name);
    let replay = CancellationToken::new();
    let tasks = match bus {
        BusMode::Local => {
            sqlx::query("DELETE FROM consumer_offset")
                .execute(insights_db.pool())
                .await
                .expect("reset position");
            ctx.bus
                .spawn_consumer(handler.clone(), insights_db.clone(), replay.clone())
                .await
        }
        BusMode::Kafka => {
            ctx.bus
                .spawn_consumer_in_group(
                    handler.clone(),
                    insights_db.clone(),
                    replay.clone(),
                    &format!("replay-{}", uuid::Uuid::new_v4().simple()),
                )
                .await
        }
    }
    .expect("replaying consumer starts");
    let replayed = testing::eventually(DEADLINE, || async {
        let now = ctx.bus.outcomes(&name);
        (now.duplicate - before.duplicate >= 25).then_some(now)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "redelivery did not reach the consumer: {:?}",
            ctx.bus.outcomes(&name)
        )
    });
    replay.cancel();
    for task in tasks {
        task.await.expect("consumer stops cleanly");
    }

    assert_eq!(
        replayed.applied, before.applied,
        "redelivery applied nothing new"
    );
    // The in-memory outcome counts can miss an effect whose task was killed
    // between its commit and the count, so exactly-once is judged by the
    // consumer's own database: 25 events, 25 effects, 25 processed ids.
    assert_eq!(counted(&insights_db).await, 25, "{replayed:?}");
    let (processed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM processed_event WHERE consumer = $1")
            .bind(&name)
            .fetch_one(insights_db.pool())
            .await
            .expect("count processed");
    assert_eq!(processed, 25);
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE published_at_ms IS NULL")
            .fetch_one(collab.db().pool())
            .await
            .expect("count unpublished");
    assert_eq!(left, 0, "the relay moved every committed event");

    ctx.shutdown.cancel();
    ctx.join().await;
}

renkei_kernel::on_each_engine_and_bus!(
    an_event_reaches_another_service_exactly_once_across_a_consumer_crash,
    exactly_once_across_a_crash
);

async fn events_keep_tenant_keys(backend: Backend, bus: BusMode) {
    let Some((settings, _dir)) = testing::settings(backend, bus).await else {
        return;
    };
    let ctx = Context::new(settings);
    let collab = renkei_collab::start(&ctx).await.expect("collab starts");
    register(&collab, 0, 3).await;
    let mut conn = collab.db().acquire().await.expect("connection");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT tenant_id, event_key FROM outbox ORDER BY outbox_id")
            .fetch_all(&mut *conn)
            .await
            .expect("read outbox");
    assert_eq!(rows.len(), 3);
    for (tenant, key) in rows {
        assert!(
            key.starts_with(&tenant),
            "key {key} must start with tenant {tenant}"
        );
        let history = renkei_kernel::events::tenant_history(&mut conn, &tenant, 0, 10)
            .await
            .expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].1.event_type, "collab.organisation.registered");
    }
    drop(conn);
    ctx.shutdown.cancel();
    ctx.join().await;
}

renkei_kernel::on_each_engine_and_bus!(every_event_is_keyed_by_its_tenant, events_keep_tenant_keys);

/// Fails for good on the event of the organisation named 毒; records every
/// other event it applies in a row whose key refuses a second insert, so an
/// event applied twice would fail the run instead of passing unnoticed.
struct Poisoned;

impl Handler for Poisoned {
    fn name(&self) -> &str {
        "test.poisoned"
    }

    fn sources(&self) -> Vec<String> {
        vec!["collab".into()]
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == "collab.organisation.registered"
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut renkei_kernel::storage::Conn,
        event: &'a renkei_kernel::events::Envelope,
    ) -> futures::future::BoxFuture<'a, Result<(), renkei_kernel::bus::HandlerError>> {
        Box::pin(async move {
            let registered: renkei_kernel::events::proto::OrganisationRegistered =
                event.payload_as()?;
            if registered.legal_name.contains('毒') {
                return Err(renkei_kernel::bus::HandlerError::Permanent(
                    "poisoned on purpose".into(),
                ));
            }
            sqlx::query(
                "INSERT INTO consumer_offset (consumer, source, position) VALUES ('test.effect', $1, 1)",
            )
            .bind(&event.event_id)
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
    }
}

/// On the local bus a run of events is applied in one transaction; one
/// event that fails for good rolls the run back, and the run is applied
/// again one by one: that event alone is set aside, every other one takes
/// effect once.
async fn one_poisoned_event_in_a_run(backend: Backend, bus: BusMode) {
    let Some((settings, _dir)) = testing::settings(backend, bus).await else {
        return;
    };
    let ctx = Context::new(settings);
    let collab = renkei_collab::start(&ctx).await.expect("collab starts");
    let db = ctx
        .open(renkei_insights::NAME, &renkei_insights::migrations())
        .await
        .expect("a consumer database");
    register(&collab, 0, 3).await;
    let owner = collab
        .user_by_email("bus-test@example.jp")
        .await
        .expect("lookup")
        .expect("the user");
    let caller = renkei_kernel::auth::Caller {
        principal: renkei_kernel::auth::Principal {
            kind: renkei_kernel::auth::PrincipalKind::User,
            subject: owner.user_id,
            organisation_id: None,
            role: None,
            scopes: Vec::new(),
            session_id: None,
        },
        client_addr: "test".into(),
    };
    let poison = NewOrganisation::parse("毒見商店", "company", "13", &Default::default())
        .expect("valid input");
    collab
        .organisation_register(&caller, poison, "org-poison", None)
        .await
        .expect("registered");
    register(&collab, 3, 3).await;
    ctx.consume(Arc::new(Poisoned), &db)
        .await
        .expect("consumer");

    let seen = testing::eventually(DEADLINE, || async {
        let o = ctx.bus.outcomes("test.poisoned");
        (o.applied + o.dead_lettered >= 7).then_some(o)
    })
    .await
    .expect("the consumer goes through every event");
    assert_eq!(seen.dead_lettered, 1, "{seen:?}");
    assert_eq!(seen.applied, 6, "{seen:?}");
    let (effects,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM consumer_offset WHERE consumer = 'test.effect'")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(effects, 6, "every other event took effect once");
    let (set_aside,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM dead_letter WHERE consumer = 'test.poisoned'")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(set_aside, 1);
    ctx.shutdown.cancel();
    ctx.join().await;
}

renkei_kernel::on_each_engine!(
    a_poisoned_event_is_set_aside_alone_and_the_rest_apply_once,
    one_poisoned_event_in_a_run
);
