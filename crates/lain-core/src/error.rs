//! The library's error, and the exit codes it maps to. Scripts and CI rely on these codes, so
//! they are part of lain's interface (documented in the README).

use crate::chart::ChartError;
use crate::config::ConfigError;
use crate::helm::HelmError;
use crate::image::ImageError;
use crate::kube::KubeError;
use crate::kubeconfig::KubeconfigError;
use crate::process::ProcessError;

/// Exit codes.
pub mod exit {
    /// Something failed that is not one of the below.
    pub const FAILURE: i32 = 1;
    /// Bad input: invalid values, unknown cluster, missing kubeconfig, bad flags.
    pub const BAD_INPUT: i32 = 2;
    /// A tool lain ran (helm, docker, kubectl, git) failed.
    pub const TOOL_FAILED: i32 = 3;
    /// The app did not become healthy (crash loop, image pull failure, failed job...).
    pub const ROLLOUT_FAILED: i32 = 4;
    /// Gave up waiting.
    pub const TIMED_OUT: i32 = 5;
    /// Interrupted by Ctrl-C (the shell convention, 128 + SIGINT).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum LainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Kube(#[from] KubeError),
    #[error(transparent)]
    Helm(#[from] HelmError),
    #[error("{message}")]
    BadInput { message: String },
    #[error("{message}")]
    RolloutFailed { message: String },
    #[error("{message}")]
    TimedOut { message: String },
    /// The user pressed Ctrl-C (after lain let whatever must not be interrupted finish).
    #[error("{message}")]
    Interrupted { message: String },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl LainError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        LainError::BadInput { message: message.into() }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            LainError::Config(_) | LainError::Kubeconfig(_) | LainError::Chart(_) | LainError::BadInput { .. } => exit::BAD_INPUT,
            LainError::Process(ProcessError::NotFound { .. }) => exit::BAD_INPUT,
            LainError::Process(_) => exit::TOOL_FAILED,
            LainError::Image(e) => match e {
                // The engine or the registry failed: an outside tool or service.
                ImageError::Docker(_) | ImageError::Registry(_) => exit::TOOL_FAILED,
                ImageError::Io { .. } => exit::FAILURE,
                // Spec, tags (dirty tree, not a repo), an existing file, a missing prepare image:
                // something the user fixes in the repo or the values.
                _ => exit::BAD_INPUT,
            },
            LainError::Kube(k) => k.exit_code(),
            LainError::Helm(_) => exit::TOOL_FAILED,
            LainError::RolloutFailed { .. } => exit::ROLLOUT_FAILED,
            LainError::TimedOut { .. } => exit::TIMED_OUT,
            LainError::Interrupted { .. } => exit::INTERRUPTED,
            LainError::Other(_) => exit::FAILURE,
        }
    }
}
