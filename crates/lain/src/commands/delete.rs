use std::io::{BufRead, Write};

use anyhow::{Result, bail};
use lain_core::context::Ctx;
use lain_core::ops::delete::{self, DeleteOptions};
use lain_core::ops::release::Target;
use lain_core::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also delete the env and secret Secrets (APPNAME-env, APPNAME-secret). Everything is gone.
    #[arg(long)]
    pub purge: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    if output::interactive() && !ctx.globals.yes {
        let t = Target::load(ctx, &[])?;
        eprint!(
            "This deletes {} from cluster {}{}. Type the release name to confirm: ",
            t.release,
            t.cluster,
            if a.purge { ", with its env and secret" } else { "" }
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != t.release {
            bail!("not confirmed; nothing deleted");
        }
    }
    delete::run(ctx, &DeleteOptions { purge: a.purge })?;
    Ok(())
}
