//! The rules of a draft and of an intent: each refused with its code at its
//! field, all problems reported at once.

use renkei_procurement::domain::{
    FeeModel, MAX_QUANTITY, MAX_YEN, PriceBreak, ProblemCode as Code, Round, RoundDraft,
};

use crate::support::{NOW, draft, intent, open};

fn refused(change: impl FnOnce(&mut RoundDraft), code: Code, path: &str) {
    let mut d = draft();
    change(&mut d);
    let problems = Round::open(d, NOW).expect_err("the draft should be refused");
    assert!(
        problems.has(code, path),
        "expected {code} at {path}, got {:#?}",
        problems.problems
    );
}

#[test]
fn a_good_draft_opens_and_keeps_its_order() {
    let round = open(draft());
    assert_eq!(round.items().len(), 3);
    assert_eq!(round.item_index("OIL-1L"), Some(1));
    assert_eq!(round.district_index("b"), Some(1));
    assert!(round.is_open_at(NOW));
    assert!(!round.is_open_at(round.cutoff_ms()));
}

#[test]
fn a_round_needs_items_districts_and_delivery_dates() {
    refused(|d| d.items.clear(), Code::NoItems, "items");
    refused(|d| d.districts.clear(), Code::NoDistricts, "districts");
    refused(
        |d| d.delivery_dates.clear(),
        Code::NoDeliveryDates,
        "delivery_dates",
    );
}

#[test]
fn codes_and_districts_are_unique() {
    refused(
        |d| d.items[2].code = "RICE-5KG".into(),
        Code::DuplicateItem,
        "items[2].code",
    );
    refused(
        |d| d.districts[1].group_id = "a".into(),
        Code::DuplicateDistrict,
        "districts[1].group_id",
    );
    refused(
        |d| d.delivery_dates.push("2025-10-01".into()),
        Code::DuplicateDeliveryDate,
        "delivery_dates[2]",
    );
}

#[test]
fn names_are_not_blank_nor_endless() {
    refused(|d| d.title = "  ".into(), Code::Blank, "title");
    refused(
        |d| d.items[1].name = String::new(),
        Code::Blank,
        "items[1].name",
    );
    refused(
        |d| d.items[0].code = String::new(),
        Code::Blank,
        "items[0].code",
    );
    refused(
        |d| d.districts[0].name = String::new(),
        Code::Blank,
        "districts[0].name",
    );
    refused(
        |d| d.districts[1].group_id = " ".into(),
        Code::Blank,
        "districts[1].group_id",
    );
    refused(
        |d| d.districts[1].drop_point.address = String::new(),
        Code::Blank,
        "districts[1].drop_point.address",
    );
    refused(
        |d| d.districts[0].drop_point.name = String::new(),
        Code::Blank,
        "districts[0].drop_point.name",
    );
    refused(|d| d.title = "長".repeat(201), Code::TooLong, "title");
    refused(
        |d| d.items[0].unit = "pcs".into(),
        Code::BadUnit,
        "items[0].unit",
    );
}

#[test]
fn prices_and_fees_are_not_negative_and_list_prices_positive() {
    refused(
        |d| d.items[0].list_price = 0,
        Code::NotPositive,
        "items[0].list_price",
    );
    refused(
        |d| d.items[0].list_price = -5,
        Code::Negative,
        "items[0].list_price",
    );
    refused(
        |d| d.items[0].breaks[1].unit_price = -1,
        Code::Negative,
        "items[0].breaks[1].unit_price",
    );
    refused(
        |d| d.solo_delivery_fee = -1,
        Code::Negative,
        "solo_delivery_fee",
    );
    refused(
        |d| d.fee_model = FeeModel::PerDrop { fee_per_drop: -1 },
        Code::Negative,
        "fee_model.fee_per_drop",
    );
    refused(
        |d| d.fee_model = FeeModel::PerShop { fee_per_shop: -1 },
        Code::Negative,
        "fee_model.fee_per_shop",
    );
}

#[test]
fn breaks_rise_in_quantity_fall_in_price_and_stay_below_the_list_price() {
    refused(
        |d| d.items[0].breaks[1].unit_price = 2_200,
        Code::InconsistentPriceBreaks,
        "items[0].breaks[1].unit_price",
    );
    refused(
        |d| d.items[0].breaks[1].min_quantity = 10,
        Code::InconsistentPriceBreaks,
        "items[0].breaks[1].min_quantity",
    );
    refused(
        |d| d.items[0].breaks.reverse(),
        Code::InconsistentPriceBreaks,
        "items[0].breaks[1].min_quantity",
    );
    refused(
        |d| d.items[1].breaks[0].unit_price = 601,
        Code::BreakAboveListPrice,
        "items[1].breaks[0].unit_price",
    );
    refused(
        |d| {
            d.items[2].breaks = vec![PriceBreak {
                min_quantity: 0,
                unit_price: 400,
            }]
        },
        Code::NotPositive,
        "items[2].breaks[0].min_quantity",
    );
    refused(
        |d| d.items[2].minimum_quantity = 0,
        Code::NotPositive,
        "items[2].minimum_quantity",
    );
}

#[test]
fn the_example_of_the_brief_names_its_break() {
    refused(
        |d| {
            d.items[2].breaks = vec![
                PriceBreak {
                    min_quantity: 10,
                    unit_price: 400,
                },
                PriceBreak {
                    min_quantity: 20,
                    unit_price: 420,
                },
            ]
        },
        Code::InconsistentPriceBreaks,
        "items[2].breaks[1].unit_price",
    );
}

