//! Queries for people and access: accounts, memberships, invitations,
//! sign-in sessions and their refresh tokens, lockout counters and signing keys.

use renkei_kernel::{auth::Role, storage::Conn};

use super::corrupt;
use crate::domain::{Invalid, OrganisationKind};

fn role(raw: &str) -> Result<Role, sqlx::Error> {
    Role::parse(raw).ok_or_else(|| {
        corrupt(Invalid {
            field: "role".into(),
            reason: format!("`{raw}` is not a role"),
        })
    })
}

/// An account as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Id.
    pub user_id: String,
    /// Email (lower-case).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Created at (ms).
    pub created_at_ms: i64,
}

type UserTuple = (String, String, String, String, i64);

fn user_from((user_id, email, display_name, password_hash, created_at_ms): UserTuple) -> UserRow {
    UserRow {
        user_id,
        email,
        display_name,
        password_hash,
        created_at_ms,
    }
}

/// Inserts an account; a taken email fails with a unique violation.
pub async fn user_insert(conn: &mut Conn, u: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_account (user_id, email, display_name, password_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&u.user_id)
    .bind(&u.email)
    .bind(&u.display_name)
    .bind(&u.password_hash)
    .bind(u.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An account by email.
pub async fn user_by_email(conn: &mut Conn, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let row: Option<UserTuple> = sqlx::query_as(
        "SELECT user_id, email, display_name, password_hash, created_at_ms \
         FROM user_account WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(user_from))
}

/// An account by id.
pub async fn user_get(conn: &mut Conn, user_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let row: Option<UserTuple> = sqlx::query_as(
        "SELECT user_id, email, display_name, password_hash, created_at_ms \
         FROM user_account WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(user_from))
}

/// Adds a member.
pub async fn membership_insert(
    conn: &mut Conn,
    organisation_id: &str,
    user_id: &str,
    role: Role,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership (organisation_id, user_id, role, created_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(organisation_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The user's role in the organisation, if a member.
pub async fn membership_role(
    conn: &mut Conn,
    organisation_id: &str,
    user_id: &str,
) -> Result<Option<Role>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM membership WHERE organisation_id = $1 AND user_id = $2")
            .bind(organisation_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(r,)| role(&r)).transpose()
}

/// Changes a member's role.
pub async fn membership_set_role(
    conn: &mut Conn,
    organisation_id: &str,
    user_id: &str,
    new_role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE membership SET role = $3 WHERE organisation_id = $1 AND user_id = $2")
        .bind(organisation_id)
        .bind(user_id)
        .bind(new_role.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes a member.
pub async fn membership_delete(
    conn: &mut Conn,
    organisation_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM membership WHERE organisation_id = $1 AND user_id = $2")
        .bind(organisation_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many owners the organisation has.
pub async fn owner_count(conn: &mut Conn, organisation_id: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM membership WHERE organisation_id = $1 AND role = 'owner'",
    )
    .bind(organisation_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}

/// A member of an organisation.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Member since (ms).
    pub since_ms: i64,
}

/// Every member of an organisation, owners first.
pub async fn members(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.user_id, u.email, u.display_name, m.role, m.created_at_ms \
         FROM membership m JOIN user_account u ON u.user_id = m.user_id \
         WHERE m.organisation_id = $1 ORDER BY m.created_at_ms, u.email",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut members = rows
        .into_iter()
        .map(|(user_id, email, display_name, r, since_ms)| {
            Ok(MemberRow {
                user_id,
                email,
                display_name,
                role: role(&r)?,
                since_ms,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    members.sort_by_key(|m| m.role);
    Ok(members)
}

/// An organisation a user belongs to.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    /// Organisation id.
    pub organisation_id: String,
    /// Its legal name.
    pub legal_name: String,
    /// Its kind.
    pub kind: OrganisationKind,
    /// The user's role.
    pub role: Role,
}

/// The organisations a user belongs to, oldest membership first.
pub async fn memberships_of(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT o.organisation_id, o.legal_name, o.kind, m.role \
         FROM membership m JOIN organisation o ON o.organisation_id = m.organisation_id \
         WHERE m.user_id = $1 ORDER BY m.created_at_ms, o.organisation_id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(organisation_id, legal_name, kind, r)| {
            Ok(MembershipRow {
                organisation_id,
                legal_name,
                kind: OrganisationKind::parse("kind", &kind).map_err(corrupt)?,
                role: role(&r)?,
            })
        })
        .collect()
}

/// An invitation as stored.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    /// Id.
    pub invitation_id: String,
    /// Organisation.
    pub organisation_id: String,
    /// Invited address.
    pub email: String,
    /// Role on acceptance.
    pub role: Role,
    /// Inviting user.
    pub invited_by: String,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Expires (ms).
    pub expires_at_ms: i64,
    /// Accepted (ms).
    pub accepted_at_ms: Option<i64>,
    /// Revoked (ms).
    pub revoked_at_ms: Option<i64>,
}

type InvitationTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

const INVITATION_COLUMNS: &str = "invitation_id, organisation_id, email, role, invited_by, \
     created_at_ms, expires_at_ms, accepted_at_ms, revoked_at_ms";

fn invitation_from(t: InvitationTuple) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        invitation_id: t.0,
        organisation_id: t.1,
        email: t.2,
        role: role(&t.3)?,
        invited_by: t.4,
        created_at_ms: t.5,
        expires_at_ms: t.6,
        accepted_at_ms: t.7,
        revoked_at_ms: t.8,
    })
}

/// Stores an invitation with the hash of its token.
pub async fn invitation_insert(
    conn: &mut Conn,
    i: &InvitationRow,
    token_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO invitation (invitation_id, organisation_id, email, role, token_hash, invited_by, \
         created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&i.invitation_id)
    .bind(&i.organisation_id)
    .bind(&i.email)
    .bind(i.role.as_str())
    .bind(token_hash)
    .bind(&i.invited_by)
    .bind(i.created_at_ms)
    .bind(i.expires_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The invitation a token opens.
pub async fn invitation_by_token(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let row: Option<InvitationTuple> = sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(invitation_from).transpose()
}

/// One invitation of an organisation.
pub async fn invitation_get(
    conn: &mut Conn,
    organisation_id: &str,
    invitation_id: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let row: Option<InvitationTuple> = sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE organisation_id = $1 AND invitation_id = $2"
    ))
    .bind(organisation_id)
    .bind(invitation_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(invitation_from).transpose()
}

/// The organisation's invitations, newest first.
pub async fn invitations(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let rows: Vec<InvitationTuple> = sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE organisation_id = $1 \
         ORDER BY created_at_ms DESC, invitation_id"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(invitation_from).collect()
}

/// Marks an open invitation accepted; false if it was no longer open.
pub async fn invitation_accept(
    conn: &mut Conn,
    invitation_id: &str,
    user_id: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invitation SET accepted_at_ms = $3, accepted_by = $2 \
         WHERE invitation_id = $1 AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL",
    )
    .bind(invitation_id)
    .bind(user_id)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes an open invitation; false if it was no longer open.
pub async fn invitation_revoke(
    conn: &mut Conn,
    invitation_id: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invitation SET revoked_at_ms = $2 \
         WHERE invitation_id = $1 AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL",
    )
    .bind(invitation_id)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A sign-in session (refresh-token family).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Id.
    pub session_id: String,
    /// Its user.
    pub user_id: String,
    /// The organisation it currently acts in.
    pub organisation_id: Option<String>,
    /// Ends (ms) unless refreshed.
    pub expires_at_ms: i64,
    /// Revoked (ms).
    pub revoked_at_ms: Option<i64>,
}

/// Starts a session.
pub async fn session_insert(
    conn: &mut Conn,
    s: &SessionRow,
    at_ms: i64,
    client_addr: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_session (session_id, user_id, organisation_id, created_at_ms, \
         last_used_at_ms, expires_at_ms, client_addr) VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(&s.session_id)
    .bind(&s.user_id)
    .bind(s.organisation_id.as_deref())
    .bind(at_ms)
    .bind(s.expires_at_ms)
    .bind(client_addr)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One session.
pub async fn session_get(
    conn: &mut Conn,
    session_id: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT session_id, user_id, organisation_id, expires_at_ms, revoked_at_ms \
         FROM user_session WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Records a refresh: the organisation it now acts in and its new end.
pub async fn session_touch(
    conn: &mut Conn,
    session_id: &str,
    organisation_id: Option<&str>,
    at_ms: i64,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE user_session SET organisation_id = $2, last_used_at_ms = $3, expires_at_ms = $4 \
         WHERE session_id = $1",
    )
    .bind(session_id)
    .bind(organisation_id)
    .bind(at_ms)
    .bind(expires_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Revokes one session; false if it already was.
pub async fn session_revoke(
    conn: &mut Conn,
    session_id: &str,
    reason: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE user_session SET revoked_at_ms = $3, revoked_reason = $2 \
         WHERE session_id = $1 AND revoked_at_ms IS NULL",
    )
    .bind(session_id)
    .bind(reason)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every open session of a user; returns how many.
pub async fn sessions_revoke_user(
    conn: &mut Conn,
    user_id: &str,
    reason: &str,
    at_ms: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE user_session SET revoked_at_ms = $3, revoked_reason = $2 \
         WHERE user_id = $1 AND revoked_at_ms IS NULL",
    )
    .bind(user_id)
    .bind(reason)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Stores a new refresh token of a session.
pub async fn refresh_insert(
    conn: &mut Conn,
    token_hash: &str,
    session_id: &str,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_token (token_hash, session_id, issued_at_ms) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(session_id)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The session a refresh token belongs to, and whether it was spent.
pub async fn refresh_get(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<(String, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("SELECT session_id, used_at_ms FROM refresh_token WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await
}

/// Spends a refresh token; false if it was already spent.
pub async fn refresh_spend(
    conn: &mut Conn,
    token_hash: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE refresh_token SET used_at_ms = $2 WHERE token_hash = $1 AND used_at_ms IS NULL",
    )
    .bind(token_hash)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Until when an email is locked (ms), if it is.
pub async fn locked_until(conn: &mut Conn, email: &str) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT locked_until_ms FROM sign_in_attempt WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(t,)| t))
}

/// Counts a failed sign-in; after `max` in a row the email is locked until
/// `lock_until_ms` and the count starts again. Returns whether this failure
/// locked it.
pub async fn sign_in_failed(
    conn: &mut Conn,
    email: &str,
    max: u32,
    at_ms: i64,
    lock_until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let (failures,): (i64,) = sqlx::query_as(
        "INSERT INTO sign_in_attempt (email, failures, last_failure_at_ms, locked_until_ms) \
         VALUES ($1, 1, $2, 0) \
         ON CONFLICT (email) DO UPDATE SET failures = sign_in_attempt.failures + 1, \
         last_failure_at_ms = $2 RETURNING failures",
    )
    .bind(email)
    .bind(at_ms)
    .fetch_one(&mut *conn)
    .await?;
    if failures >= i64::from(max) {
        sqlx::query(
            "UPDATE sign_in_attempt SET failures = 0, locked_until_ms = $2 WHERE email = $1",
        )
        .bind(email)
        .bind(lock_until_ms)
        .execute(&mut *conn)
        .await?;
        return Ok(true);
    }
    Ok(false)
}

/// Forgets the failures of an email after a successful sign-in.
pub async fn sign_in_succeeded(conn: &mut Conn, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_attempt WHERE email = $1")
        .bind(email)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores a new signing key.
pub async fn key_insert(
    conn: &mut Conn,
    kid: &str,
    seed_b64: &str,
    public_x: &str,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_key (kid, seed_b64, public_x, created_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(kid)
    .bind(seed_b64)
    .bind(public_x)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The key that signs now: the newest one not retired.
pub async fn key_current(conn: &mut Conn) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kid, seed_b64 FROM signing_key WHERE retired_at_ms IS NULL \
         ORDER BY created_at_ms DESC, kid DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Retires every key but `kid`.
pub async fn keys_retire_others(conn: &mut Conn, kid: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE signing_key SET retired_at_ms = $2 WHERE kid <> $1 AND retired_at_ms IS NULL",
    )
    .bind(kid)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keys to publish at `at_ms`: unretired ones, and retired ones that may
/// still have signed an unexpired token (retired after `at_ms - keep_ms`).
pub async fn keys_published(
    conn: &mut Conn,
    at_ms: i64,
    keep_ms: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kid, public_x FROM signing_key \
         WHERE retired_at_ms IS NULL OR retired_at_ms > $1 ORDER BY created_at_ms DESC, kid DESC",
    )
    .bind(at_ms - keep_ms)
    .fetch_all(&mut *conn)
    .await
}
