//! Each command's flow, taking explicit inputs (a context and an options struct) and returning
//! a typed result; the CLI only builds the inputs and prints the result.
//!
//! Image commands (`build`, `prepare`, `push`, `run`, `save`, `image`, `version`, `compose`)
//! take [`crate::image::ImageContext`].

pub mod build;
pub mod compose;
pub mod image;
pub mod prepare;
pub mod push;
pub mod run;
pub mod save;
pub mod version;

pub use crate::image::{ImageContext, ImageError};
