//! The demo region loaded by `renkei up --demo`: shops in three shopping
//! districts, a wholesaler, manufacturers and suppliers in two regions, a
//! municipality, a bank and an IT vendor. Loading twice changes nothing
//! (each organisation is registered under its own idempotency key).

use renkei_collab::{app::App, domain::NewOrganisation};

/// (legal name, kind, prefecture code)
const ORGANISATIONS: &[(&str, &str, &str)] = &[
    ("戸越銀座 青木青果店", "company", "13"),
    ("戸越銀座 佐藤精肉店", "company", "13"),
    ("戸越銀座 鈴木酒店", "company", "13"),
    ("元町 高橋ベーカリー", "company", "14"),
    ("元町 田中雑貨店", "company", "14"),
    ("元町 伊藤茶舗", "company", "14"),
    ("大須 渡辺電器", "company", "23"),
    ("大須 山本呉服店", "company", "23"),
    ("大須 中村乾物店", "company", "23"),
    ("株式会社 関東中央食品卸", "company", "11"),
    ("株式会社 東大阪精密", "company", "27"),
    ("有限会社 八尾プレス工業", "company", "27"),
    ("株式会社 燕金属加工", "company", "15"),
    ("株式会社 三条表面処理", "company", "15"),
    ("品川区", "municipality", "13"),
    ("城南信用金庫（デモ）", "supporter", "13"),
    ("株式会社 まちITサービス", "it_vendor", "13"),
];

/// Registers the demo organisations (idempotent).
pub async fn load(app: &App) -> anyhow::Result<()> {
    for (i, (name, kind, prefecture)) in ORGANISATIONS.iter().enumerate() {
        let input = NewOrganisation::parse(name, kind, prefecture)?;
        app.organisation_register(input, Some(&format!("demo-organisation-{i:03}")))
            .await?;
    }
    println!("Demo region loaded: {} organisations.", ORGANISATIONS.len());
    Ok(())
}

/// Prints what a visitor of the demo can do.
pub fn print_sign_ins() {
    println!(
        "  demo: {} organisations in Tokyo, Kanagawa, Aichi, Saitama, Osaka and Niigata;",
        ORGANISATIONS.len()
    );
    println!(
        "        see /regions. Per-role sign-ins come with the collaboration layer's accounts."
    );
}
