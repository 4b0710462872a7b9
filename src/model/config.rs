//! The settings of one simulated Redis instance, with Redis's defaults.

use super::clock::EPOCH_UNIX_MS;
use super::layout::Layout;
use super::server::{Allocator, Server};

/// How a key's memory is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MemoryModel {
    /// Redis 7.0's `used_memory`: jemalloc size classes, object and sds
    /// headers, dict entries, hash-table buckets, TTL entries and the empty
    /// server's baseline.
    #[default]
    Redis,
    /// A key costs its value's size and nothing else (no baseline): the byte
    /// capacity model of cache simulators.
    Raw,
}

/// The configuration of one simulated instance (everything but the policy).
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceConfig {
    /// `maxmemory` in bytes; 0 means no limit.
    pub maxmemory: u64,
    /// `maxmemory-samples` (default 5).
    pub samples: u32,
    /// `lfu-log-factor` (default 10).
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` in minutes (default 1; 0 = never decay).
    pub lfu_decay_time: u32,
    /// `databases` (default 16).
    pub databases: u8,
    /// `hz`: cron ticks a second, driving the active expire cycle (default 10).
    pub hz: u32,
    /// `active-expire-effort` 1..=10 (default 1).
    pub active_expire_effort: u32,
    /// `used_memory` of an empty server, in bytes.
    pub baseline_memory: u64,
    /// How key memory is counted.
    pub memory_model: MemoryModel,
    /// The server whose layout, tables, sampling and policies the model
    /// follows (default Redis 7.0).
    pub server: Server,
    /// The allocator whose sizes `used_memory` counts (default: the one
    /// of the server's checked binary).
    pub allocator: Allocator,
    /// Seed of the instance's own randomness (sampling, LFU increments).
    pub seed: u64,
    /// The wall-clock time (unix ms) simulated time 0 stands for: where the
    /// 1-second LRU clock and the LFU minute clock tick. Default
    /// `EPOCH_UNIX_MS` (1,700,000,000,000), a whole minute plus 20 s; a validation sets the
    /// real replay's start so both clocks tick where the server's do.
    pub start_unix_ms: u64,
    /// A read that misses an evicted key counts as lost only if the key's
    /// TTL still had at least this long to run (ms; default 0). A
    /// validation sets the real replay's margin: the client cannot tell a
    /// key evicted just before its deadline from one that expired, so
    /// neither side counts those.
    pub lost_read_margin_ms: u64,
}

/// The wall-clock time (unix ms) a run starts at unless told otherwise:
/// 2023-11-14T22:13:20Z, 20 s past a whole minute.
pub const DEFAULT_START_UNIX_MS: u64 = EPOCH_UNIX_MS;

/// `used_memory` of an empty redis-server 7.0 with one client connected, as
/// measured on 7.0.15 (INFO memory right after start).
pub const DEFAULT_BASELINE_MEMORY: u64 = 914_520;

impl InstanceConfig {
    /// The memory layout of the configured server and allocator.
    pub fn layout(&self) -> Layout {
        Layout::new(self.server, self.allocator)
    }

    /// Follows `server` with its checked binary's allocator and empty
    /// baseline (what `--server` and a scenario's `server` set).
    pub fn set_server(&mut self, server: Server) {
        self.server = server;
        self.allocator = server.default_allocator();
        self.baseline_memory = server.baseline_memory();
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig {
            maxmemory: 0,
            samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            databases: 16,
            hz: 10,
            active_expire_effort: 1,
            baseline_memory: DEFAULT_BASELINE_MEMORY,
            memory_model: MemoryModel::Redis,
            server: Server::Redis70,
            allocator: Allocator::Jemalloc,
            seed: 0,
            start_unix_ms: EPOCH_UNIX_MS,
            lost_read_margin_ms: 0,
        }
    }
}

impl InstanceConfig {
    /// Why this instance has no room for a single key, or `None` when it
    /// has: under the Redis memory model a `maxmemory` at or below the
    /// empty server's baseline refuses or evicts every write at once (Redis
    /// starts so, but it is almost always a unit slip, `kb` for `mb`).
    pub fn no_room(&self) -> Option<String> {
        let (max, base) = (self.maxmemory, self.baseline_memory);
        if self.memory_model != MemoryModel::Redis || max == 0 || max > base {
            return None;
        }
        Some(format!(
            "maxmemory {max} bytes is not above the empty server's used_memory of {base} bytes \
             (Redis 7.0 with nothing stored): every write would be refused or evict at once; \
             raise maxmemory (a unit slip, kb for mb?), or set baseline_memory (scenario) or \
             --memory-model raw (replay) to count keys alone"
        ))
    }
}
