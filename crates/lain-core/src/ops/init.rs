//! `lain init`: write chart/ into the app's repository.

use crate::chart::{self, InitOptions, InitReport};
use crate::context::Ctx;
use crate::error::LainError;

pub fn run(ctx: &Ctx, opts: &InitOptions) -> Result<InitReport, LainError> {
    Ok(chart::init(&ctx.env.cwd, opts)?)
}
