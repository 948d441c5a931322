use std::path::PathBuf;

use anyhow::Result;
use lain_core::ops::announce;
use clap::Subcommand;
use lain_core::context::Ctx;
use lain_core::ops::secret;
use lain_core::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Files live in the Kubernetes Secret APPNAME-secret; mount one with\n  volumeMounts:\n    - mountPath: /lain/app/deploy/topsecret.txt\n      subPath: topsecret.txt\nPods see a change after a restart: `lain restart --graceful`, or edit with `lain --auto-pilot secret edit`.")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Print the Secret with its files decoded (this is the only command that prints them).
    Show,
    /// Edit in $EDITOR (the first edit starts from an example topsecret.txt).
    Edit,
    /// Upload files, each under its base name: `lain secret add config.json cert.pem`.
    Add {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Remove files.
    #[command(alias = "rm")]
    Remove {
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
    /// Replace all files with a document in the `show` format (e.g. an edit lain kept).
    Apply { file: PathBuf },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    match a.action {
        Action::Show => output::data(&secret::show(ctx)?),
        Action::Edit => {
            let change = secret::edit(ctx)?;
            announce::secret_change(ctx, &ctx.load_app(&[])?, &change);
        }
        Action::Add { files } => {
            let change = secret::add(ctx, &files)?;
            announce::secret_change(ctx, &ctx.load_app(&[])?, &change);
        }
        Action::Remove { keys } => {
            let change = secret::remove(ctx, &keys)?;
            announce::secret_change(ctx, &ctx.load_app(&[])?, &change);
        }
        Action::Apply { file } => {
            let change = secret::apply(ctx, &file)?;
            announce::secret_change(ctx, &ctx.load_app(&[])?, &change);
        }
    }
    Ok(())
}
