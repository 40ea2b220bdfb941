//! Queries of the collaboration service. Each takes the caller's connection
//! or transaction; none opens its own. Rows read back are parsed into domain
//! types again, so a corrupted row is reported instead of served.

pub mod access;
pub mod app;
pub mod audit;
pub mod consent;
pub mod partner;

use renkei_kernel::storage::Conn;
use sqlx::{Row as _, any::AnyRow};

use crate::domain::{
    Invalid, LegalName, Organisation, OrganisationKind, Prefecture,
    organisation::{Category, Profile, Site, SiteKind},
    profile::{
        Coordinates, CorporateNumber, InvoiceRegistrationNumber, Jsic, Kana, MunicipalityCode,
    },
};

/// A stored value that no longer passes its own validation.
pub(crate) fn corrupt(e: Invalid) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn opt<T>(
    row: &AnyRow,
    column: &str,
    parse: impl Fn(&str) -> Result<T, Invalid>,
) -> Result<Option<T>, sqlx::Error> {
    row.try_get::<Option<String>, _>(column)?
        .map(|s| parse(&s).map_err(corrupt))
        .transpose()
}

const ORGANISATION_COLUMNS: &str = "organisation_id, legal_name, kind, prefecture_code, category, \
     legal_name_en, legal_name_kana, corporate_number, invoice_registration_number, \
     municipality_code, address_line, jsic_code, capital_yen, employees, shopping_district, \
     created_at_ms, updated_at_ms";

