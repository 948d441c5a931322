//! lain's cluster operations end to end: the real `lain` binary, the real helm 3 and helm 4,
//! and an in-memory Kubernetes API server (kube-sim) steered to produce each failure.

mod support;

mod bench;
mod deploy;
mod env;
mod logs;
mod restart;
mod rollback;
mod runtime;
mod update_image;
