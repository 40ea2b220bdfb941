//! Tests of the procurement domain through its public API: the rules of a
//! draft, the pool, the close and the allocation, with property tests
//! driven by a seeded generator so that any failure names the seed that
//! reproduces it.

mod allocation;
mod closing;
mod draft;
mod pool;
mod rng;
mod scale;
mod support;
