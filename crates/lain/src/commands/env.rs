use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use lain_core::context::Ctx;
use lain_core::ops::env;
use lain_core::output;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Values live in the Kubernetes Secret APPNAME-env; every container loads them as environment variables.\nPods see a change after a restart: `lain restart --graceful`, or edit with `lain --auto-pilot env edit`."
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Print the Secret with its values decoded (this is the only command that prints values).
    Show,
    /// Edit in $EDITOR; invalid YAML reopens the editor, a concurrent change is refused.
    Edit,
    /// Set variables: `lain env add MYSQL_PASSWORD=... DEBUG=0` (prints keys only).
    Add {
        #[arg(value_name = "KEY=VALUE", required = true)]
        pairs: Vec<String>,
    },
    /// Remove variables.
    #[command(alias = "rm")]
    Remove {
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
    /// Replace all variables with a file in the `show` format (e.g. an edit lain kept).
    Apply { file: PathBuf },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let change = match a.action {
        Action::Show => {
            output::data(&env::show(ctx)?);
            return Ok(());
        }
        Action::Edit => env::edit(ctx)?,
        Action::Add { pairs } => env::add(ctx, &pairs)?,
        Action::Remove { keys } => env::remove(ctx, &keys)?,
        Action::Apply { file } => env::apply(ctx, &file)?,
    };
    super::announce_change(ctx, &change)
}
