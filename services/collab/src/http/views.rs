//! Request and response bodies of the collaboration API, with their
//! OpenAPI schemas. Every request body carries an example, which the docs
//! show and the tenant-isolation test sends.

use renkei_kernel::auth::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    app::{Invited, Me, TokenPair},
    db::access::{InvitationRow, MemberRow, MembershipRow, UserRow},
    domain::{
        Organisation, OrganisationKind,
        audit::AuditEntry,
        organisation::{Category, ProfileDraft, Site, SiteKind},
    },
};

/// Request to create an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "hanako@example.jp", "password": "梅の花が咲く三月です", "display_name": "山田 花子"}))]
pub struct SignUpRequest {
    /// Email address; the sign-in name.
    pub email: String,
    /// At least 10 characters, 5 of them different.
    pub password: String,
    /// Name shown to colleagues and partners.
    pub display_name: String,
}

/// Request to sign in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "hanako@example.jp", "password": "梅の花が咲く三月です"}))]
pub struct SignInRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Organisation to act in; default: your first.
    pub organisation_id: Option<String>,
}

/// Request to refresh (and optionally switch organisation).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q3V…"}))]
pub struct RefreshRequest {
    /// The current refresh token.
    pub refresh_token: String,
    /// Switch to this organisation.
    pub organisation_id: Option<String>,
}

/// Request to sign out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q3V…"}))]
pub struct SignOutRequest {
    /// The session's refresh token.
    pub refresh_token: String,
}

/// An account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Created (ms since the epoch).
    pub created_at_ms: i64,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            user_id: u.user_id,
            email: u.email,
            display_name: u.display_name,
            created_at_ms: u.created_at_ms,
        }
    }
}

/// Tokens after sign-in or refresh.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPairView {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use; exchange at `/auth/refresh` for the next pair.
    pub refresh_token: String,
    /// The user.
    pub user_id: String,
    /// The organisation the access token acts in.
    pub organisation_id: Option<String>,
    /// Your role there.
    pub role: Option<Role>,
}

impl From<TokenPair> for TokenPairView {
    fn from(p: TokenPair) -> Self {
        TokenPairView {
            access_token: p.access_token,
            token_type: "Bearer".into(),
            expires_in: p.expires_in,
            refresh_token: p.refresh_token,
            user_id: p.user_id,
            organisation_id: p.organisation_id,
            role: p.role,
        }
    }
}

/// How many sessions were ended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedOutView {
    /// Sessions ended.
    pub sessions_ended: u64,
}

/// The new signing key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyRotatedView {
    /// Its key id.
    pub kid: String,
}

/// An organisation the user belongs to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MembershipView {
    /// Organisation id.
    pub organisation_id: String,
    /// Role.
    pub role: Role,
}

/// One of the user's organisations, with its name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyOrganisationView {
    /// Organisation id.
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind.
    pub kind: OrganisationKind,
    /// Role.
    pub role: Role,
}

impl From<MembershipRow> for MyOrganisationView {
    fn from(m: MembershipRow) -> Self {
        MyOrganisationView {
            organisation_id: m.organisation_id,
            legal_name: m.legal_name,
            kind: m.kind,
            role: m.role,
        }
    }
}

/// The signed-in user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    /// Account.
    pub user: UserView,
    /// Organisations and roles.
    pub organisations: Vec<MyOrganisationView>,
    /// The organisation the token acts in.
    pub current_organisation_id: Option<String>,
}

impl From<Me> for MeView {
    fn from(m: Me) -> Self {
        MeView {
            user: m.user.into(),
            organisations: m.memberships.into_iter().map(Into::into).collect(),
            current_organisation_id: m.current_organisation_id,
        }
    }
}

/// Request to register an organisation or replace its profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "legal_name": "株式会社 山田製作所",
    "kind": "company",
    "prefecture_code": "13",
    "profile": {
        "category": "manufacturer",
        "legal_name_en": "Yamada Seisakusho Co., Ltd.",
        "legal_name_kana": "ヤマダセイサクショ",
        "corporate_number": "7000012050002",
        "invoice_registration_number": "T7000012050002",
        "municipality_code": "131016",
        "jsic_code": "E2422",
        "capital_yen": 30000000,
        "employees": 42,
        "sites": [{"kind": "plant", "name": "本社工場", "prefecture_code": "13", "latitude": "35.681236", "longitude": "139.767125"}]
    }
}))]
pub struct OrganisationCreate {
    /// Legal name as registered (Japanese allowed), 1–200 characters.
    pub legal_name: String,
    /// `company`, `municipality`, `supporter`, `it_vendor` or `platform_operator`.
    pub kind: String,
    /// JIS X 0401 prefecture code, `01`–`47`.
    pub prefecture_code: String,
    /// Everything else, all optional.
    #[serde(default)]
    pub profile: ProfileDraft,
}

/// A site as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SiteView {
    /// Id.
    pub site_id: String,
    /// Use.
    pub kind: SiteKind,
    /// Name.
    pub name: String,
    /// Prefecture code.
    pub prefecture_code: String,
    /// Municipality code.
    pub municipality_code: Option<String>,
    /// Street address.
    pub address_line: Option<String>,
    /// Latitude, decimal degrees.
    pub latitude: Option<String>,
    /// Longitude, decimal degrees.
    pub longitude: Option<String>,
}

impl From<Site> for SiteView {
    fn from(s: Site) -> Self {
        SiteView {
            site_id: s.site_id,
            kind: s.kind,
            name: s.name.as_str().to_string(),
            prefecture_code: s.prefecture.code(),
            municipality_code: s.municipality.map(|m| m.as_str().to_string()),
            address_line: s.address_line,
            latitude: s.coordinates.map(|c| c.lat_string()),
            longitude: s.coordinates.map(|c| c.lon_string()),
        }
    }
}