fn organisation_from_row(row: &AnyRow, sites: Vec<Site>) -> Result<Organisation, sqlx::Error> {
    let kind =
        OrganisationKind::parse("kind", &row.try_get::<String, _>("kind")?).map_err(corrupt)?;
    Ok(Organisation {
        organisation_id: row.try_get("organisation_id")?,
        legal_name: LegalName::parse("legal_name", &row.try_get::<String, _>("legal_name")?)
            .map_err(corrupt)?,
        kind,
        prefecture: Prefecture::parse(
            "prefecture_code",
            &row.try_get::<String, _>("prefecture_code")?,
        )
        .map_err(corrupt)?,
        profile: Profile {
            category: opt(row, "category", |s| Category::parse("category", s))?,
            legal_name_en: opt(row, "legal_name_en", |s| {
                LegalName::parse("legal_name_en", s)
            })?,
            legal_name_kana: opt(row, "legal_name_kana", |s| {
                Kana::parse("legal_name_kana", s)
            })?,
            corporate_number: opt(row, "corporate_number", |s| {
                CorporateNumber::parse("corporate_number", s)
            })?,
            invoice_registration_number: opt(row, "invoice_registration_number", |s| {
                InvoiceRegistrationNumber::parse("invoice_registration_number", s)
            })?,
            municipality: opt(row, "municipality_code", |s| {
                MunicipalityCode::parse("municipality_code", s)
            })?,
            address_line: row.try_get("address_line")?,
            jsic: opt(row, "jsic_code", |s| Jsic::parse("jsic_code", s))?,
            capital_yen: row.try_get("capital_yen")?,
            employees: row.try_get("employees")?,
            shopping_district: row.try_get("shopping_district")?,
            sites,
        },
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// The columns [`bind_profile`] binds, in its order.
const PROFILE_COLUMNS: &str = "legal_name, prefecture_code, category, legal_name_en, \
     legal_name_kana, corporate_number, invoice_registration_number, municipality_code, \
     address_line, jsic_code, capital_yen, employees, shopping_district";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the name and profile columns in the order of [`PROFILE_COLUMNS`].
fn bind_profile<'q>(query: AnyQuery<'q>, o: &'q Organisation) -> AnyQuery<'q> {
    let p = &o.profile;
    query
        .bind(o.legal_name.as_str())
        .bind(o.prefecture.code())
        .bind(p.category.map(Category::as_str))
        .bind(p.legal_name_en.as_ref().map(LegalName::as_str))
        .bind(p.legal_name_kana.as_ref().map(Kana::as_str))
        .bind(p.corporate_number.as_ref().map(CorporateNumber::as_str))
        .bind(
            p.invoice_registration_number
                .as_ref()
                .map(InvoiceRegistrationNumber::as_str),
        )
        .bind(p.municipality.as_ref().map(MunicipalityCode::as_str))
        .bind(p.address_line.as_deref())
        .bind(p.jsic.as_ref().map(Jsic::as_str))
        .bind(p.capital_yen)
        .bind(p.employees)
        .bind(p.shopping_district.as_deref())
}

/// Inserts a new organisation with its sites.
pub async fn organisation_insert(conn: &mut Conn, o: &Organisation) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO organisation (organisation_id, kind, {PROFILE_COLUMNS}, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    let query = sqlx::query(&sql)
        .bind(&o.organisation_id)
        .bind(o.kind.as_str());
    bind_profile(query, o)
        .bind(o.created_at_ms)
        .bind(o.updated_at_ms)
        .execute(&mut *conn)
        .await?;
    sites_insert(conn, &o.organisation_id, &o.profile.sites).await
}

/// Replaces an organisation's name, kind-independent profile and sites.
pub async fn organisation_update(conn: &mut Conn, o: &Organisation) -> Result<(), sqlx::Error> {
    let query = sqlx::query(
        "UPDATE organisation SET legal_name = $2, prefecture_code = $3, category = $4, \
         legal_name_en = $5, legal_name_kana = $6, corporate_number = $7, \
         invoice_registration_number = $8, municipality_code = $9, address_line = $10, \
         jsic_code = $11, capital_yen = $12, employees = $13, shopping_district = $14, \
         updated_at_ms = $15 WHERE organisation_id = $1",
    )
    .bind(&o.organisation_id);
    bind_profile(query, o)
        .bind(o.updated_at_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM organisation_site WHERE organisation_id = $1")
        .bind(&o.organisation_id)
        .execute(&mut *conn)
        .await?;
    sites_insert(conn, &o.organisation_id, &o.profile.sites).await
}

async fn sites_insert(
    conn: &mut Conn,
    organisation_id: &str,
    sites: &[Site],
) -> Result<(), sqlx::Error> {
    for (position, s) in (0_i64..).zip(sites) {
        sqlx::query(
            "INSERT INTO organisation_site (site_id, organisation_id, position, kind, name, \
             prefecture_code, municipality_code, address_line, lat_micro, lon_micro) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&s.site_id)
        .bind(organisation_id)
        .bind(position)
        .bind(s.kind.as_str())
        .bind(s.name.as_str())
        .bind(s.prefecture.code())
        .bind(s.municipality.as_ref().map(MunicipalityCode::as_str))
        .bind(s.address_line.as_deref())
        .bind(s.coordinates.map(|c| c.lat_micro()))
        .bind(s.coordinates.map(|c| c.lon_micro()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn sites_of(conn: &mut Conn, organisation_id: &str) -> Result<Vec<Site>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT site_id, kind, name, prefecture_code, municipality_code, address_line, \
         lat_micro, lon_micro FROM organisation_site WHERE organisation_id = $1 ORDER BY position",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let lat: Option<i64> = row.try_get("lat_micro")?;
            let lon: Option<i64> = row.try_get("lon_micro")?;
            Ok(Site {
                site_id: row.try_get("site_id")?,
                kind: SiteKind::parse("kind", &row.try_get::<String, _>("kind")?)
                    .map_err(corrupt)?,
                name: LegalName::parse("name", &row.try_get::<String, _>("name")?)
                    .map_err(corrupt)?,
                prefecture: Prefecture::parse(
                    "prefecture_code",
                    &row.try_get::<String, _>("prefecture_code")?,
                )
                .map_err(corrupt)?,
                municipality: opt(row, "municipality_code", |s| {
                    MunicipalityCode::parse("municipality_code", s)
                })?,
                address_line: row.try_get("address_line")?,
                coordinates: lat
                    .zip(lon)
                    .and_then(|(a, o)| Coordinates::from_micro(a, o)),
            })
        })
        .collect()
}

/// One organisation by id, with its sites.
pub async fn organisation_get(
    conn: &mut Conn,
    id: &str,
) -> Result<Option<Organisation>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {ORGANISATION_COLUMNS} FROM organisation WHERE organisation_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let sites = sites_of(conn, id).await?;
            organisation_from_row(&row, sites).map(Some)
        }
    }
}
