//! The columns of the flat layout: their English and Japanese names, which
//! document kinds use them, and how a header cell is recognised.

use crate::{ChangeAction, DocumentKind, LineStatus};

use super::Language;

/// Whether a document kind uses a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// The kind has no such field: the cell must stay empty.
    No,
    /// The field may be left empty.
    Optional,
    /// The field must be filled in.
    Required,
}

macro_rules! columns {
    ($($variant:ident $name:literal [$($alias:literal),+];)+) => {
        /// One column of the layout.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) enum Column {
            $($variant,)+
        }

        impl Column {
            /// Every column, in the order they are written.
            pub(crate) const ALL: &'static [Column] = &[$(Column::$variant,)+];

            /// The English header.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Column::$variant => $name,)+
                }
            }

            /// The Japanese headers accepted; the first is the one written.
            pub(crate) fn japanese(self) -> &'static [&'static str] {
                match self {
                    $(Column::$variant => &[$($alias),+],)+
                }
            }
        }
    };
}

columns! {
    DocumentType "document_type" ["文書種別", "伝票種別"];
    Number "number" ["文書番号", "伝票番号"];
    OrderNumber "order_number" ["発注番号", "注文番号"];
    Issued "issued" ["発行日", "伝票日付"];
    BuyerId "buyer_id" ["発注者ID", "発注者コード"];
    BuyerName "buyer_name" ["発注者名"];
    SellerId "seller_id" ["受注者ID", "受注者コード"];
    SellerName "seller_name" ["受注者名"];
    Currency "currency" ["通貨"];
    Note "note" ["備考"];
    DespatchNumber "despatch_number" ["出荷番号", "納品書番号"];
    Shipped "shipped" ["出荷日"];
    ExpectedDelivery "expected_delivery" ["納品予定日"];
    Carrier "carrier" ["運送会社"];
    Tracking "tracking" ["送り状番号", "追跡番号"];
    Packages "packages" ["個口数"];
    Received "received" ["受領日", "入荷日"];
    Line "line" ["行番号", "明細番号"];
    Action "action" ["変更区分"];
    Status "status" ["回答区分"];
    Gtin "gtin" ["JANコード", "JAN", "GTIN"];
    BuyerCode "buyer_code" ["発注者商品コード"];
    SellerCode "seller_code" ["受注者商品コード"];
    Description "description" ["商品名"];
    Quantity "quantity" ["数量"];
    Unit "unit" ["単位"];
    UnitPrice "unit_price" ["単価"];
    RequestedDelivery "requested_delivery" ["納品希望日", "希望納期"];
    ConfirmedDelivery "confirmed_delivery" ["納品回答日", "回答納期"];
    DeliverySite "delivery_site" ["納品先", "納品先コード"];
    ReceivedQuantity "received_quantity" ["受領数量", "入荷数量"];
    DamagedQuantity "damaged_quantity" ["破損数量", "不良数量"];
    Reason "reason" ["理由"];
}

impl Column {
    /// The header written in `language`.
    pub(crate) fn header(self, language: Language) -> &'static str {
        match language {
            Language::English => self.name(),
            Language::Japanese => self.japanese()[0],
        }
    }

    /// Both names, for messages: `quantity (数量)`.
    pub(crate) fn both(self) -> String {
        format!("{} ({})", self.name(), self.japanese()[0])
    }

    /// The column a header cell names, if any.
    pub(crate) fn find(header: &str) -> Option<Column> {
        let key = key(header);
        Column::ALL
            .iter()
            .copied()
            .find(|c| key == c.name() || c.japanese().iter().any(|alias| key == self::key(alias)))
    }

    /// Whether a document of `kind` uses this column.
    pub(crate) fn usage(self, kind: DocumentKind) -> Use {
        use Column as C;
        use DocumentKind as K;
        let lines = kind != K::OrderCancellation;
        let ordering = matches!(kind, K::Order | K::OrderChange);
        let priced = matches!(kind, K::Order | K::OrderChange | K::OrderResponse);
        let required = |yes: bool| if yes { Use::Required } else { Use::No };
        let optional = |yes: bool| if yes { Use::Optional } else { Use::No };
        match self {
            C::DocumentType | C::Number | C::Issued | C::BuyerId | C::SellerId => Use::Required,
            C::BuyerName | C::SellerName => Use::Optional,
            C::OrderNumber if kind == K::Order => Use::Optional,
            C::OrderNumber => Use::Required,
            C::Currency => required(priced),
            C::Note => optional(ordering),
            C::DespatchNumber | C::Received => optional(kind == K::ReceiptAdvice),
            C::Shipped | C::ExpectedDelivery | C::Carrier | C::Tracking | C::Packages => {
                optional(kind == K::DespatchAdvice)
            }
            C::Line => required(lines),
            C::Action => required(kind == K::OrderChange),
            C::Status => required(kind == K::OrderResponse),
            C::Gtin | C::BuyerCode | C::SellerCode | C::Description => optional(lines),
            C::Quantity if kind == K::OrderResponse => Use::Optional,
            C::Quantity => required(ordering || kind == K::DespatchAdvice),
            C::Unit if kind == K::OrderResponse => Use::Optional,
            C::Unit => required(lines),
            C::UnitPrice => optional(priced),
            C::RequestedDelivery | C::DeliverySite => optional(ordering),
            C::ConfirmedDelivery => optional(kind == K::OrderResponse),
            C::ReceivedQuantity => required(kind == K::ReceiptAdvice),
            C::DamagedQuantity => optional(kind == K::ReceiptAdvice),
            C::Reason => optional(matches!(kind, K::OrderCancellation | K::OrderResponse)),
        }
    }

    /// The columns a file holding documents of `kinds` is written with.
    pub(crate) fn for_kinds(kinds: &[DocumentKind]) -> Vec<Column> {
        Column::ALL
            .iter()
            .copied()
            .filter(|c| kinds.iter().any(|&k| c.usage(k) != Use::No))
            .collect()
    }
}

