//! Tests of the procurement service. The domain through its public API —
//! the rules of a draft, the pool, the close and the allocation, with
//! property tests driven by a seeded generator so that any failure names
//! the seed that reproduces it — and the service through its HTTP API on
//! SQLite and PostgreSQL.

mod allocation;
mod closing;
mod draft;
mod pool;
mod rng;
mod rounds;
mod scale;
mod service;
mod support;
