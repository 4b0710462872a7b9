//! evictsim: an in-process model of a Redis 7.0 keyspace bounded by
//! `maxmemory`, to answer before production does: under this workload and
//! this `maxmemory`, how many critical keys would each eviction policy throw
//! away, and what would that cost?
//!
//! Data flows one way: a source of operations ([`source`]: scenario files and
//! their workload generator) produces [`op::Op`]s with interned keys; [`sim`]
//! feeds the same stream to one [`model::Instance`] per policy; each instance
//! counts into [`metrics`]; [`report`] turns the counts into tables, JSON,
//! CSV and charts. [`sweep`] replays one workload at many `maxmemory`
//! sizes to plan capacity. The model never reads files or prints. For a
//! Redis Cluster, [`cluster`] maps each key to its hash slot and shard
//! once, and [`sim::simulate_cluster`] runs one instance per policy and
//! shard.
//!
//! # Memory cost of the simulator
//!
//! Per resident key, an [`model::keyspace::Entry`] of 48 bytes in a
//! per-database array of slots (a deleted key's slot is reused; the array
//! holds the peak key count, plus up to 2x while it grows, as any `Vec`),
//! and 4 bytes per bucket head of the main dict (one to two per key at
//! Redis's load factor). Once a database holds a key with a TTL, every slot
//! also has a 4-byte `expires` chain link and a key with a TTL its share of
//! `expires`' heads. The bucket chains are modelled because Redis samples by
//! walking consecutive buckets (`dictGetSomeKeys`) and picks one key by
//! first drawing a random non-empty bucket (`dictGetRandomKey`), and they
//! are also the index: a key is found by walking its chain, as `dictFind`
//! does, so nothing is kept per key *id* but two bits
//! ("ever evicted", "lost now") that must outlive the key, since a read
//! that misses because of an eviction is counted long after the key is
//! gone. Keys lost with a TTL still to run keep their deadline in a map
//! (8-byte slots, 3/4 full at most: about 14 bytes each) until it passes. On a 1M-key Zipf(1.0) workload
//! with 93,000 resident keys that is about 60 bytes of RSS per resident key
//! (`examples/footprint.rs`). The exact-LRU reference adds a 16-byte node
//! per slot for its recency list (about 76 bytes per resident key). Nothing is allocated per operation once the
//! arrays have grown.
//!
//! # Example
//!
//! ```
//! use evictsim::model::{AnyInstance, InstanceConfig, PolicyKind};
//! use evictsim::op::{Cmd, Op, SetCond, Value};
//!
//! let cfg = InstanceConfig { maxmemory: 2_000_000, ..Default::default() };
//! let mut redis = AnyInstance::new(PolicyKind::AllKeysLru, &cfg, 1);
//! let ops: Vec<Op> = (0..20_000u32)
//!     .map(|k| Op {
//!         t_ms: k as u64,
//!         key: k,
//!         key_len: 12,
//!         db: 0,
//!         class: 0,
//!         cmd: Cmd::Set { value: Value::bytes(100), ttl_ms: 0, cond: SetCond::Always, keep_ttl: false },
//!     })
//!     .collect();
//! redis.apply_all(&ops);
//! assert!(redis.metrics().totals().evicted > 10_000);
//! assert!(redis.keyspace().used_memory() <= 2_000_000 + 400);
//! ```

pub mod audit;
pub mod cluster;
pub mod conf;
pub mod crash;
pub mod fuzzing;
pub mod inspect;
pub mod metrics;
pub mod model;
pub mod op;
pub mod persistence;
pub mod phase;
pub mod provenance;
pub mod report;
pub mod servers;
pub mod shards;
pub mod sim;
pub mod source;
pub mod split;
pub mod sweep;
pub mod teach;
pub mod trace;
pub mod units;
pub mod validate;
