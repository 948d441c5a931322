//! `lain status`, the terminal dashboard: is it safe to walk away?
//!
//! - [`state`]: what the user is looking at (selection, scroll, view) and the keys that move it;
//! - [`render`]: pure drawing of a [`lain_core::status::model::StatusModel`] into a ratatui
//!   frame (tested with `TestBackend`);
//! - [`app`]: the event loop: terminal input, data from the status feed, and a tick, each by
//!   channel (gitui-style); the terminal is restored on exit, on error and on panic.

pub mod app;
pub mod render;
pub mod state;
pub mod terminal;

pub use app::{run, run_loop};
pub use render::render;
pub use state::{Action, UiState, View};
