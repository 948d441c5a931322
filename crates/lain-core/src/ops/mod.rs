//! ops: each command's flow, with explicit inputs.

pub mod assign_mr;
pub mod lint;
pub mod send_msg;
pub mod wait_mr_approval;
