//! An organisation's profile: what it is called, its public registry numbers,
//! where it is, what it does, how big it is and where it works. The draft is
//! what a caller submits; [`Profile::parse`] checks every field and the rules
//! between fields (a municipality lies in the stated prefecture, a company's
//! invoice number is its corporate number) and names the first one that fails.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    Invalid, LegalName, OrganisationKind, Prefecture, invalid,
    profile::{
        Coordinates, CorporateNumber, InvoiceRegistrationNumber, Jsic, Kana, MunicipalityCode,
        SmeStatus, employee_count, non_negative, sme_status,
    },
};

/// What a company or supporter is more precisely.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A shop (company).
    Shop,
    /// A wholesaler (company).
    Wholesaler,
    /// A manufacturer (company).
    Manufacturer,
    /// A service firm (company).
    Service,
    /// Any other company.
    Other,
    /// A bank or credit union (supporter).
    Bank,
    /// A chamber of commerce or 商工会 (supporter).
    ChamberOfCommerce,
    /// An IT coordinator (supporter).
    ItCoordinator,
}

impl Category {
    const ALL: [Category; 8] = [
        Category::Shop,
        Category::Wholesaler,
        Category::Manufacturer,
        Category::Service,
        Category::Other,
        Category::Bank,
        Category::ChamberOfCommerce,
        Category::ItCoordinator,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Shop => "shop",
            Category::Wholesaler => "wholesaler",
            Category::Manufacturer => "manufacturer",
            Category::Service => "service",
            Category::Other => "other",
            Category::Bank => "bank",
            Category::ChamberOfCommerce => "chamber_of_commerce",
            Category::ItCoordinator => "it_coordinator",
        }
    }

    /// The categories an organisation of `kind` may have.
    pub fn allowed_for(kind: OrganisationKind) -> &'static [Category] {
        match kind {
            OrganisationKind::Company => &Category::ALL[..5],
            OrganisationKind::Supporter => &Category::ALL[5..],
            _ => &[],
        }
    }

    /// Reads a stored name.
    pub fn parse(field: &str, raw: &str) -> Result<Category, Invalid> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| invalid(field, format!("`{raw}` is not a category")))
    }
}

/// What a site is used for.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A production plant.
    Plant,
    /// A shop front.
    Shop,
    /// A warehouse or distribution centre.
    Warehouse,
    /// An office (the kind a site has unless told otherwise).
    #[default]
    Office,
}

impl SiteKind {
    const ALL: [SiteKind; 4] = [
        SiteKind::Plant,
        SiteKind::Shop,
        SiteKind::Warehouse,
        SiteKind::Office,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Plant => "plant",
            SiteKind::Shop => "shop",
            SiteKind::Warehouse => "warehouse",
            SiteKind::Office => "office",
        }
    }

    /// Reads a stored name.
    pub fn parse(field: &str, raw: &str) -> Result<SiteKind, Invalid> {
        SiteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| invalid(field, format!("`{raw}` is not a site kind")))
    }
}

/// A site as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteDraft {
    /// `plant`, `shop`, `warehouse` or `office`.
    #[schema(example = "plant")]
    pub kind: SiteKind,
    /// Name of the site, e.g. 本社工場.
    #[schema(example = "本社工場")]
    pub name: String,
    /// JIS X 0401 prefecture code.
    #[schema(example = "23")]
    pub prefecture_code: String,
    /// JIS X 0402 municipality code (6 digits with check digit).
    #[schema(example = "232017")]
    pub municipality_code: Option<String>,
    /// Street address after the municipality.
    pub address_line: Option<String>,
    /// Latitude in decimal degrees (up to 6 decimals), e.g. `35.170915`.
    pub latitude: Option<String>,
    /// Longitude in decimal degrees (up to 6 decimals), e.g. `136.881537`.
    pub longitude: Option<String>,
}

/// A validated site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Its id.
    pub site_id: String,
    /// Use.
    pub kind: SiteKind,
    /// Name.
    pub name: LegalName,
    /// Prefecture.
    pub prefecture: Prefecture,
    /// Municipality.
    pub municipality: Option<MunicipalityCode>,
    /// Street address.
    pub address_line: Option<String>,
    /// Position.
    pub coordinates: Option<Coordinates>,
}

