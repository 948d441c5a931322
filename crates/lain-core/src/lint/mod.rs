//! lint

pub mod strategy;
