//! Storybank's integration tests: one binary, a module per capability.
//!
//! Tests that run the `storybank` binary need it built first (`make test` does this:
//! `cargo build --bin storybank`).

mod api;
mod consent;
mod faults;
mod hostile;
mod ingest;
mod packs;
mod search;
mod support;
mod trust;
mod web;
