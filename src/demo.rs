//! The demo region loaded by `renkei up --demo`: shops in three shopping
//! districts, a wholesaler, manufacturers and suppliers in two regions, a
//! municipality, a bank, an IT vendor and the platform operator, each with an
//! owner account, and one shop with a colleague in every other role.
//! Loading twice changes nothing: accounts are found by email, organisations
//! are registered under their owner's idempotency key, and invitations that
//! were already accepted are skipped.

use renkei_collab::{
    app::{App, AppError, Invite, SignUp},
    domain::{
        NewOrganisation,
        account::Email,
        organisation::{Category, ProfileDraft},
    },
};
use renkei_kernel::auth::{Caller, Principal, PrincipalKind, Role};

/// The password of every demo account (printed at start-up).
pub const PASSWORD: &str = "renkei-demo-2026";

struct DemoOrganisation {
    name: &'static str,
    kind: &'static str,
    category: Option<Category>,
    prefecture: &'static str,
    municipality: Option<&'static str>,
    jsic: Option<&'static str>,
    district: Option<&'static str>,
    owner: &'static str,
}

const fn org(
    name: &'static str,
    kind: &'static str,
    category: Option<Category>,
    prefecture: &'static str,
    municipality: Option<&'static str>,
    jsic: Option<&'static str>,
    district: Option<&'static str>,
    owner: &'static str,
) -> DemoOrganisation {
    DemoOrganisation {
        name,
        kind,
        category,
        prefecture,
        municipality,
        jsic,
        district,
        owner,
    }
}

const SHOP: Option<Category> = Some(Category::Shop);
const MAKER: Option<Category> = Some(Category::Manufacturer);

const ORGANISATIONS: &[DemoOrganisation] = &[
    org(
        "戸越銀座 青木青果店",
        "company",
        SHOP,
        "13",
        Some("131091"),
        Some("I58"),
        Some("戸越銀座商店街"),
        "aoki@togoshi.demo.renkei.jp",
    ),
    org(
        "戸越銀座 佐藤精肉店",
        "company",
        SHOP,
        "13",
        Some("131091"),
        Some("I58"),
        Some("戸越銀座商店街"),
        "sato@togoshi.demo.renkei.jp",
    ),
    org(
        "戸越銀座 鈴木酒店",
        "company",
        SHOP,
        "13",
        Some("131091"),
        Some("I58"),
        Some("戸越銀座商店街"),
        "suzuki@togoshi.demo.renkei.jp",
    ),
    org(
        "元町 高橋ベーカリー",
        "company",
        SHOP,
        "14",
        Some("141046"),
        Some("I58"),
        Some("元町商店街"),
        "takahashi@motomachi.demo.renkei.jp",
    ),
    org(
        "元町 田中雑貨店",
        "company",
        SHOP,
        "14",
        Some("141046"),
        Some("I60"),
        Some("元町商店街"),
        "tanaka@motomachi.demo.renkei.jp",
    ),
    org(
        "元町 伊藤茶舗",
        "company",
        SHOP,
        "14",
        Some("141046"),
        Some("I58"),
        Some("元町商店街"),
        "ito@motomachi.demo.renkei.jp",
    ),
    org(
        "大須 渡辺電器",
        "company",
        SHOP,
        "23",
        Some("231061"),
        Some("I59"),
        Some("大須商店街"),
        "watanabe@osu.demo.renkei.jp",
    ),
    org(
        "大須 山本呉服店",
        "company",
        SHOP,
        "23",
        Some("231061"),
        Some("I57"),
        Some("大須商店街"),
        "yamamoto@osu.demo.renkei.jp",
    ),
    org(
        "大須 中村乾物店",
        "company",
        SHOP,
        "23",
        Some("231061"),
        Some("I58"),
        Some("大須商店街"),
        "nakamura@osu.demo.renkei.jp",
    ),
    org(
        "株式会社 関東中央食品卸",
        "company",
        Some(Category::Wholesaler),
        "11",
        None,
        Some("I52"),
        None,
        "kanto@wholesale.demo.renkei.jp",
    ),
    org(
        "株式会社 東大阪精密",
        "company",
        MAKER,
        "27",
        None,
        Some("E24"),
        None,
        "higashiosaka@maker.demo.renkei.jp",
    ),
    org(
        "有限会社 八尾プレス工業",
        "company",
        MAKER,
        "27",
        None,
        Some("E24"),
        None,
        "yao@maker.demo.renkei.jp",
    ),
    org(
        "株式会社 燕金属加工",
        "company",
        MAKER,
        "15",
        None,
        Some("E24"),
        None,
        "tsubame@maker.demo.renkei.jp",
    ),
    org(
        "株式会社 三条表面処理",
        "company",
        MAKER,
        "15",
        None,
        Some("E24"),
        None,
        "sanjo@maker.demo.renkei.jp",
    ),
    org(
        "品川区",
        "municipality",
        None,
        "13",
        Some("131091"),
        Some("S98"),
        None,
        "city@shinagawa.demo.renkei.jp",
    ),
    org(
        "城南信用金庫（デモ）",
        "supporter",
        Some(Category::Bank),
        "13",
        None,
        Some("J63"),
        None,
        "bank@jonan.demo.renkei.jp",
    ),
    org(
        "株式会社 まちITサービス",
        "it_vendor",
        None,
        "13",
        None,
        Some("G39"),
        None,
        "vendor@machi-it.demo.renkei.jp",
    ),
    org(
        "Renkei 運営事務局",
        "platform_operator",
        None,
        "13",
        None,
        None,
        None,
        "operator@renkei.demo.renkei.jp",
    ),
];

