//! `procurement`: joint ordering (共同発注). A wholesaler or a district
//! association opens a round; shops of the invited shopping districts add
//! what they want to buy until the cut-off; the pooled quantities reach
//! lower price tiers than any shop would alone and go to the wholesaler as
//! one order, delivered once per district.
//!
//! For now the crate holds only the [`domain`]: the rules of a round, free
//! of storage, HTTP and the bus, so that the layers added around it (`app`,
//! `db`, `http`, `events`, as in every service) all work from one
//! deterministic core.

pub mod domain;

/// The service's name: its schema, its SQLite file, its topic, its URL prefix.
pub const NAME: &str = "procurement";
