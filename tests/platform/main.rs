//! Cross-service scenarios run against the whole platform: events crossing
//! services on both buses and both engines, the real binary started and
//! killed, the web UI in headless Chromium, the committed OpenAPI document,
//! and the deployment manifests.
//! All of them compile into this one test binary.

mod binary;
mod browser;
mod bus;
/// The demo region of `renkei up --demo`, loaded in process.
#[path = "../../src/demo.rs"]
#[allow(dead_code)]
mod demo;
mod deploy;
mod openapi;
mod orders;
mod procurement;
