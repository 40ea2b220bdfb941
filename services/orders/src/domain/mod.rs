//! The order cycle's rules, free of storage and HTTP: the state machine
//! ([`cycle`]) and the channels documents arrive through.

pub mod cycle;
pub mod edi;

pub use cycle::{Line, LineState, OrderState, OrderStatus, RULES, Refusal, apply};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a document reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Typed in the web UI.
    Web,
    /// Sent as JSON through the REST or GraphQL API.
    Api,
    /// Uploaded or sent as an EDI or spreadsheet file, in this format.
    File(renkei_edi::Format),
    /// Placed by a joint-purchase round (procurement) for its buyer.
    JointPurchase,
}

impl Channel {
    /// The name stored and published (`web`, `api`, or the file format's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::File(format) => format.as_str(),
            Channel::JointPurchase => "joint_purchase",
        }
    }
}
