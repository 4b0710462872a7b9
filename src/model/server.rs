//! Which server the model follows: Redis 7.0, Redis 8.2, Valkey 8.1 or
//! Valkey 9.1, and which allocator rounds its allocations. The choice
//! decides a key's layout and cost, the hash tables' shape and growth, the
//! empty server's baseline, how eviction samples keys and which policies
//! exist; `memory::Layout` turns it into numbers once per run.

use super::policy::{Origin, PolicyKind};
use std::fmt;
use std::str::FromStr;

/// A server release whose keyspace the model follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Server {
    /// Redis 7.0 (validated against Debian's 7.0.15): `dict` with a
    /// separate sds key, a 24-byte dict entry and an `expires` dict entry.
    #[default]
    Redis70,
    /// Redis 8.2 (checked against 8.2.3): the key embedded in its value
    /// object (`kvobj`), no-value dicts that hold the object itself.
    Redis82,
    /// Valkey 8.1 (checked against 8.1.8): the key embedded in its value
    /// object, and an open `hashtable` of 64-byte buckets of 7 entries.
    Valkey81,
    /// Valkey 9.1 (checked against 9.1.2): as 8.1, and a value embedded
    /// with its key drops the object's pointer (up to 128 bytes).
    Valkey91,
}

/// The allocator whose size classes `used_memory` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Allocator {
    /// jemalloc: Redis's own build (`--with-lg-quantum=3`: 8, 16, 24, 32,
    /// then four classes per doubling), or, for Redis 7.0, Debian's system
    /// jemalloc (16-byte quantum) that the 7.0 model was validated on.
    Jemalloc,
    /// glibc malloc as a libc build counts it: `malloc_usable_size`, 16-byte
    /// chunks with an 8-byte header, at least 24 usable bytes.
    Libc,
}

impl Server {
    /// Every server, oldest first.
    pub const ALL: [Server; 4] = [
        Server::Redis70,
        Server::Redis82,
        Server::Valkey81,
        Server::Valkey91,
    ];

    /// The name `--server` and a scenario's `server` take.
    pub const fn name(self) -> &'static str {
        match self {
            Server::Redis70 => "redis-7.0",
            Server::Redis82 => "redis-8.2",
            Server::Valkey81 => "valkey-8.1",
            Server::Valkey91 => "valkey-9.1",
        }
    }

    /// The name a person reads: `Redis 7.0`, `Valkey 9.1`.
    pub const fn label(self) -> &'static str {
        match self {
            Server::Redis70 => "Redis 7.0",
            Server::Redis82 => "Redis 8.2",
            Server::Valkey81 => "Valkey 8.1",
            Server::Valkey91 => "Valkey 9.1",
        }
    }

    /// The allocator of the binary each model was checked against: Redis
    /// with jemalloc, the Valkey wheels with libc malloc (their `INFO`
    /// `mem_allocator`).
    pub const fn default_allocator(self) -> Allocator {
        match self {
            Server::Redis70 | Server::Redis82 => Allocator::Jemalloc,
            Server::Valkey81 | Server::Valkey91 => Allocator::Libc,
        }
    }

    /// Whether a small set of strings is a listpack (Redis 7.2 on:
    /// `set-max-listpack-entries`); Redis 7.0 makes it a hash table.
    #[inline(always)]
    pub const fn set_listpacks(self) -> bool {
        !matches!(self, Server::Redis70)
    }

    /// `used_memory` of the empty server with one client connected, as
    /// measured on the binary the model was checked against (`evictsim
    /// calibrate`, allocator as [`Server::default_allocator`]).
    pub const fn baseline_memory(self) -> u64 {
        match self {
            Server::Redis70 => super::config::DEFAULT_BASELINE_MEMORY,
            Server::Redis82 => 741_968,
            Server::Valkey81 => 1_045_416,
            Server::Valkey91 => 1_065_992,
        }
    }

    /// Whether the server has the policy. Redis 7.0 keeps evictsim's
    /// what-if: the later Redis policies (`allkeys-lrm`, `volatile-lrm`,
    /// Redis 8.6) run on its layout, as they always have. Redis 8.2 and
    /// Valkey have the eight policies of Redis 7.0 and no `lrm` (Valkey's
    /// `src/config.c` `maxmemory_policy_enum`; `lrm` arrives in Redis 8.6).
    /// evictsim's reference policies run everywhere.
    pub const fn has_policy(self, p: PolicyKind) -> bool {
        match p.origin() {
            Origin::Reference => true,
            Origin::Redis(_) if p.redis7_reason().is_none() => true,
            Origin::Redis(_) => matches!(self, Server::Redis70),
        }
    }

    /// The policies of [`PolicyKind::ALL`] the server has, in report order.
    pub fn policies(self) -> Vec<PolicyKind> {
        PolicyKind::ALL
            .into_iter()
            .filter(|&p| self.has_policy(p))
            .collect()
    }

    /// The model for a real server's `INFO server`: `redis_version`, and
    /// for Valkey `server_name:valkey` and `valkey_version` (Valkey reports
    /// `redis_version:7.2.4` for compatibility). `None` for a release no
    /// model follows.
    pub fn from_info(server_name: Option<&str>, version: &str) -> Option<Server> {
        let mut parts = version.split('.');
        let major: u32 = parts.next()?.trim().parse().ok()?;
        let minor: u32 = parts.next()?.trim().parse().ok()?;
        let valkey = server_name.is_some_and(|n| n.eq_ignore_ascii_case("valkey"));
        match (valkey, major, minor) {
            (false, 7, 0) => Some(Server::Redis70),
            (false, 8, 2) => Some(Server::Redis82),
            (true, 8, 1) => Some(Server::Valkey81),
            (true, 9, 1) => Some(Server::Valkey91),
            _ => None,
        }
    }
}

