//! Each command's flow. Commands in the binary build options and call these; these are the only
//! code that talks to helm, docker, the registry or the Kubernetes API.

pub mod create_job;
pub mod delete;
pub mod deploy;
pub mod env;
pub mod exec;
pub mod get_values;
pub mod init;
pub mod job;
pub mod logs;
pub mod redeploy;
pub mod release;
pub mod restart;
pub mod rollback;
pub mod secret;
pub mod secret_edit;
pub mod template;
pub mod update_image;
pub mod use_cluster;
pub mod wait;