/// Colleagues of the first shop, one per remaining role.
const COLLEAGUES: &[(&str, &str, Role)] = &[
    ("admin@togoshi.demo.renkei.jp", "青木 管理者", Role::Admin),
    ("member@togoshi.demo.renkei.jp", "青木 担当者", Role::Member),
    ("viewer@togoshi.demo.renkei.jp", "青木 閲覧者", Role::Viewer),
];

fn acting(user_id: &str, organisation_id: Option<&str>, role: Option<Role>) -> Caller {
    Caller {
        principal: Principal {
            kind: PrincipalKind::User,
            subject: user_id.to_string(),
            organisation_id: organisation_id.map(str::to_string),
            role,
            scopes: Vec::new(),
            session_id: None,
        },
        client_addr: "demo loader".into(),
    }
}

async fn account(app: &App, email: &str, name: &str) -> anyhow::Result<String> {
    if let Some(user) = app.user_by_email(email).await? {
        return Ok(user.user_id);
    }
    let user = app
        .sign_up(SignUp::parse(email, PASSWORD, name)?, "demo loader")
        .await?;
    Ok(user.user_id)
}

/// Loads the demo region (idempotent).
pub async fn load(app: &App) -> anyhow::Result<()> {
    let mut first_shop = None;
    for (i, o) in ORGANISATIONS.iter().enumerate() {
        let owner = account(app, o.owner, &format!("{} 代表", o.name)).await?;
        let profile = ProfileDraft {
            category: o.category,
            municipality_code: o.municipality.map(str::to_string),
            jsic_code: o.jsic.map(str::to_string),
            shopping_district: o.district.map(str::to_string),
            employees: Some(3 + i64::try_from(i).unwrap_or(0) * 7),
            capital_yen: Some(3_000_000 + i64::try_from(i).unwrap_or(0) * 9_000_000),
            ..ProfileDraft::default()
        };
        let input = NewOrganisation::parse(o.name, o.kind, o.prefecture, &profile)?;
        let (organisation, _) = app
            .organisation_register(
                &acting(&owner, None, None),
                input,
                &format!("demo:{}", o.name),
                Some(&format!("demo-organisation-{i:03}")),
            )
            .await?;
        if first_shop.is_none() {
            first_shop = Some((organisation.organisation_id, owner));
        }
    }
    if let Some((shop, owner)) = first_shop {
        let as_owner = acting(&owner, Some(&shop), Some(Role::Owner));
        for (email, name, role) in COLLEAGUES {
            let user_id = account(app, email, name).await?;
            let invite = Invite {
                email: Email::parse("email", email)?,
                role: *role,
            };
            match app.invitation_create(&as_owner, &shop, invite).await {
                Ok(invited) => {
                    app.invitation_accept(&acting(&user_id, None, None), &invited.token)
                        .await?;
                }
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    println!("Demo region loaded: {} organisations.", ORGANISATIONS.len());
    Ok(())
}

/// Prints one sign-in per role, and what else there is to see.
pub fn print_sign_ins() {
    println!("  demo sign-ins (password for all: {PASSWORD}):");
    let rows: [(&str, &str); 10] = [
        ("shop owner", ORGANISATIONS[0].owner),
        ("shop admin", COLLEAGUES[0].0),
        ("shop member", COLLEAGUES[1].0),
        ("shop viewer", COLLEAGUES[2].0),
        ("wholesaler", ORGANISATIONS[9].owner),
        ("manufacturer", ORGANISATIONS[10].owner),
        ("municipality", ORGANISATIONS[14].owner),
        ("bank", ORGANISATIONS[15].owner),
        ("IT vendor", ORGANISATIONS[16].owner),
        ("platform operator", ORGANISATIONS[17].owner),
    ];
    for (role, email) in rows {
        println!("    {role:<18} {email}");
    }
    println!("  regional directory: /regions");
}
