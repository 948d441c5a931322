use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use lain_core::context::Ctx;
use lain_core::ops::secret;
use lain_core::output;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Files live in the Kubernetes Secret APPNAME-secret; mount one with\n  volumeMounts:\n    - mountPath: /lain/app/deploy/topsecret.txt\n      subPath: topsecret.txt\nPods see a change after a restart: `lain restart --graceful`, or edit with `lain --auto-pilot secret edit`."
)]
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
    let change = match a.action {
        Action::Show => {
            output::data(&secret::show(ctx)?);
            return Ok(());
        }
        Action::Edit => secret::edit(ctx)?,
        Action::Add { files } => secret::add(ctx, &files)?,
        Action::Remove { keys } => secret::remove(ctx, &keys)?,
        Action::Apply { file } => secret::apply(ctx, &file)?,
    };
    super::announce_change(ctx, &change)
}
