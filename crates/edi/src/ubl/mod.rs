//! UBL 2.1 in the Peppol BIS ordering and despatch profiles: Order,
//! OrderChange, OrderCancellation, OrderResponse, DespatchAdvice and
//! ReceiptAdvice mapped to and from the canonical documents, and the Peppol
//! Message Level Response (an `ApplicationResponse`) as acknowledgement.
//!
//! A UBL file is one document. [`read`] streams it with `quick_xml`'s
//! namespace-resolving reader, so element names are matched by namespace
//! and local name whatever prefixes the sender chose; only the elements of
//! the header and of one line at a time are kept. [`write()`] produces a
//! document with the default namespace of its root and the prefixes `cac`
//! and `cbc`, one element per line.
//!
//! # Documents
//!
//! | Document | Root element | `cbc:CustomizationID` | `cbc:ProfileID` |
//! |---|---|---|---|
//! | [`Order`](crate::Order) | `Order` | `urn:fdc:peppol.eu:poacc:trns:order:3` | `urn:fdc:peppol.eu:poacc:bis:ordering:3` |
//! | [`OrderChange`](crate::OrderChange) | `OrderChange` | `urn:fdc:peppol.eu:poacc:trns:order_change:3` | `urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3` |
//! | [`OrderCancellation`](crate::OrderCancellation) | `OrderCancellation` | `urn:fdc:peppol.eu:poacc:trns:order_cancellation:3` | `urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3` |
//! | [`OrderResponse`](crate::OrderResponse) | `OrderResponse` | `urn:fdc:peppol.eu:poacc:trns:order_response:3` | `urn:fdc:peppol.eu:poacc:bis:ordering:3` |
//! | [`DespatchAdvice`](crate::DespatchAdvice) | `DespatchAdvice` | `urn:fdc:peppol.eu:poacc:trns:despatch_advice:3` | `urn:fdc:peppol.eu:poacc:bis:despatch_advice:3` |
//! | [`ReceiptAdvice`](crate::ReceiptAdvice) | `ReceiptAdvice` | `urn:fdc:peppol.eu:poacc:trns:receipt_advice:3` | `urn:fdc:peppol.eu:poacc:bis:receipt_advice:3` |
//!
//! The root's namespace is `urn:oasis:names:specification:ubl:schema:xsd:<Root>-2`.
//! The receipt advice identifiers follow the Peppol naming pattern; the
//! reader does not check `CustomizationID` or `ProfileID`, so a partner may
//! send any.
//!
//! # Mapping
//!
//! Paths are relative to the root, or to the line element for line fields.
//!
//! | Canonical | UBL | Notes |
//! |---|---|---|
//! | number | `cbc:ID` | required |
//! | issued | `cbc:IssueDate` | `YYYY-MM-DD`, a time zone suffix is accepted and dropped |
//! | buyer (order, change, cancellation, response) | `cac:BuyerCustomerParty/cac:Party` | |
//! | seller (order, change, cancellation, response) | `cac:SellerSupplierParty/cac:Party` | |
//! | buyer (despatch, receipt) | `cac:DeliveryCustomerParty/cac:Party` | `cac:BuyerCustomerParty` wins when present |
//! | seller (despatch, receipt) | `cac:DespatchSupplierParty/cac:Party` | `cac:SellerSupplierParty` wins when present |
//! | party id | `cbc:EndpointID` | written with `schemeID="0088"` (GLN) for 13 digits, `0221` for a Japanese invoice registration number (`T` and 13 digits), otherwise without `schemeID`; read from `cac:PartyIdentification/cbc:ID` when there is no endpoint; `schemeID="0088"` on anything but 13 digits is refused (the GLN check digit is not verified) |
//! | party name | `cac:PartyName/cbc:Name` | or `cac:PartyLegalEntity/cbc:RegistrationName` |
//! | currency | `cbc:DocumentCurrencyCode` | required where the document has prices; every `currencyID` must equal it |
//! | order note, change note | `cbc:Note` | several notes are joined with a line break; written before `cbc:DocumentCurrencyCode` (in a change after `cbc:SequenceNumberID`, as the schema orders them) |
//! | order number (all but the order) | `cac:OrderReference/cbc:ID` | required |
//! | change sequence | `cbc:SequenceNumberID` | the canonical model has none: written as `1`, not read |
//! | cancellation reason | `cbc:CancellationNote` | several are joined with a line break |
//! | response as a whole | `cbc:OrderResponseCode` | written `AP` (all accepted), `RE` (all rejected), `CA` (otherwise), Peppol's UNCL 4343 subset; read also `AB`, and UNCL 1225 `29`, `27`, `4`, `30`; not required |
//! | despatch: shipped | `cac:Shipment/cac:Delivery/cac:Despatch/cbc:ActualDespatchDate` | |
//! | despatch: expected delivery | `cac:Shipment/cac:Delivery/cac:EstimatedDeliveryPeriod/cbc:EndDate` | |
//! | despatch: carrier | `cac:Shipment/cac:Consignment/cac:CarrierParty/cac:PartyName/cbc:Name` | |
//! | despatch: tracking | `cac:Shipment/cac:Consignment/cbc:CarrierAssignedID` | or `cac:Shipment/cac:Delivery/cbc:TrackingID` |
//! | despatch: packages | `cac:Shipment/cbc:TotalTransportHandlingUnitQuantity` | 0 when absent; `cac:Shipment/cbc:ID` and `cac:Consignment/cbc:ID` are written as the despatch number |
//! | receipt: despatch number | `cac:DespatchDocumentReference/cbc:ID` | |
//! | receipt: received | `cac:Shipment/cac:Delivery/cbc:ActualDeliveryDate` | `cac:Shipment/cbc:ID` is written as the receipt number |
//!
//! Lines: `cac:OrderLine` (order, change, response), `cac:DespatchLine`,
//! `cac:ReceiptLine`; at least one, and no order line number twice.
//!
//! | Canonical | UBL | Notes |
//! |---|---|---|
//! | order line number | `cac:LineItem/cbc:ID` | order and change; a whole number |
//! | response line number | `cac:OrderLineReference/cbc:LineID` | the order line; `cac:LineItem/cbc:ID` when absent; both written |
//! | despatch and receipt line number | `cac:OrderLineReference/cbc:LineID` | the order line, required; the line's own `cbc:ID` is written equal to it |
//! | quantity | `cac:LineItem/cbc:Quantity`, `cbc:DeliveredQuantity`, `cbc:ReceivedQuantity` | `unitCode` required, a UN/ECE Rec 20 code |
//! | damaged | `cbc:RejectedQuantity` | in the unit of the received quantity; written with `cbc:RejectReasonCode` `DMG` (UBL names no code list; the reader takes any reason) |
//! | unit price | `cac:LineItem/cac:Price/cbc:PriceAmount` | `currencyID` required |
//! | requested delivery | `cac:LineItem/cac:Delivery/cac:RequestedDeliveryPeriod/cbc:EndDate` | |
//! | confirmed delivery | `cac:LineItem/cac:Delivery/cac:PromisedDeliveryPeriod/cbc:EndDate` | |
//! | delivery site | `cac:LineItem/cac:Delivery/cac:DeliveryLocation/cbc:ID` | `schemeID` as for party ids |
//! | change action | `cac:LineItem/cbc:LineStatusCode` | UNCL 1229: `1` added, `2` deleted, `3` changed |
//! | response status | `cac:LineItem/cbc:LineStatusCode` | UNCL 1229: `5` accepted, `3` changed (`6` read as changed), `7` not accepted |
//! | response quantity | `cac:LineItem/cbc:Quantity` | required unless the line is rejected; a rejected line's zero is read as none |
//! | response reason | `cac:OrderLine/cbc:Note` | or `cac:LineItem/cbc:Note` |
//! | item description | `cac:Item/cbc:Name` | or `cac:Item/cbc:Description` |
//! | buyer's code | `cac:Item/cac:BuyersItemIdentification/cbc:ID` | |
//! | seller's code | `cac:Item/cac:SellersItemIdentification/cbc:ID` | |
//! | GTIN | `cac:Item/cac:StandardItemIdentification/cbc:ID` | `schemeID="0160"` (or none); the check digit is verified |
//!
//! An order also gets `cac:AnticipatedMonetaryTotal` (the sum of the priced
//! lines) so that it is complete; the reader ignores it. Values are read
//! with surrounding white space removed. Elements in other namespaces (such
//! as `ext:UBLExtensions`) and UBL elements without a canonical meaning are
//! skipped.
//!
//! # Problems
//!
//! Every problem has an XPath with the prefixes `cac` and `cbc` whatever
//! the input used, the root without prefix, line elements always indexed
//! (`/Order/cac:OrderLine[2]/cac:LineItem/cbc:Quantity`) and any other
//! element indexed from its second occurrence; an attribute is named as
//! `/@unitCode`. The line is the line of the element's start tag (for a
//! missing element: of its nearest present ancestor). Malformed XML, an
//! unknown root and text that is not UTF-8 stop reading. When the header
//! read before that point names both parties and the document's number (a
//! document cut short in its lines, say), the stop is a problem of the one
//! message, which is rejected, and the reading has an envelope, so that
//! the sender can be answered; otherwise it is a problem of the
//! [`Reading`](crate::Reading) as a whole and no message is reported. A
//! known root in another namespace (`Order-3`) is read to its end for the
//! same reason, and the document refused with that one problem.
//! Everything else is a problem of the one message.
//!
//! # Acknowledgement
//!
//! [`application_response`] writes the Peppol Message Level Response
//! (`urn:fdc:peppol.eu:poacc:trns:mlr:3`): `AP` when everything was
//! accepted, `RE` otherwise (`AB` when there was nothing to judge), and one
//! `cac:LineResponse` per problem whose `cbc:LineID` is the XPath, with
//! `cbc:StatusReasonCode` `SV` (syntax violation) for what a schema check
//! finds (malformed XML, an unsupported document, an element missing,
//! misplaced or repeated) and `BV` (business rule violation) for bad
//! values and the rules (a date, a GTIN, an unknown code, a duplicate, a
//! party that is not the partner).

