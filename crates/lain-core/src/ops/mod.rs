//! ops: each command's flow, with explicit inputs.

pub mod send_msg;
