//! The simulated kubelet (pod lifecycle) and the metrics API.

use jiff::Timestamp;
use serde_json::Value;

use crate::Shared;
use crate::server::{Req, Target};
use crate::status::ApiResult;
use crate::store::Store;

pub fn reconcile(_shared: &Shared, _store: &mut Store, _now: Timestamp) {}

pub fn metrics(_shared: &Shared, _t: &Target, _req: &Req) -> ApiResult<Value> {
    Err(crate::status::ApiError::no_route())
}