/// Folds full-width ASCII (`ＪＡＮ`, `１２`) and the ideographic space to
/// their ASCII forms, as Japanese input methods often type them.
pub(crate) fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// The form a header or code value is compared in: width-folded, trimmed,
/// ASCII lower-case, spaces and hyphens as underscores.
pub(crate) fn key(text: &str) -> String {
    fold_width(text)
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A document kind's name in `language`.
pub(crate) fn kind_name(kind: DocumentKind, language: Language) -> &'static str {
    match language {
        Language::English => kind.as_str(),
        Language::Japanese => match kind {
            DocumentKind::Order => "発注",
            DocumentKind::OrderChange => "発注変更",
            DocumentKind::OrderCancellation => "発注取消",
            DocumentKind::OrderResponse => "発注回答",
            DocumentKind::DespatchAdvice => "出荷案内",
            DocumentKind::ReceiptAdvice => "受領通知",
        },
    }
}

/// The document kind a `document_type` cell names, in either language.
pub(crate) fn parse_kind(text: &str) -> Option<DocumentKind> {
    let key = key(text);
    DocumentKind::ALL.into_iter().find(|&k| {
        key == kind_name(k, Language::English) || key == kind_name(k, Language::Japanese)
    })
}

/// A change action's name in `language`.
pub(crate) fn action_name(action: ChangeAction, language: Language) -> &'static str {
    match (action, language) {
        (ChangeAction::Added, Language::English) => "added",
        (ChangeAction::Changed, Language::English) => "changed",
        (ChangeAction::Deleted, Language::English) => "deleted",
        (ChangeAction::Added, Language::Japanese) => "追加",
        (ChangeAction::Changed, Language::Japanese) => "変更",
        (ChangeAction::Deleted, Language::Japanese) => "削除",
    }
}

/// The change action an `action` cell names, in either language.
pub(crate) fn parse_action(text: &str) -> Option<ChangeAction> {
    let key = key(text);
    [
        ChangeAction::Added,
        ChangeAction::Changed,
        ChangeAction::Deleted,
    ]
    .into_iter()
    .find(|&a| {
        key == action_name(a, Language::English) || key == action_name(a, Language::Japanese)
    })
}

/// A line status's name in `language`.
pub(crate) fn status_name(status: LineStatus, language: Language) -> &'static str {
    match (status, language) {
        (LineStatus::Accepted, Language::English) => "accepted",
        (LineStatus::Changed, Language::English) => "changed",
        (LineStatus::Rejected, Language::English) => "rejected",
        (LineStatus::Accepted, Language::Japanese) => "承諾",
        (LineStatus::Changed, Language::Japanese) => "変更",
        (LineStatus::Rejected, Language::Japanese) => "拒否",
    }
}

/// The line status a `status` cell names, in either language.
pub(crate) fn parse_status(text: &str) -> Option<LineStatus> {
    let key = key(text);
    [
        LineStatus::Accepted,
        LineStatus::Changed,
        LineStatus::Rejected,
    ]
    .into_iter()
    .find(|&s| {
        key == status_name(s, Language::English) || key == status_name(s, Language::Japanese)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_in_either_language_and_width() {
        assert_eq!(Column::find(" Order Number "), Some(Column::OrderNumber));
        assert_eq!(Column::find("ＪＡＮコード"), Some(Column::Gtin));
        assert_eq!(Column::find("jan"), Some(Column::Gtin));
        assert_eq!(Column::find("数量"), Some(Column::Quantity));
        assert_eq!(Column::find("quantities"), None);
        assert_eq!(
            parse_kind("Despatch Advice"),
            Some(DocumentKind::DespatchAdvice)
        );
        assert_eq!(
            parse_kind("発注取消"),
            Some(DocumentKind::OrderCancellation)
        );
        assert_eq!(parse_status("拒否"), Some(LineStatus::Rejected));
    }

    #[test]
    fn every_column_is_used_by_some_kind_and_names_are_unique() {
        for &c in Column::ALL {
            assert!(
                DocumentKind::ALL.iter().any(|&k| c.usage(k) != Use::No),
                "{c:?}"
            );
            for &other in Column::ALL.iter().filter(|&&o| o != c) {
                assert_ne!(Column::find(c.name()), Some(other));
                for alias in c.japanese() {
                    assert_eq!(Column::find(alias), Some(c), "{alias}");
                }
            }
        }
    }
}
