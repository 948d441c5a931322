//! statefulset controller.

use jiff::Timestamp;

use crate::store::Store;

pub fn reconcile(_store: &mut Store, _now: Timestamp) {}
