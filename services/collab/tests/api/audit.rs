//! The audit log's hash chain: intact after real use, and broken at the
//! exact entry where a row was changed or removed.

use renkei_collab::app::ChainReport;
use renkei_kernel::settings::{Backend, BusMode};

use crate::TestApp;

async fn tampering_is_found(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    t.tenant("戸越銀座 佐藤精肉店", "sato.example.jp").await;
    let pool = t.app.db().pool();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entry")
        .fetch_one(pool)
        .await
        .expect("count");
    assert!(
        n > 10,
        "sign-ups, sign-ins, invitations and memberships were audited ({n})"
    );
    assert_eq!(
        t.app.audit_verify().await.expect("verify"),
        ChainReport::Intact(n)
    );

    sqlx::query("UPDATE audit_entry SET target = 'someone else' WHERE audit_seq = 5")
        .execute(pool)
        .await
        .expect("tamper");
    let altered = t.app.audit_verify().await.expect("verify");
    assert!(
        matches!(&altered, ChainReport::Broken(b) if b.to_string().starts_with("entry 5 was changed")),
        "{altered:?}"
    );

    sqlx::query("DELETE FROM audit_entry WHERE audit_seq <= 5")
        .execute(pool)
        .await
        .expect("remove");
    let gap = t.app.audit_verify().await.expect("verify");
    assert!(
        matches!(&gap, ChainReport::Broken(b) if b.to_string().starts_with("entry 6 follows entry 0")),
        "{gap:?}"
    );
}
renkei_kernel::on_each_engine!(
    the_audit_chain_verifies_and_names_the_first_altered_or_missing_entry,
    tampering_is_found
);
