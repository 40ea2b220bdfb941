//! How the delivery of the pooled order is charged and divided among shops.
//!
//! With [`FeeModel::PerDrop`] each district's drop costs one fee, shared by
//! the district's shops: each pays `fee / n` yen, and the `fee % n` yen
//! left over go one each to the shops that come first, where shops come in
//! order of their earliest submission (`seq`) in that district and then of
//! their id. The shares are whole yen and add up to the fee exactly. With
//! [`FeeModel::PerShop`] every shop pays the same fee.
//!
//! A shop is counted per district: a shop that orders through two
//! districts collects at two drops and takes a share of each.

use serde::{Deserialize, Serialize};

/// How delivery of the pooled order is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeeModel {
    /// One fee per district drop, divided among the district's shops.
    PerDrop {
        /// Yen per drop.
        fee_per_drop: i64,
    },
    /// One fee per shop.
    PerShop {
        /// Yen per shop.
        fee_per_shop: i64,
    },
}

impl FeeModel {
    /// The share of the shop in position `rank` (0 = earliest) among the
    /// `shops` shops of one district that take part.
    pub fn share(self, shops: usize, rank: usize) -> i64 {
        match self {
            FeeModel::PerDrop { fee_per_drop } => fee_share(fee_per_drop, shops, rank),
            FeeModel::PerShop { fee_per_shop } => fee_per_shop,
        }
    }

    /// What a whole district pays when `shops` of its shops take part.
    pub fn district_total(self, shops: usize) -> i64 {
        match self {
            _ if shops == 0 => 0,
            FeeModel::PerDrop { fee_per_drop } => fee_per_drop,
            FeeModel::PerShop { fee_per_shop } => {
                fee_per_shop.saturating_mul(i64::try_from(shops).unwrap_or(i64::MAX))
            }
        }
    }
}

/// The share of `fee` (≥ 0) paid by the party in position `rank` among
/// `parties`: `fee / parties`, plus one yen for the first `fee % parties`
/// parties. Zero when there is nobody to pay or `rank` is not among them.
pub fn fee_share(fee: i64, parties: usize, rank: usize) -> i64 {
    if rank >= parties {
        return 0;
    }
    let (Ok(n), Ok(r)) = (i64::try_from(parties), i64::try_from(rank)) else {
        return 0;
    };
    fee / n + i64::from(r < fee % n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_fee_and_the_earliest_pay_the_odd_yen() {
        let shares: Vec<i64> = (0..3).map(|r| fee_share(1_000, 3, r)).collect();
        assert_eq!(shares, [334, 333, 333]);
        let shares: Vec<i64> = (0..4).map(|r| fee_share(1_002, 4, r)).collect();
        assert_eq!(shares, [251, 251, 250, 250]);
        for fee in [0, 1, 7, 999, 1_000, 10_000_000_000] {
            for n in 1..40 {
                let total: i64 = (0..n).map(|r| fee_share(fee, n, r)).sum();
                assert_eq!(total, fee, "fee {fee} among {n}");
                let (max, min) = (fee_share(fee, n, 0), fee_share(fee, n, n - 1));
                assert!(max - min <= 1);
            }
        }
        assert_eq!(fee_share(1_000, 0, 0), 0);
        assert_eq!(fee_share(1_000, 2, 2), 0);
    }

    #[test]
    fn per_shop_fees_are_the_same_for_everyone() {
        let model = FeeModel::PerShop { fee_per_shop: 500 };
        assert_eq!(model.share(7, 0), 500);
        assert_eq!(model.share(7, 6), 500);
        assert_eq!(model.district_total(7), 3_500);
        assert_eq!(model.district_total(0), 0);
        assert_eq!(
            FeeModel::PerDrop { fee_per_drop: 900 }.district_total(3),
            900
        );
    }
}
