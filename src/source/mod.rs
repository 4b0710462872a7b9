//! Where operations come from: scenario files describing key classes, and
//! the generator that turns a scenario into a deterministic stream of
//! [`Op`](crate::op::Op)s.
//!
//! A scenario is read and validated once ([`Scenario::from_path`]); any
//! mistake is reported with its file, line and field. [`Workload::new`]
//! then replays it as an iterator of ops that every policy sees alike.

mod class;
mod dist;
mod error;
mod fields;
mod generate;
mod hash;
mod lesson;
mod scenario;
mod template;
mod tree;
mod workload;

pub use class::{
    CacheSpec, ClassKind, ClassSpec, CounterSpec, QueueSpec, QueueStructure, Returns, SessionSpec,
    SessionStructure, StaticSpec, DEFAULT_SESSION_FIELDS, MAX_RATE, MAX_SESSION_FIELDS,
};
pub use dist::{DelayDist, Popularity, ValueDist, MAX_VALUE_BYTES};
pub use error::ScenarioError;
pub use lesson::{Lesson, Variant};
pub use scenario::{Scenario, MAX_CLASSES};
pub use template::{KeyTemplate, TemplateError, MAX_KEY_LEN};
pub use workload::Workload;