/// An organisation as the API shows it to its members.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationView {
    /// Id (also the tenant id).
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind.
    pub kind: OrganisationKind,
    /// JIS X 0401 prefecture code.
    pub prefecture_code: String,
    /// Prefecture name in Japanese.
    pub prefecture_name: String,
    /// Category within the kind.
    pub category: Option<Category>,
    /// English legal name.
    pub legal_name_en: Option<String>,
    /// Katakana reading.
    pub legal_name_kana: Option<String>,
    /// 法人番号.
    pub corporate_number: Option<String>,
    /// Qualified-invoice registration number.
    pub invoice_registration_number: Option<String>,
    /// JIS X 0402 municipality code.
    pub municipality_code: Option<String>,
    /// Street address.
    pub address_line: Option<String>,
    /// JSIC code.
    pub jsic_code: Option<String>,
    /// JSIC division name in Japanese.
    pub industry_name: Option<String>,
    /// Capital in yen.
    pub capital_yen: Option<i64>,
    /// Employees.
    pub employees: Option<i64>,
    /// For companies: `sme`, `not_sme` or `unknown` under the SME Basic Act.
    pub sme_status: Option<String>,
    /// Shopping district.
    pub shopping_district: Option<String>,
    /// Sites.
    pub sites: Vec<SiteView>,
    /// Registration time in milliseconds since the Unix epoch (UTC).
    pub created_at_ms: i64,
    /// Last profile change (ms).
    pub updated_at_ms: i64,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        let sme_status = o.profile.sme_status(o.kind).map(|s| s.as_str().to_string());
        let p = o.profile;
        OrganisationView {
            organisation_id: o.organisation_id,
            legal_name: o.legal_name.as_str().to_string(),
            kind: o.kind,
            prefecture_code: o.prefecture.code(),
            prefecture_name: o.prefecture.name_ja().to_string(),
            category: p.category,
            legal_name_en: p.legal_name_en.map(|n| n.as_str().to_string()),
            legal_name_kana: p.legal_name_kana.map(|n| n.as_str().to_string()),
            corporate_number: p.corporate_number.map(|n| n.as_str().to_string()),
            invoice_registration_number: p
                .invoice_registration_number
                .map(|n| n.as_str().to_string()),
            municipality_code: p.municipality.map(|m| m.as_str().to_string()),
            address_line: p.address_line,
            industry_name: p.jsic.as_ref().map(|j| j.division_name_ja().to_string()),
            jsic_code: p.jsic.map(|j| j.as_str().to_string()),
            capital_yen: p.capital_yen,
            employees: p.employees,
            sme_status,
            shopping_district: p.shopping_district,
            sites: p.sites.into_iter().map(SiteView::from).collect(),
            created_at_ms: o.created_at_ms,
            updated_at_ms: o.updated_at_ms,
        }
    }
}

/// A member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
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

impl From<MemberRow> for MemberView {
    fn from(m: MemberRow) -> Self {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            since_ms: m.since_ms,
        }
    }
}

/// Request to change a member's role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "viewer"}))]
pub struct RoleChange {
    /// The new role.
    pub role: Role,
}

/// Request to invite someone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jiro@example.jp", "role": "member"}))]
pub struct InvitationCreate {
    /// Their email address.
    pub email: String,
    /// Role they get on accepting.
    pub role: Role,
}

/// Request to accept an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "Zx8…"}))]
pub struct InvitationAccept {
    /// The token the inviter passed on.
    pub token: String,
}

/// An invitation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationView {
    /// Id.
    pub invitation_id: String,
    /// Organisation.
    pub organisation_id: String,
    /// Invited email.
    pub email: String,
    /// Role on acceptance.
    pub role: Role,
    /// `open`, `accepted`, `revoked` or `expired`.
    pub status: String,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Expires (ms).
    pub expires_at_ms: i64,
}

impl From<InvitationRow> for InvitationView {
    fn from(i: InvitationRow) -> Self {
        let status = if i.accepted_at_ms.is_some() {
            "accepted"
        } else if i.revoked_at_ms.is_some() {
            "revoked"
        } else if i.expires_at_ms <= renkei_kernel::storage::now_ms() {
            "expired"
        } else {
            "open"
        };
        InvitationView {
            invitation_id: i.invitation_id,
            organisation_id: i.organisation_id,
            email: i.email,
            role: i.role,
            status: status.into(),
            created_at_ms: i.created_at_ms,
            expires_at_ms: i.expires_at_ms,
        }
    }
}

/// A new invitation with its one-time token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationCreated {
    /// The invitation.
    pub invitation: InvitationView,
    /// Pass this to the invitee; it is not shown again.
    pub token: String,
}

impl From<Invited> for InvitationCreated {
    fn from(i: Invited) -> Self {
        InvitationCreated {
            invitation: i.invitation.into(),
            token: i.token,
        }
    }
}

/// An audit entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    /// Position in the chain.
    pub seq: i64,
    /// When (ms).
    pub at_ms: i64,
    /// `user`, `app`, `system` or `anonymous`.
    pub actor_kind: String,
    /// Who.
    pub actor_id: String,
    /// What happened.
    pub action: String,
    /// To what.
    pub target: String,
    /// From where.
    pub client_addr: String,
    /// Further facts.
    pub detail: serde_json::Value,
    /// This entry's hash.
    pub entry_hash: String,
    /// The previous entry's hash.
    pub prev_hash: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            seq: e.seq,
            at_ms: e.at_ms,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            action: e.action,
            target: e.target,
            client_addr: e.client_addr,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            entry_hash: e.entry_hash,
            prev_hash: e.prev_hash,
        }
    }
}