/// The optional part of an organisation's profile, as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileDraft {
    /// For companies `shop`, `wholesaler`, `manufacturer`, `service` or `other`;
    /// for supporters `bank`, `chamber_of_commerce` or `it_coordinator`.
    #[schema(example = "manufacturer")]
    pub category: Option<Category>,
    /// Legal name in English.
    #[schema(example = "Yamada Seisakusho Co., Ltd.")]
    pub legal_name_en: Option<String>,
    /// Reading of the legal name in katakana.
    #[schema(example = "ヤマダセイサクショ")]
    pub legal_name_kana: Option<String>,
    /// 法人番号: 13 digits, the first a check digit.
    #[schema(example = "7000012050002")]
    pub corporate_number: Option<String>,
    /// 適格請求書発行事業者登録番号: `T` and 13 digits; for a corporation, its corporate number.
    #[schema(example = "T7000012050002")]
    pub invoice_registration_number: Option<String>,
    /// JIS X 0402 municipality code of the registered address (6 digits with check digit).
    #[schema(example = "131016")]
    pub municipality_code: Option<String>,
    /// Street address after the municipality.
    #[schema(example = "霞が関3-1-1")]
    pub address_line: Option<String>,
    /// JSIC (Rev. 14) industry: a division letter, optionally with 2–4 digits.
    #[schema(example = "E2422")]
    pub jsic_code: Option<String>,
    /// Stated capital in yen.
    #[schema(example = 30000000)]
    pub capital_yen: Option<i64>,
    /// Number of regular employees.
    #[schema(example = 42)]
    pub employees: Option<i64>,
    /// The shopping district (商店街) a shop belongs to.
    pub shopping_district: Option<String>,
    /// Plants, shops, warehouses and offices.
    #[serde(default)]
    pub sites: Vec<SiteDraft>,
}

/// A validated profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Category within the kind.
    pub category: Option<Category>,
    /// English legal name.
    pub legal_name_en: Option<LegalName>,
    /// Katakana reading.
    pub legal_name_kana: Option<Kana>,
    /// 法人番号.
    pub corporate_number: Option<CorporateNumber>,
    /// Invoice registration number.
    pub invoice_registration_number: Option<InvoiceRegistrationNumber>,
    /// Municipality of the registered address.
    pub municipality: Option<MunicipalityCode>,
    /// Street address.
    pub address_line: Option<String>,
    /// Industry.
    pub jsic: Option<Jsic>,
    /// Capital in yen.
    pub capital_yen: Option<i64>,
    /// Employees.
    pub employees: Option<i64>,
    /// Shopping district.
    pub shopping_district: Option<String>,
    /// Sites.
    pub sites: Vec<Site>,
}

/// Most sites one organisation may list.
pub const MAX_SITES: usize = 200;

fn text(field: &str, raw: &Option<String>, max: usize) -> Result<Option<String>, Invalid> {
    present(raw).map(|v| super::text(field, v, max)).transpose()
}

fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn municipality_in(
    field: &str,
    raw: &Option<String>,
    prefecture: Prefecture,
) -> Result<Option<MunicipalityCode>, Invalid> {
    let Some(raw) = present(raw) else {
        return Ok(None);
    };
    let code = MunicipalityCode::parse("municipality_code", raw).map_err(|e| Invalid {
        field: field.to_string(),
        reason: e.reason,
    })?;
    if code.prefecture_code() != prefecture.code() {
        return Err(invalid(
            field,
            format!(
                "`{}` lies in prefecture {}, but the prefecture given is {} ({})",
                code.as_str(),
                code.prefecture_code(),
                prefecture.code(),
                prefecture.name_ja()
            ),
        ));
    }
    Ok(Some(code))
}

