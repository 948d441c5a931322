//! Command-line definition. Global flags may be given before or after the command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands;

#[derive(Parser, Debug)]
#[command(
    name = "lain",
    version,
    about = "From a git repository to a healthy Kubernetes app: build, deploy with Helm, env and secrets, status, logs, rollback.",
    long_about = None,
    propagate_version = true,
    after_help = "lain prints every helm / kubectl / docker command it runs, so you can always do it by hand.\nStart with `lain init`, then `lain use CLUSTER`, then `lain deploy --build`."
)]
pub struct Cli {
    /// Say more (debug details).
    #[arg(short, long, global = true, conflicts_with = "silent")]
    pub verbose: bool,
    /// Say only errors and results.
    #[arg(short, long, global = true)]
    pub silent: bool,
    /// An extra values file applied after chart/values-CLUSTER.yaml (repeatable; e.g. a
    /// values-override.yaml that changes appname or releaseName).
    #[arg(short = 'f', long = "values", global = true, value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Run this command against CLUSTER (switches first, exactly like `lain use CLUSTER`).
    #[arg(long = "use", global = true, value_name = "CLUSTER")]
    pub use_cluster: Option<String>,
    /// Fix what can be fixed on the way: build a missing image, recover a release stuck in
    /// pending-*, restart gracefully after env/secret edits.
    #[arg(short = 'a', long, global = true)]
    pub auto_pilot: bool,
    /// Use the cluster's remote Docker daemon (`remote_docker` in the cluster configuration).
    #[arg(long, global = true)]
    pub remote_docker: bool,
    /// Skip `lain lint` before deploying.
    #[arg(long, global = true)]
    pub ignore_lint: bool,
    /// Answer yes to every confirmation (for CI; lain never prompts without a terminal anyway).
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create chart/ (Helm chart and the values.yaml you edit) for this repository.
    Init(commands::init::Args),
    /// Point ~/.kube/config at ~/.kube/kubeconfig-CLUSTER; without CLUSTER, list clusters.
    Use(commands::use_cluster::Args),
    /// Print the Kubernetes manifests a deploy would apply (rendered by helm).
    Template(commands::template::Args),
    /// Is it safe to walk away? Pods, abnormal containers with their logs, endpoints, the release.
    Status(commands::status::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(commands::completions::Args),
}
