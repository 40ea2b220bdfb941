//! The demo region loaded by `renkei up --demo`: shops in three shopping
//! districts, a wholesaler, manufacturers and suppliers in two regions, a
//! municipality, a bank, an IT vendor and the platform operator, each with an
//! owner account, and one shop with a colleague in every other role. Between
//! them: every shop buys from the wholesaler, the manufacturers buy from
//! their suppliers, each district has a purchasing group, each manufacturing
//! region a network, the municipality a region group; the IT vendor's app is
//! installed in the first shop, which has also granted the bank a consent.
//! Loading twice changes nothing: accounts are found by email, organisations
//! are registered under their owner's idempotency key, and partnerships,
//! groups, apps, installations and consents that exist are left alone.

use renkei_collab::{
    app::{App, AppError, Grant, Invite, NewApp, NewGroup, NewThread, Proposal, SignUp},
    domain::{
        NewOrganisation,
        account::Email,
        app::AppScope,
        consent::ConsentScope,
        organisation::{Category, ProfileDraft},
        partnership::{GroupKind, PartnershipAction, PartnershipKind},
    },
};
use renkei_kernel::auth::{Caller, Principal, PrincipalKind, Role};

/// The password of every demo account (printed at start-up).
pub const PASSWORD: &str = "renkei-demo-2026";

/// The owners of a demo shop and of the wholesaler it buys from (partners
/// once the region is loaded).
pub const SUPPLY: (&str, &str) = (ORGANISATIONS[0].owner, ORGANISATIONS[9].owner);

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