impl Site {
    fn parse(draft: &SiteDraft, site_id: String) -> Result<Site, Invalid> {
        let prefecture = Prefecture::parse("prefecture_code", &draft.prefecture_code)?;
        let coordinates = match (present(&draft.latitude), present(&draft.longitude)) {
            (None, None) => None,
            (Some(lat), Some(lon)) => Some(Coordinates::parse("latitude", lat, lon)?),
            (Some(_), None) => {
                return Err(invalid(
                    "longitude",
                    "give both latitude and longitude, or neither",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "latitude",
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        Ok(Site {
            site_id,
            kind: draft.kind,
            name: LegalName::parse("name", &draft.name)?,
            prefecture,
            municipality: municipality_in(
                "municipality_code",
                &draft.municipality_code,
                prefecture,
            )?,
            address_line: text("address_line", &draft.address_line, 200)?,
            coordinates,
        })
    }
}

impl Profile {
    /// Checks a draft for an organisation of `kind` in `prefecture`. Site ids
    /// come from `new_id`, so that a caller decides how they are made.
    pub fn parse(
        draft: &ProfileDraft,
        kind: OrganisationKind,
        prefecture: Prefecture,
        mut new_id: impl FnMut() -> String,
    ) -> Result<Profile, Invalid> {
        if let Some(category) = draft.category
            && !Category::allowed_for(kind).contains(&category)
        {
            let allowed: Vec<&str> = Category::allowed_for(kind)
                .iter()
                .map(|c| c.as_str())
                .collect();
            return Err(invalid(
                "category",
                if allowed.is_empty() {
                    format!(
                        "an organisation of kind `{}` has no category",
                        kind.as_str()
                    )
                } else {
                    format!(
                        "`{}` is not a category of kind `{}`; use one of {}",
                        category.as_str(),
                        kind.as_str(),
                        allowed.join(", ")
                    )
                },
            ));
        }
        let corporate_number = present(&draft.corporate_number)
            .map(|s| CorporateNumber::parse("corporate_number", s))
            .transpose()?;
        let invoice_registration_number = present(&draft.invoice_registration_number)
            .map(|s| InvoiceRegistrationNumber::parse("invoice_registration_number", s))
            .transpose()?;
        if let (Some(c), Some(t)) = (&corporate_number, &invoice_registration_number)
            && !t.matches_corporate_number(c)
        {
            return Err(invalid(
                "invoice_registration_number",
                format!(
                    "a corporation's registration number is T followed by its corporate number (T{})",
                    c.as_str()
                ),
            ));
        }
        if draft.sites.len() > MAX_SITES {
            return Err(invalid(
                "sites",
                format!("at most {MAX_SITES} sites (got {})", draft.sites.len()),
            ));
        }
        let sites = draft
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| Site::parse(s, new_id()).map_err(|e| e.within(&format!("sites[{i}]"))))
            .collect::<Result<Vec<Site>, Invalid>>()?;
        Ok(Profile {
            category: draft.category,
            legal_name_en: present(&draft.legal_name_en)
                .map(|s| LegalName::parse("legal_name_en", s))
                .transpose()?,
            legal_name_kana: present(&draft.legal_name_kana)
                .map(|s| Kana::parse("legal_name_kana", s))
                .transpose()?,
            corporate_number,
            invoice_registration_number,
            municipality: municipality_in(
                "municipality_code",
                &draft.municipality_code,
                prefecture,
            )?,
            address_line: text("address_line", &draft.address_line, 200)?,
            jsic: present(&draft.jsic_code)
                .map(|s| Jsic::parse("jsic_code", s))
                .transpose()?,
            capital_yen: draft
                .capital_yen
                .map(|v| non_negative("capital_yen", v))
                .transpose()?,
            employees: draft
                .employees
                .map(|v| employee_count("employees", v))
                .transpose()?,
            shopping_district: text("shopping_district", &draft.shopping_district, 100)?,
            sites,
        })
    }

    /// SME status under the SME Basic Act, for companies only.
    pub fn sme_status(&self, kind: OrganisationKind) -> Option<SmeStatus> {
        (kind == OrganisationKind::Company).then(|| {
            sme_status(
                self.jsic.as_ref().and_then(Jsic::sme_sector),
                self.capital_yen,
                self.employees,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> Prefecture {
        Prefecture::parse("p", "13").expect("13")
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("s{n}")
        }
    }

    #[test]
    fn a_full_company_profile_parses_and_is_an_sme() {
        let draft = ProfileDraft {
            category: Some(Category::Manufacturer),
            legal_name_kana: Some("ヤマダセイサクショ".into()),
            corporate_number: Some("7000012050002".into()),
            invoice_registration_number: Some("T7000012050002".into()),
            municipality_code: Some("131016".into()),
            jsic_code: Some("E2422".into()),
            capital_yen: Some(300_000_000),
            employees: Some(500),
            sites: vec![SiteDraft {
                kind: SiteKind::Plant,
                name: "第二工場".into(),
                prefecture_code: "13".into(),
                latitude: Some("35.681236".into()),
                longitude: Some("139.767125".into()),
                ..SiteDraft::default()
            }],
            ..ProfileDraft::default()
        };
        let profile =
            Profile::parse(&draft, OrganisationKind::Company, tokyo(), ids()).expect("valid");
        assert_eq!(profile.sites[0].site_id, "s1");
        assert_eq!(
            profile.sme_status(OrganisationKind::Company),
            Some(SmeStatus::Sme)
        );
        assert_eq!(profile.sme_status(OrganisationKind::Municipality), None);
    }

    #[test]
    fn cross_field_rules_name_the_field_at_fault() {
        let wrong_prefecture = ProfileDraft {
            municipality_code: Some("011002".into()),
            ..ProfileDraft::default()
        };
        let e = Profile::parse(&wrong_prefecture, OrganisationKind::Company, tokyo(), ids())
            .expect_err("Sapporo is not in Tokyo");
        assert_eq!(e.field, "municipality_code");

        let other_number = ProfileDraft {
            corporate_number: Some("7000012050002".into()),
            invoice_registration_number: Some("T1000012050005".into()),
            ..ProfileDraft::default()
        };
        let e = Profile::parse(&other_number, OrganisationKind::Company, tokyo(), ids())
            .expect_err("numbers differ");
        assert_eq!(e.field, "invoice_registration_number");

        let bank_shop = ProfileDraft {
            category: Some(Category::Bank),
            ..ProfileDraft::default()
        };
        let e = Profile::parse(&bank_shop, OrganisationKind::Company, tokyo(), ids())
            .expect_err("bank is a supporter category");
        assert_eq!(e.field, "category");

        let bad_site = ProfileDraft {
            sites: vec![
                SiteDraft {
                    name: "本店".into(),
                    prefecture_code: "13".into(),
                    ..SiteDraft::default()
                },
                SiteDraft {
                    name: "倉庫".into(),
                    prefecture_code: "13".into(),
                    municipality_code: Some("131017".into()),
                    ..SiteDraft::default()
                },
            ],
            ..ProfileDraft::default()
        };
        let e = Profile::parse(&bad_site, OrganisationKind::Company, tokyo(), ids())
            .expect_err("bad check digit");
        assert_eq!(e.field, "sites[1].municipality_code");
    }
}