impl Allocator {
    /// The name `--allocator` takes (and `INFO`'s `mem_allocator` starts with).
    pub const fn name(self) -> &'static str {
        match self {
            Allocator::Jemalloc => "jemalloc",
            Allocator::Libc => "libc",
        }
    }

    /// The allocator of an `INFO memory` `mem_allocator` value
    /// (`jemalloc-5.3.0`, `libc`), if it is one of these.
    pub fn from_info(mem_allocator: &str) -> Option<Allocator> {
        let a = mem_allocator.trim();
        if a.starts_with("jemalloc") {
            Some(Allocator::Jemalloc)
        } else if a == "libc" {
            Some(Allocator::Libc)
        } else {
            None
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Allocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A server name evictsim does not model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown server '{0}' (expected one of: redis-7.0, redis-8.2, valkey-8.1, valkey-9.1)")]
pub struct UnknownServer(pub String);

impl FromStr for Server {
    type Err = UnknownServer;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Server::ALL
            .into_iter()
            .find(|v| v.name() == lower)
            .ok_or_else(|| UnknownServer(s.to_string()))
    }
}

/// An allocator name evictsim does not model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown allocator '{0}' (expected jemalloc or libc)")]
pub struct UnknownAllocator(pub String);

impl FromStr for Allocator {
    type Err = UnknownAllocator;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jemalloc" => Ok(Allocator::Jemalloc),
            "libc" => Ok(Allocator::Libc),
            _ => Err(UnknownAllocator(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Server::ALL {
            assert_eq!(s.name().parse::<Server>().unwrap(), s);
        }
        assert!("redis-7.2".parse::<Server>().is_err());
        assert_eq!("libc".parse::<Allocator>().unwrap(), Allocator::Libc);
    }

    #[test]
    fn policy_lists_per_server() {
        let lrm = [PolicyKind::AllKeysLrm, PolicyKind::VolatileLrm];
        // Redis 7.0 keeps the what-if lrm policies it always ran.
        assert_eq!(Server::Redis70.policies(), PolicyKind::ALL.to_vec());
        for s in [Server::Redis82, Server::Valkey81, Server::Valkey91] {
            let ps = s.policies();
            assert_eq!(ps.len(), 9, "{s}: the eight and exact-lru");
            for p in lrm {
                assert!(!s.has_policy(p), "{s} has no {p}");
            }
            assert!(ps.contains(&PolicyKind::ExactLru));
            assert_eq!(ps[..8], PolicyKind::REDIS7[..]);
        }
    }

    #[test]
    fn info_picks_the_model() {
        assert_eq!(Server::from_info(None, "7.0.15"), Some(Server::Redis70));
        assert_eq!(
            Server::from_info(Some("redis"), "8.2.3"),
            Some(Server::Redis82)
        );
        assert_eq!(
            Server::from_info(Some("valkey"), "8.1.8"),
            Some(Server::Valkey81)
        );
        assert_eq!(
            Server::from_info(Some("valkey"), "9.1.2"),
            Some(Server::Valkey91)
        );
        // Valkey's compatibility redis_version is not Redis 7.2.
        assert_eq!(Server::from_info(Some("valkey"), "7.2.4"), None);
        assert_eq!(Server::from_info(None, "7.2.4"), None);
        assert_eq!(
            Allocator::from_info("jemalloc-5.3.0"),
            Some(Allocator::Jemalloc)
        );
        assert_eq!(Allocator::from_info("libc"), Some(Allocator::Libc));
        assert_eq!(Allocator::from_info("tcmalloc-2.9"), None);
    }
}
