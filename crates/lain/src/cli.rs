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
    /// Build the image of the current commit (tag %ct-%H) from values.build.
    Build(commands::images::BuildArgs),
    /// Build (and push) the prepare image: the dependency cache builds start from.
    Prepare(commands::images::PrepareArgs),
    /// Push the current commit's image and `latest`.
    Push(commands::images::PushArgs),
    /// Run a debugging container of the current commit's image (prints the docker command).
    Run(commands::images::RunArgs),
    /// Save the current commit's image to a tarball.
    Save(commands::images::SaveArgs),
    /// Print the current commit's full image reference (for `$(lain image)` in CI).
    Image(commands::images::ImageArgs),
    /// List the app's image tags in the registry, newest first, marking the deployed one.
    Version(commands::images::VersionArgs),
    /// Write a docker-compose.yaml for local debugging.
    Compose(commands::images::ComposeArgs),
    /// Check the values for mistakes, and suggest resources from Prometheus.
    Lint(commands::lint::Args),
    /// Send a message to the app's (and the cluster's) webhooks.
    SendMsg(commands::ci::SendMsgArgs),
    /// Assign a GitLab merge request to two active contributors (assignee and reviewer).
    AssignMr(commands::ci::MrArgs),
    /// Wait until a GitLab merge request is approved (for a CI gate).
    WaitMrApproval(commands::ci::MrArgs),
    /// Is it safe to walk away? Pods, abnormal containers with their logs, endpoints, the release.
    Status(commands::status::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(commands::completions::Args),
    /// Deploy with helm, then wait for the green light (every pod Running and Ready).
    Deploy(commands::deploy::DeployArgs),
    /// Deploy the version running now again, with the working tree's chart and values.
    Redeploy(commands::redeploy::Args),
    /// Change only some procs' image, nothing else.
    UpdateImage(commands::update_image::Args),
    /// Roll back one step (helm rollback); env and secret are not rolled back.
    Rollback(commands::rollback::Args),
    /// Switch the canary (`lain deploy --canary`) to another group of canaryGroups.
    SetCanaryGroup(commands::set_canary_group::Args),
    /// The blue/green deploy in flight (`lain deploy --blue-green`): status, finish.
    BlueGreen(commands::blue_green::Args),
    /// Uninstall the app from the cluster (--purge: its env and secret too).
    Delete(commands::delete::Args),
    /// Print the values the release was deployed with (helm get values).
    GetValues(commands::get_values::Args),
    /// Restart pods (delete them; --graceful: one at a time, waiting for the green light).
    Restart(commands::restart::Args),
    /// Wait until every container of the app is Running and Ready.
    Wait(commands::wait::Args),
    /// Environment variables kept in the Secret APPNAME-env: show, edit, add, remove, apply.
    Env(commands::env::Args),
    /// Files kept in the Secret APPNAME-secret: show, edit, add, remove, apply.
    Secret(commands::secret::Args),
    /// Print the logs of every pod of the app or of one proc (-f follows new pods too).
    Logs(commands::logs::Args),
    /// Run a command (default: a shell) in a running pod.
    X(commands::exec::Args),
    /// Run a one-off Job with the app's image, env and volumes.
    Job(commands::job::Args),
    /// Run a cronjob now.
    CreateJob(commands::create_job::Args),
}