#[test]
fn absurd_numbers_are_out_of_range() {
    refused(
        |d| d.items[0].list_price = MAX_YEN + 1,
        Code::OutOfRange,
        "items[0].list_price",
    );
    refused(
        |d| d.items[0].minimum_quantity = MAX_QUANTITY + 1,
        Code::OutOfRange,
        "items[0].minimum_quantity",
    );
    refused(
        |d| d.items[0].breaks[1].min_quantity = MAX_QUANTITY + 1,
        Code::OutOfRange,
        "items[0].breaks[1].min_quantity",
    );
    refused(
        |d| d.solo_delivery_fee = MAX_YEN + 1,
        Code::OutOfRange,
        "solo_delivery_fee",
    );
    let mut d = draft();
    d.items[0].list_price = MAX_YEN;
    d.items[0].minimum_quantity = MAX_QUANTITY;
    assert!(
        Round::open(d, NOW).is_ok(),
        "the limits themselves are allowed"
    );
}

#[test]
fn delivery_dates_are_calendar_dates() {
    refused(
        |d| d.delivery_dates[1] = "2025-02-29".into(),
        Code::BadDate,
        "delivery_dates[1]",
    );
    refused(
        |d| d.delivery_dates[0] = "2025/10/01".into(),
        Code::BadDate,
        "delivery_dates[0]",
    );
    let mut d = draft();
    d.delivery_dates = vec!["2028-02-29".into()];
    assert!(Round::open(d, NOW).is_ok());
}

#[test]
fn the_cutoff_is_after_the_opening() {
    refused(|d| d.cutoff_ms = NOW, Code::CutoffNotInFuture, "cutoff_ms");
    let late = Round::open(draft(), draft().cutoff_ms - 1);
    assert!(
        late.is_ok(),
        "one millisecond before the cut-off still opens"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_field_order() {
    let mut d = draft();
    d.title = String::new();
    d.items[0].list_price = 0;
    d.items[2].code = "OIL-1L".into();
    d.districts[1].name = String::new();
    d.delivery_dates[0] = "2025-13-01".into();
    d.cutoff_ms = 0;
    let problems = Round::open(d, NOW).expect_err("refused").problems;
    let got: Vec<(Code, &str)> = problems.iter().map(|p| (p.code, p.path.as_str())).collect();
    assert_eq!(
        got,
        [
            (Code::Blank, "title"),
            (Code::NotPositive, "items[0].list_price"),
            (Code::DuplicateItem, "items[2].code"),
            (Code::Blank, "districts[1].name"),
            (Code::BadDate, "delivery_dates[0]"),
            (Code::CutoffNotInFuture, "cutoff_ms"),
        ]
    );
}

#[test]
fn a_round_travels_as_its_draft_in_snake_case_json() {
    let round = open(draft());
    let json = serde_json::to_value(&round).expect("serialises");
    assert_eq!(json["fee_model"]["kind"], "per_drop");
    assert_eq!(json["fee_model"]["fee_per_drop"], 3_000);
    assert_eq!(json["items"][0]["breaks"][1]["min_quantity"], 50);
    let back: Round = serde_json::from_value(json.clone()).expect("deserialises");
    assert_eq!(back, round);

    let mut bad = json;
    bad["items"][0]["list_price"] = 0.into();
    let error = serde_json::from_value::<Round>(bad).expect_err("a bad stored round is refused");
    assert!(error.to_string().contains("items[0].list_price"), "{error}");
}

#[test]
fn intents_are_checked_against_the_round_and_its_cutoff() {
    let round = open(draft());
    let good = intent("shop-1", "a", "OIL-1L", 3, 1);
    assert!(round.check_intent(&good, NOW).is_ok());

    let closed = round
        .check_intent(&good, round.cutoff_ms())
        .expect_err("at the cut-off");
    assert!(closed.has(Code::RoundClosed, ""));

    let cases = [
        (
            intent("shop-1", "a", "TEA", 3, 1),
            Code::UnknownItem,
            "item_code",
        ),
        (
            intent("shop-1", "z", "OIL-1L", 3, 1),
            Code::DistrictNotInvited,
            "district_id",
        ),
        (
            intent("shop-1", "a", "OIL-1L", 0, 1),
            Code::BadQuantity,
            "quantity",
        ),
        (
            intent("shop-1", "a", "OIL-1L", MAX_QUANTITY + 1, 1),
            Code::BadQuantity,
            "quantity",
        ),
        (intent("", "a", "OIL-1L", 1, 1), Code::Blank, "shop_id"),
        (
            crate::support::capped(good.clone(), -1),
            Code::Negative,
            "max_unit_price",
        ),
    ];
    for (bad, code, path) in cases {
        let problems = round.check_intent(&bad, NOW).expect_err("refused");
        assert!(problems.has(code, path), "{bad:?}: {problems}");
    }
    // The largest line one intent may hold is worth MAX_YEN at list price
    // (600 yen a bottle here), below MAX_QUANTITY units.
    let most = renkei_procurement::domain::MAX_YEN / 600;
    assert!(most < MAX_QUANTITY);
    assert!(
        round
            .check_intent(&intent("shop-1", "a", "OIL-1L", most, 1), NOW)
            .is_ok()
    );
    let too_much = round
        .check_intent(&intent("shop-1", "a", "OIL-1L", most + 1, 1), NOW)
        .expect_err("more yen than a line may hold");
    assert!(too_much.has(Code::BadQuantity, "quantity"), "{too_much}");
}
