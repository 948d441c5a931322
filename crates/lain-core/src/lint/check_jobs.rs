//! Jobs and CronJobs: schedules that parse, hook Jobs (migrations) that fail fast and bounded.

use serde_json::Value;

use super::cron;
use super::walk;
use super::{Severity, Sink};

pub(crate) fn run(values: &Value, sink: &mut Sink) {
    for (name, entry) in walk::entries(values, "cronjobs") {
        let base = walk::join(&walk::join("", "cronjobs"), name);
        schedule(&base, entry, sink);
    }
    for (name, entry) in walk::entries(values, "jobs") {
        let base = walk::join(&walk::join("", "jobs"), name);
        job(name, &base, entry, sink);
    }
}

fn schedule(base: &str, entry: &Value, sink: &mut Sink) {
    let path = walk::join(base, "schedule");
    match entry.get("schedule") {
        Some(Value::String(s)) => {
            if let Err(e) = cron::parse(s) {
                sink.push(
                    Severity::Error,
                    "cron-schedule-invalid",
                    path,
                    format!("schedule `{s}` does not parse: {e}"),
                    "write five fields `minute hour day-of-month month day-of-week` (e.g. `30 2 * * *` = 02:30 daily) or @hourly / @daily / @weekly",
                );
            }
        }
        other => sink.push(
            Severity::Error,
            "cron-schedule-invalid",
            path,
            match other {
                None | Some(Value::Null) => "a cronjob needs a schedule".to_string(),
                Some(v) => format!("schedule must be a string, found `{}`", walk::show(v)),
            },
            "add `schedule: \"30 2 * * *\"` (quoted: a leading `*` or `@` is YAML syntax)",
        ),
    }
}

/// A hook Job is one helm runs around install/upgrade (`helm.sh/hook` annotation): migrations.
fn is_hook(entry: &Value) -> bool {
    entry.get("annotations").and_then(|a| a.get("helm.sh/hook")).is_some_and(|h| !h.is_null())
}

/// Whether a Job looks like a schema migration, by its name or command.
fn is_migration(name: &str, entry: &Value) -> bool {
    let cmd = walk::command_text(entry);
    name.to_ascii_lowercase().contains("migrat")
        || ["migrate", "migration", "alembic", "flyway", "liquibase", "db upgrade", "db:migrate"].iter().any(|w| cmd.contains(w))
}

fn job(name: &str, base: &str, entry: &Value, sink: &mut Sink) {
    let hook = is_hook(entry);
    let migration = is_migration(name, entry);
    if !hook && !migration {
        return;
    }
    let what = if migration { "migration Job" } else { "hook Job" };
    // lain's chart renders `backoffLimit: 0` for jobs that leave it out, so only an explicit
    // retry count is a risk: a half-applied migration run again can corrupt the schema, and a
    // failing hook retried keeps the deploy waiting.
    let backoff = walk::int(entry.get("backoffLimit"));
    // A hook that is not a migration may retry when it says so explicitly.
    if let Some(n) = backoff.filter(|n| migration && *n > 0) {
        sink.push(
            Severity::Warning,
            "migration-retries",
            walk::join(base, "backoffLimit"),
            format!("migration Job retried up to {n} times: re-running a half-applied migration can corrupt the schema"),
            "set `backoffLimit: 0` (or leave it out: lain's chart defaults to 0) and read the failed pod's logs (`lain logs JOB`)",
        );
    }
    if walk::int(entry.get("activeDeadlineSeconds")).is_none() {
        sink.push(
            Severity::Warning,
            "hook-job-deadline",
            walk::join(base, "activeDeadlineSeconds"),
            format!("{what} without activeDeadlineSeconds: one stuck on a database lock blocks the deploy, and keeps running after lain gives up"),
            "set `activeDeadlineSeconds: 3600` (or what the longest migration needs)",
        );
    }
}