mod read;
mod write;

pub use read::read;
pub use write::{application_response, write};

/// The namespace of the common aggregate components (`cac`).
pub const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
/// The namespace of the common basic components (`cbc`).
pub const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// The documents this module reads and writes, by root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Order,
    OrderChange,
    OrderCancellation,
    OrderResponse,
    DespatchAdvice,
    ReceiptAdvice,
}

impl Root {
    const ALL: [Root; 6] = [
        Root::Order,
        Root::OrderChange,
        Root::OrderCancellation,
        Root::OrderResponse,
        Root::DespatchAdvice,
        Root::ReceiptAdvice,
    ];

    fn name(self) -> &'static str {
        match self {
            Root::Order => "Order",
            Root::OrderChange => "OrderChange",
            Root::OrderCancellation => "OrderCancellation",
            Root::OrderResponse => "OrderResponse",
            Root::DespatchAdvice => "DespatchAdvice",
            Root::ReceiptAdvice => "ReceiptAdvice",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Root::Order => "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
            Root::OrderChange => "urn:oasis:names:specification:ubl:schema:xsd:OrderChange-2",
            Root::OrderCancellation => {
                "urn:oasis:names:specification:ubl:schema:xsd:OrderCancellation-2"
            }
            Root::OrderResponse => "urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2",
            Root::DespatchAdvice => "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2",
            Root::ReceiptAdvice => "urn:oasis:names:specification:ubl:schema:xsd:ReceiptAdvice-2",
        }
    }

    /// `cbc:CustomizationID` and `cbc:ProfileID`.
    fn profile(self) -> (&'static str, &'static str) {
        match self {
            Root::Order => (
                "urn:fdc:peppol.eu:poacc:trns:order:3",
                "urn:fdc:peppol.eu:poacc:bis:ordering:3",
            ),
            Root::OrderChange => (
                "urn:fdc:peppol.eu:poacc:trns:order_change:3",
                "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
            ),
            Root::OrderCancellation => (
                "urn:fdc:peppol.eu:poacc:trns:order_cancellation:3",
                "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
            ),
            Root::OrderResponse => (
                "urn:fdc:peppol.eu:poacc:trns:order_response:3",
                "urn:fdc:peppol.eu:poacc:bis:ordering:3",
            ),
            Root::DespatchAdvice => (
                "urn:fdc:peppol.eu:poacc:trns:despatch_advice:3",
                "urn:fdc:peppol.eu:poacc:bis:despatch_advice:3",
            ),
            Root::ReceiptAdvice => (
                "urn:fdc:peppol.eu:poacc:trns:receipt_advice:3",
                "urn:fdc:peppol.eu:poacc:bis:receipt_advice:3",
            ),
        }
    }

    /// The element of one line, when the document has lines.
    fn line_element(self) -> Option<&'static str> {
        match self {
            Root::Order | Root::OrderChange | Root::OrderResponse => Some("cac:OrderLine"),
            Root::DespatchAdvice => Some("cac:DespatchLine"),
            Root::ReceiptAdvice => Some("cac:ReceiptLine"),
            Root::OrderCancellation => None,
        }
    }

    fn sent_by_buyer(self) -> bool {
        matches!(
            self,
            Root::Order | Root::OrderChange | Root::OrderCancellation | Root::ReceiptAdvice
        )
    }
}

/// Whether `id` has the shape of a GLN: 13 digits. The check digit is not
/// verified: party ids are matched against partner profiles, not computed.
fn gln_shaped(id: &str) -> bool {
    id.len() == 13 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The Peppol electronic address scheme of a party id, when one applies.
fn endpoint_scheme(id: &str) -> Option<&'static str> {
    let b = id.as_bytes();
    if gln_shaped(id) {
        Some("0088")
    } else if b.len() == 14 && b[0] == b'T' && b[1..].iter().all(u8::is_ascii_digit) {
        Some("0221")
    } else {
        None
    }
}
