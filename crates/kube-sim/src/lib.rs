//! The in-memory Kubernetes API server. See README.md.
