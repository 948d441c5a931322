//! The Kubernetes API, through kube-rs: a client for the current cluster, and the reads and
//! writes lain's commands need (pods, workloads, secrets, logs, exec, events). Nothing here
//! parses kubectl output.

pub mod health;
