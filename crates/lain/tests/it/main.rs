//! lain's cluster operations end to end: the real `lain` binary, the real helm 3 and helm 4,
//! and an in-memory Kubernetes API server (kube-sim) steered to produce each failure.

#[path = "../../../lain-core/tests/support/http.rs"]
mod http;
mod observe;
mod support;

mod bench;
mod blue_green;
mod canary;
mod delete_after;
mod deploy;
mod env;
mod hooks;
mod in_pod;
mod logs;
mod restart;
mod rollback;
mod rolling;
mod runtime;
mod strategy_bench;
mod update_image;
