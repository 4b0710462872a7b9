//! evictsim: an in-process model of a Redis keyspace bounded by `maxmemory`.

pub mod metrics;
pub mod model;
pub mod op;
pub mod report;
pub mod sim;
pub mod source;
pub mod units;
pub mod validate;
