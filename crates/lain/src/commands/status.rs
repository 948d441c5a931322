use anyhow::{Context, Result};
use lain_core::config::AppConfig;
use lain_core::context::Ctx;
use lain_core::error::LainError;
use lain_core::output::{self, Verbosity};
use lain_core::status::model::Level;
use lain_core::status::probe::parse_resolve;
use lain_core::status::session::{self, StatusRequest};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Full-screen dashboard on a terminal; `lain status -s` (or no terminal) prints the same content once, \
with the Kibana and Grafana links. Exit code 4 when something is failing (one-shot modes only).")]
pub struct Args {
    /// Print once instead of opening the dashboard: text (same as -s) or json.
    #[arg(long, short = 'o', value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
    /// Probe an ingress host at this address instead of its DNS answer (like curl --resolve).
    #[arg(long, value_name = "HOST=IP:PORT")]
    pub resolve: Vec<String>,
    /// The image tag every pod should run (default: the release's imageTag).
    #[arg(long, value_name = "TAG")]
    pub expect_tag: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    // One thread: watches, helm and the prober are I/O-bound, and every extra thread costs a
    // malloc arena (memory is the budget with 500 pods: see docs/status.md).
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let mut req = StatusRequest { expected_tag: a.expect_tag, resolve: Vec::new() };
    for r in &a.resolve {
        req.resolve.push(parse_resolve(r).map_err(|e| LainError::bad_input(e.to_string()))?);
    }
    // `-s` is lain's global "only results" flag: for status, the result is the one-shot text.
    let one_shot = a.output.is_some() || output::verbosity() == Verbosity::Silent || !output::interactive();
    if one_shot {
        return print_once(ctx, &app, &req, a.output.unwrap_or(Format::Text));
    }
    dashboard(ctx, &app, &req)
}

fn print_once(ctx: &Ctx, app: &AppConfig, req: &StatusRequest, format: Format) -> Result<()> {
    let model = runtime()?.block_on(session::once(ctx, app, req)).map_err(anyhow::Error::new)?;
    match format {
        Format::Json => output::data(&serde_json::to_string_pretty(&model)?),
        Format::Text => output::data(&lain_core::status::plain::render(&model, jiff::Timestamp::now())),
    }
    if model.verdict.level == Level::Failed {
        return Err(LainError::RolloutFailed { message: format!("{}: {}", app.release_name, model.verdict.summary) }.into());
    }
    Ok(())
}

fn dashboard(ctx: &Ctx, app: &AppConfig, req: &StatusRequest) -> Result<()> {
    runtime()?.block_on(async {
        let live = session::start(ctx, app, req).await.map_err(anyhow::Error::new)?;
        lain_tui::run(live).await.context("the dashboard failed")
    })
}

/// Opens the dashboard after deploy / rollback / restart, when on a terminal; does nothing
/// otherwise (CI has `lain wait` for that). `expected_tag`: the tag just deployed, so pods
/// still on the old tag show as old and the verdict waits for them.
pub fn open_dashboard(ctx: &Ctx, app: &AppConfig, expected_tag: Option<&str>) -> Result<()> {
    if !output::interactive() {
        return Ok(());
    }
    let req = StatusRequest { expected_tag: expected_tag.map(str::to_string), resolve: Vec::new() };
    dashboard(ctx, app, &req)
}
