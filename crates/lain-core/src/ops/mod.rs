//! Each command's flow. Commands in the binary build options and call these; these are the only
//! code that talks to helm, docker, the registry or the Kubernetes API.

pub mod init;
pub mod template;
pub mod use_cluster;
