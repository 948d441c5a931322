use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::blue_green;
use lain_core::ops::release::parse_duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "Start one with `lain deploy --blue-green`; switch back with `lain rollback --blue-green`.")]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Show the blue/green deploy in flight: which color the Services select, both tags.
    Status,
    /// End it: traffic on green → deploy green's tag as the main release and remove green;
    /// traffic on blue → remove green.
    Finish {
        /// Override values for the main release's deploy, as for `lain deploy`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[arg(long, value_parser = parse_duration, default_value = "300s")]
        timeout: Duration,
    },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    match a.command {
        Sub::Status => {
            match blue_green::state(ctx)? {
                None => lain_core::output::data("no blue/green deploy in flight"),
                Some(s) => {
                    lain_core::output::info(&s.describe());
                    lain_core::output::data(&format!("traffic:  {}{}", s.live, if s.finishing { " (finish in progress: blue is being replaced)" } else { "" }));
                    lain_core::output::data(&format!("blue:     {} ({})", s.blue_release, s.blue_tag.as_deref().unwrap_or("?")));
                    lain_core::output::data(&format!(
                        "green:    {} ({}), {}/{} pods Ready",
                        s.green_release,
                        s.green_tag.as_deref().unwrap_or("?"),
                        s.green_ready,
                        s.green_pods
                    ));
                    if let (Some(since), Some(by)) = (&s.since, &s.by) {
                        lain_core::output::data(&format!("since:    {since} by {by}"));
                    }
                    for svc in &s.services {
                        lain_core::output::data(&format!("service {}: {}", svc.name, svc.live));
                    }
                }
            }
            Ok(())
        }
        Sub::Finish { set, timeout } => {
            let outcome = blue_green::finish(ctx, &set, timeout)?;
            lain_core::output::data(&outcome.summary());
            lain_core::ops::strategy::notify(ctx, &outcome);
            Ok(())
        }
    }
}
