//! `lain status`: what the release looks like right now, and whether it is safe to walk away.
//!
//! Shared by the terminal dashboard (crate lain-tui) and the plain / json output: this module
//! gathers and models, it never draws.
//! - [`model`]: the view model; [`build`]: cluster objects → model (pure);
//! - [`live`] + [`feeds`]: watches and background fetchers that post model updates by message;
//! - [`release`] (helm), [`strategy`] (canary / blue-green in flight), [`probe`] (HTTP),
//!   [`links`] (Kibana / Grafana), [`describe`];
//! - [`plain`]: the `-s` text, and formatting helpers the dashboard shares.

pub mod build;
pub mod describe;
pub mod feeds;
pub mod links;
pub mod live;
pub mod model;
pub mod plain;
pub mod probe;
pub mod quantity;
pub mod release;
pub mod session;
pub mod strategy;

/// The shared pod-health rules (also used by deploy / wait).
pub use crate::kube::health;
