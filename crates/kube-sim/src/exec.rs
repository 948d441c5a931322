//! `pods/exec` over WebSocket (channel protocols v4/v5). Filled in below.

use std::sync::Arc;

use hyper::Response;

use crate::Shared;
use crate::server::{Body, Req, Target, error_response};
use crate::status::ApiError;

pub async fn serve(_shared: Arc<Shared>, _req: Req, _t: &Target, _name: &str) -> Response<Body> {
    error_response(&ApiError::bad_request("Upgrade request required"))
}