#[expect(
    clippy::too_many_arguments,
    reason = "one row of the demo table above, read positionally like the table"
)]
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
pub async fn load(app: &App) -> anyhow::Result<Region> {
    let mut ids = Vec::with_capacity(ORGANISATIONS.len());
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
        ids.push((organisation.organisation_id, owner));
    }
    let as_owner = |i: usize| acting(&ids[i].1, Some(&ids[i].0), Some(Role::Owner));
    let org = |i: usize| ids[i].0.clone();

    let shop = &ids[0];
    for (email, name, role) in COLLEAGUES {
        let user_id = account(app, email, name).await?;
        let invite = Invite {
            email: Email::parse("email", email)?,
            role: *role,
        };
        match app.invitation_create(&as_owner(0), &shop.0, invite).await {
            Ok(invited) => {
                app.invitation_accept(&acting(&user_id, None, None), &invited.token)
                    .await?;
            }
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let wholesaler = 9;
    let supplies: Vec<(usize, usize)> = (0..9)
        .map(|s| (s, wholesaler))
        .chain([(10, 11), (12, 13)])
        .collect();
    for (buyer, seller) in supplies {
        partner(
            app,
            &as_owner(buyer),
            &org(buyer),
            &as_owner(seller),
            &org(seller),
        )
        .await?;
    }

    let districts = [
        ("戸越銀座商店街 共同購入会", [0, 1, 2]),
        ("元町商店街 共同購入会", [3, 4, 5]),
        ("大須商店街 共同購入会", [6, 7, 8]),
    ];
    for (name, shops) in districts {
        let members = shops[1..].iter().map(|&s| org(s)).collect();
        group(
            app,
            &as_owner(shops[0]),
            &org(shops[0]),
            name,
            GroupKind::PurchasingGroup,
            members,
        )
        .await?;
    }
    group(
        app,
        &as_owner(10),
        &org(10),
        "東大阪・八尾 ものづくりネットワーク",
        GroupKind::ManufacturingNetwork,
        vec![org(11)],
    )
    .await?;
    group(
        app,
        &as_owner(12),
        &org(12),
        "燕三条 金属加工ネットワーク",
        GroupKind::ManufacturingNetwork,
        vec![org(13)],
    )
    .await?;
    group(
        app,
        &as_owner(14),
        &org(14),
        "品川区 地域連携",
        GroupKind::Region,
        vec![org(0), org(1), org(2)],
    )
    .await?;

    let vendor = 16;
    let vendor_apps = app.app_list(&as_owner(vendor), &org(vendor)).await?;
    let connector = match vendor_apps.into_iter().find(|a| a.name == APP_NAME) {
        Some(existing) => existing,
        None => {
            app.app_register(
                &as_owner(vendor),
                &org(vendor),
                NewApp {
                    name: APP_NAME.into(),
                    description: Some("販売管理ソフトと受発注・メッセージをつなぎます".into()),
                    webhook_url: None,
                    scopes: vec![
                        AppScope::OrganisationRead,
                        AppScope::MessagesRead,
                        AppScope::OrdersRead,
                    ],
                    events: Vec::new(),
                },
            )
            .await?
        }
    };
    match app
        .installation_create(
            &as_owner(0),
            &org(0),
            &connector.app_id,
            &[AppScope::OrganisationRead, AppScope::MessagesRead],
        )
        .await
    {
        Ok(_) | Err(AppError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }

    let bank = 15;
    let consents = app.consent_list(&as_owner(0), &org(0)).await?;
    if !consents.iter().any(|c| c.grantee_id == org(bank)) {
        app.consent_grant(
            &as_owner(0),
            &org(0),
            Grant {
                grantee_id: org(bank),
                scopes: vec![ConsentScope::ProfileRead],
                purpose: "事業性評価融資の相談のため".into(),
                expires_at_ms: renkei_kernel::storage::now_ms() + 180 * 86_400_000,
            },
        )
        .await?;
    }
    if app
        .thread_list(&as_owner(wholesaler), &org(wholesaler), None)
        .await?
        .is_empty()
    {
        app.thread_start(
            &as_owner(wholesaler),
            &org(wholesaler),
            NewThread {
                subject: "年末の共同仕入れのご案内".into(),
                participants: vec![org(0), org(1), org(2)],
                document_urn: None,
                body:
                    "年末向けの乾物・酒類の共同仕入れを受け付けます。ご希望数量をお知らせください。"
                        .into(),
            },
        )
        .await?;
    }
    println!(
        "Demo region loaded: {} organisations, partnerships, groups and an installed app.",
        ORGANISATIONS.len()
    );
    Ok(Region { ids })
}

/// The loaded organisations: each one's id and its owner's user id, in the
/// order of the demo's list.
pub struct Region {
    ids: Vec<(String, String)>,
}

/// The demo wholesaler's place in the region.
pub const WHOLESALER: usize = 9;

/// The first shop's place: organiser of the 戸越銀座 group, buyer of the
/// demo round.
pub const FIRST_SHOP: usize = 0;

impl Region {
    /// The `i`-th demo organisation's id and its owner acting for it.
    pub fn member(&self, i: usize) -> (&str, Caller) {
        (
            &self.ids[i].0,
            acting(&self.ids[i].1, Some(&self.ids[i].0), Some(Role::Owner)),
        )
    }
}

/// Orders between the first shops and the wholesaler, so the order pages
/// have something to show: the first shop's order has been answered and
/// despatched, waiting for its receipt; the second shop's order waits for the wholesaler's answer.
/// Orders learns of the partnerships from collab's events, so the first
/// submission is retried until it has. Submitted under fixed idempotency
/// keys, so loading twice adds nothing.
pub async fn load_orders(orders: &renkei_orders::app::App, region: &Region) -> anyhow::Result<()> {
    use renkei_orders::{
        app::{AppError as OrdersError, Submission},
        domain::Channel,
    };
    let wholesaler = WHOLESALER;
    let plans: [(usize, &[usize]); 2] = [(0, &[0, 3, 4]), (1, &[0])];
    for (shop, steps) in plans {
        let cycle = renkei_edi::samples::cycle();
        for &step in steps {
            let mut document = cycle[step].clone();
            let (buyer, seller) = document.parties_mut();
            buyer.id = region.ids[shop].0.clone();
            buyer.name = Some(ORGANISATIONS[shop].name.to_string());
            seller.id = region.ids[wholesaler].0.clone();
            seller.name = Some(ORGANISATIONS[wholesaler].name.to_string());
            let sender = if document.sent_by_buyer() {
                shop
            } else {
                wholesaler
            };
            let submission = Submission {
                document,
                channel: Channel::Web,
                idempotency_key: format!("demo-order-{shop}-{step}"),
            };
            let mut waited = 0;
            loop {
                match orders
                    .submit(
                        &region.member(sender).1,
                        region.member(sender).0,
                        submission.clone(),
                    )
                    .await
                {
                    Ok(_) => break,
                    Err(OrdersError::NotPartners(_)) if waited < 100 => {
                        waited += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Err(e) => {
                        return Err(anyhow::anyhow!(
                            "demo order of shop {shop}, step {step}: {e}"
                        ));
                    }
                }
            }
        }
    }
    println!(
        "Demo orders loaded: one despatched to 戸越銀座, one awaiting the wholesaler's answer."
    );
    Ok(())
}

/// The title of the demo's joint-purchase round; a round of that title
/// already open is left alone.
const ROUND_TITLE: &str = "年末 乾物・飲料 共同仕入れ（デモ）";

/// A joint-purchase round of the wholesaler for the three districts, with
/// the 戸越銀座 group's organiser as buyer, and intents from six shops that
/// carry rice past its first price break, so the round pages show a pool
/// filling; it closes two weeks after loading.
pub async fn load_round(
    procurement: &renkei_procurement::app::App,
    region: &Region,
) -> anyhow::Result<()> {
    use renkei_procurement::{
        app::{IntentInput, OpenRound},
        domain::{District, DropPoint, FeeModel, ItemOffer, PriceBreak, RoundDraft},
    };
    let (w_id, w_caller) = region.member(WHOLESALER);
    if procurement
        .round_list(&w_caller, w_id)
        .await
        .map_err(|e| anyhow::anyhow!("listing the demo rounds: {e}"))?
        .iter()
        .any(|r| r.title == ROUND_TITLE)
    {
        return Ok(());
    }
    let mut groups = Vec::new();
    for _ in 0..100 {
        groups = procurement
            .district_list(&w_caller, w_id)
            .await
            .map_err(|e| anyhow::anyhow!("listing the districts: {e}"))?;
        if groups.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let organisers = [0, 3, 6];
    let districts: Vec<District> = organisers
        .iter()
        .filter_map(|&o| {
            groups
                .iter()
                .find(|(g, _)| g.organiser_id == region.ids[o].0)
                .map(|(g, _)| District {
                    group_id: g.group_id.clone(),
                    name: g.name.clone(),
                    drop_point: DropPoint {
                        name: format!("{} 事務所", ORGANISATIONS[o].district.unwrap_or("商店街")),
                        address: match o {
                            0 => "東京都品川区戸越1-15-16",
                            3 => "神奈川県横浜市中区元町1-13",
                            _ => "愛知県名古屋市中区大須3-30-60",
                        }
                        .into(),
                    },
                })
        })
        .collect();
    if districts.len() < 3 {
        anyhow::bail!("procurement did not learn the demo districts from collab in time");
    }
    let offer = |code: &str, name: &str, unit: &str, list: i64, breaks: &[(i64, i64)], min: i64| {
        ItemOffer {
            code: code.into(),
            name: name.into(),
            unit: unit.into(),
            list_price: list,
            breaks: breaks
                .iter()
                .map(|&(min_quantity, unit_price)| PriceBreak {
                    min_quantity,
                    unit_price,
                })
                .collect(),
            minimum_quantity: min,
        }
    };
    let draft = RoundDraft {
        title: ROUND_TITLE.into(),
        cutoff_ms: renkei_kernel::storage::now_ms() + 14 * 86_400_000,
        items: vec![
            offer(
                "RICE-5KG",
                "新潟県産コシヒカリ 5kg",
                "H87",
                2_400,
                &[(20, 2_200), (50, 2_050)],
                10,
            ),
            offer(
                "SOY-1L",
                "本醸造しょうゆ 1L",
                "H87",
                420,
                &[(60, 380), (120, 350)],
                24,
            ),
            offer(
                "SAKE-1800",
                "清酒 純米 1.8L",
                "H87",
                2_600,
                &[(30, 2_380)],
                12,
            ),
        ],
        districts,
        delivery_dates: vec!["2026-12-26".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 3_300,
        },
        solo_delivery_fee: 1_650,
    };
    let opened = procurement
        .round_open(
            &w_caller,
            w_id,
            OpenRound {
                wholesaler_id: None,
                buyer_id: Some(region.member(FIRST_SHOP).0.to_string()),
                round: draft,
            },
            &format!("demo-round-{}", renkei_kernel::storage::now_ms()),
        )
        .await
        .map_err(|e| anyhow::anyhow!("opening the demo round: {e}"))?;
    procurement
        .round_answer(
            &region.member(FIRST_SHOP).1,
            region.member(FIRST_SHOP).0,
            &opened.summary.round_id,
            true,
        )
        .await
        .map_err(|e| anyhow::anyhow!("accepting the demo round: {e}"))?;
    let wants: [(usize, &str, i64); 7] = [
        (1, "RICE-5KG", 6),
        (2, "SAKE-1800", 8),
        (3, "RICE-5KG", 5),
        (4, "SOY-1L", 24),
        (6, "RICE-5KG", 4),
        (7, "SOY-1L", 12),
        (8, "RICE-5KG", 7),
    ];
    for (shop, item, quantity) in wants {
        procurement
            .intent_put(
                &region.member(shop).1,
                region.member(shop).0,
                &opened.summary.round_id,
                item,
                IntentInput {
                    quantity,
                    max_unit_price: None,
                    district_id: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo intent of shop {shop}: {e}"))?;
    }
    println!("Demo joint-purchase round opened: 3 districts, 7 intents, closes in two weeks.");
    Ok(())
}

const APP_NAME: &str = "まち受発注コネクタ";

/// The buyer proposes, the seller accepts; an open partnership is left alone.
async fn partner(
    app: &App,
    buyer: &Caller,
    buyer_id: &str,
    seller: &Caller,
    seller_id: &str,
) -> anyhow::Result<()> {
    let proposal = Proposal {
        counterparty_id: seller_id.to_string(),
        kind: PartnershipKind::BuyerSupplier,
        proposer_buys: true,
        note: None,
    };
    match app.partnership_propose(buyer, buyer_id, proposal).await {
        Ok(p) => {
            app.partnership_act(
                seller,
                seller_id,
                &p.partnership_id,
                PartnershipAction::Accept,
            )
            .await?;
            Ok(())
        }
        Err(AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Forms a group unless the organiser already has one of that name.
async fn group(
    app: &App,
    organiser: &Caller,
    organiser_id: &str,
    name: &str,
    kind: GroupKind,
    members: Vec<String>,
) -> anyhow::Result<()> {
    if app
        .group_list(organiser, organiser_id)
        .await?
        .iter()
        .any(|g| g.name == name)
    {
        return Ok(());
    }
    app.group_create(
        organiser,
        organiser_id,
        NewGroup {
            name: name.into(),
            kind,
            description: None,
            members,
        },
    )
    .await?;
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
    println!("  sign in at /app; regional directory at /regions");
}
