//! The user-facing choice of eviction policy, and the one table every fact
//! about a policy outside its own file comes from: its Redis name, the line
//! `evictsim policies` prints, where it comes from (which decides whether a
//! Redis 7.0 server can validate it), the Redis flags the model needs, and
//! its chart colour.
//!
//! Adding a policy takes its file (a type implementing [`Policy`], declared
//! and re-exported in `policy/mod.rs`) and one entry in `policy_table!`:
//! the [`PolicyKind`] variant, [`PolicyKind::ALL`], parsing, the help line,
//! validation's Redis 7.0 check, the chart colour and the
//! [`AnyInstance`](crate::model::AnyInstance) dispatch all follow from it.

use super::{Policy, Touch};
use std::fmt;
use std::str::FromStr;

/// Every policy evictsim models, in report order: the single list that
/// [`PolicyKind`] and [`AnyInstance`](crate::model::AnyInstance) are
/// generated from.
///
/// `policy_table!(then args...)` expands to `then! { (args...) entries }`,
/// so each consumer is a macro that reads the entries its own way. An entry
/// is the policy's type name (re-exported from `policy/`, and also the
/// [`PolicyKind`] variant) and its facts:
///
/// - `name`: the `maxmemory-policy` name, which parsing accepts;
/// - `origin`: `Redis("7.0")` for Redis 7.0's policies, `Redis("8.6")` for
///   one a later release brings (validation refuses it, since it runs
///   redis-server 7.0), `Reference` for evictsim's own;
/// - `volatile_only`: only keys with a TTL may be evicted;
/// - `no_shared_integers`: Redis's `MAXMEMORY_FLAG_NO_SHARED_INTEGERS`;
/// - `colour`: `0xRRGGBB` in every chart (Paul Tol's muted palette, then
///   black and dark grey); each policy needs its own;
/// - `help`: when the policy is right, one line for `evictsim policies`.
macro_rules! policy_table {
    ($then:ident $($args:tt)*) => {
        $then! {
            ($($args)*)
            NoEviction {
                name: "noeviction",
                origin: Redis("7.0"),
                volatile_only: false,
                no_shared_integers: false,
                colour: 0x332288,
                help: "never evict; refuse DENYOOM writes over maxmemory (data stores)",
            }
            AllKeysLru {
                name: "allkeys-lru",
                origin: Redis("7.0"),
                volatile_only: false,
                no_shared_integers: true,
                colour: 0xCC6677,
                help: "sampled LRU over every key (pure caches)",
            }
            AllKeysLfu {
                name: "allkeys-lfu",
                origin: Redis("7.0"),
                volatile_only: false,
                no_shared_integers: true,
                colour: 0x117733,
                help: "sampled LFU over every key (caches with a stable hot set)",
            }
            AllKeysRandom {
                name: "allkeys-random",
                origin: Redis("7.0"),
                volatile_only: false,
                no_shared_integers: false,
                colour: 0xDDCC77,
                help: "a random key, databases in turn",
            }
            VolatileLru {
                name: "volatile-lru",
                origin: Redis("7.0"),
                volatile_only: true,
                no_shared_integers: true,
                colour: 0x88CCEE,
                help: "sampled LRU over keys with a TTL; others are never evicted",
            }
            VolatileLfu {
                name: "volatile-lfu",
                origin: Redis("7.0"),
                volatile_only: true,
                no_shared_integers: true,
                colour: 0x882255,
                help: "sampled LFU over keys with a TTL; others are never evicted",
            }
            VolatileRandom {
                name: "volatile-random",
                origin: Redis("7.0"),
                volatile_only: true,
                no_shared_integers: false,
                colour: 0x44AA99,
                help: "a random key with a TTL",
            }
            VolatileTtl {
                name: "volatile-ttl",
                origin: Redis("7.0"),
                volatile_only: true,
                no_shared_integers: false,
                colour: 0x999933,
                help: "the sampled key with a TTL that expires soonest",
            }
            AllKeysLrm {
                name: "allkeys-lrm",
                origin: Redis("8.6"),
                volatile_only: false,
                no_shared_integers: true,
                colour: 0xAA4499,
                help: "Redis 8.6: least recently modified (reads don't count)",
            }
            VolatileLrm {
                name: "volatile-lrm",
                origin: Redis("8.6"),
                volatile_only: true,
                no_shared_integers: true,
                colour: 0x000000,
                help: "Redis 8.6: least recently modified among keys with a TTL",
            }
            ExactLru {
                name: "exact-lru",
                origin: Reference,
                volatile_only: false,
                no_shared_integers: true,
                colour: 0x777777,
                help: "reference: exact LRU, no sampling (not in Redis)",
            }
        }
    };
}
pub(crate) use policy_table;

/// Generates [`PolicyKind`] and its per-policy methods from the table.
macro_rules! policy_kind {
    (@why Redis("7.0")) => {
        None
    };
    (@why Redis($version:tt)) => {
        Some(concat!(
            "it arrives in Redis ",
            $version,
            " and redis-server 7.0 refuses it"
        ))
    };
    (@why Reference) => {
        Some("it is evictsim's reference, not a Redis policy")
    };
    (() $(
        $v:ident {
            name: $name:literal,
            origin: $origin:ident $(($version:tt))?,
            volatile_only: $volatile:literal,
            no_shared_integers: $no_shared:literal,
            colour: $colour:literal,
            help: $help:literal $(,)?
        }
    )*) => {
        /// A `maxmemory-policy`, plus evictsim's reference `exact-lru`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PolicyKind {
            $(
                #[doc = concat!("`", $name, "`: ", $help, ".")]
                $v,
            )*
        }

        impl PolicyKind {
            /// Every policy evictsim models, in report order.
            pub const ALL: [PolicyKind; [$(PolicyKind::$v),*].len()] = [$(PolicyKind::$v),*];

            /// The name as `maxmemory-policy` spells it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(PolicyKind::$v => $name,)*
                }
            }

            /// When the policy is right, in one line (`evictsim policies`).
            pub const fn help(self) -> &'static str {
                match self {
                    $(PolicyKind::$v => $help,)*
                }
            }

            /// Where the policy comes from.
            pub const fn origin(self) -> Origin {
                match self {
                    $(PolicyKind::$v => Origin::$origin $(($version))?,)*
                }
            }

            /// Whether the policy is evictsim's reference (no server has it):
            /// reports show it apart and leave it out of their verdicts.
            pub const fn is_reference(self) -> bool {
                matches!(self.origin(), Origin::Reference)
            }

            /// Why a Redis 7.0 server cannot run the policy, or `None` when
            /// it can.
            pub const fn redis7_reason(self) -> Option<&'static str> {
                match self {
                    $(PolicyKind::$v => policy_kind!(@why $origin $(($version))?),)*
                }
            }

            /// Whether the policy only evicts keys that carry a TTL.
            pub const fn volatile_only(self) -> bool {
                match self {
                    $(PolicyKind::$v => $volatile,)*
                }
            }

            /// Whether Redis disables shared integers under this policy
            /// (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`: the LRU and LFU
            /// families, which need a clock per object).
            pub const fn no_shared_integers(self) -> bool {
                match self {
                    $(PolicyKind::$v => $no_shared,)*
                }
            }

            /// Whether the key's 24-bit field holds an LFU counter rather
            /// than an LRU clock (from the policy type's [`Policy::TOUCH`]).
            pub const fn is_lfu(self) -> bool {
                match self {
                    $(PolicyKind::$v => matches!(<super::$v as Policy>::TOUCH, Touch::Lfu),)*
                }
            }

            /// The policy's colour in every chart, as red, green and blue.
            pub const fn colour(self) -> [u8; 3] {
                let rgb: u32 = match self {
                    $(PolicyKind::$v => $colour,)*
                };
                [(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]
            }
        }
    };
}

policy_table!(policy_kind);

/// Where a policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A Redis policy: `"7.0"` when Redis 7.0 has it, else the release that
    /// brings it.
    Redis(&'static str),
    /// evictsim's own reference, not a Redis policy.
    Reference,
}

/// How many of [`PolicyKind::ALL`] Redis 7.0 has.
const REDIS7_LEN: usize = {
    let (mut n, mut i) = (0, 0);
    while i < PolicyKind::ALL.len() {
        if PolicyKind::ALL[i].redis7_reason().is_none() {
            n += 1;
        }
        i += 1;
    }
    n
};

impl PolicyKind {
    /// The eight policies of Redis 7.0, in report order.
    pub const REDIS7: [PolicyKind; REDIS7_LEN] = {
        let mut out = [PolicyKind::NoEviction; REDIS7_LEN];
        let (mut n, mut i) = (0, 0);
        while i < PolicyKind::ALL.len() {
            if PolicyKind::ALL[i].redis7_reason().is_none() {
                out[n] = PolicyKind::ALL[i];
                n += 1;
            }
            i += 1;
        }
        out
    };

    /// The names of Redis 7.0's policies as a sentence lists them:
    /// `noeviction, allkeys-lru, ... and volatile-ttl`.
    pub fn redis7_names() -> String {
        let names = PolicyKind::REDIS7.map(PolicyKind::name);
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// Every name, grouped by origin in report order, as the `--policy`
    /// help gives them: `Redis names: ...; Redis 8.6: ...; reference: ...`.
    pub fn names_by_origin() -> String {
        let mut groups: Vec<(Origin, Vec<&str>)> = Vec::new();
        for p in PolicyKind::ALL {
            match groups.iter_mut().find(|(o, _)| *o == p.origin()) {
                Some((_, names)) => names.push(p.name()),
                None => groups.push((p.origin(), vec![p.name()])),
            }
        }
        let group = |(origin, names): &(Origin, Vec<&str>)| {
            let label = match origin {
                Origin::Redis("7.0") => "Redis names".to_string(),
                Origin::Redis(version) => format!("Redis {version}"),
                Origin::Reference => "reference".to_string(),
            };
            format!("{label}: {}", names.join(", "))
        };
        groups.iter().map(group).collect::<Vec<_>>().join("; ")
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy name that evictsim does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy '{0}' (expected one of: {})", PolicyKind::ALL.map(PolicyKind::name).join(", "))]
pub struct UnknownPolicy(pub String);

impl FromStr for PolicyKind {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        PolicyKind::ALL
            .into_iter()
            .find(|p| p.name() == lower)
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in PolicyKind::ALL {
            assert_eq!(p.name().parse::<PolicyKind>().unwrap(), p);
        }
        assert!("lru".parse::<PolicyKind>().is_err());
    }

    #[test]
    fn every_policy_has_its_own_name_and_colour() {
        for (i, a) in PolicyKind::ALL.iter().enumerate() {
            for b in &PolicyKind::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.colour(), b.colour(), "{a} and {b}");
            }
        }
    }

    #[test]
    fn redis7_is_the_eight_policies_redis_7_0_runs() {
        assert_eq!(PolicyKind::REDIS7.len(), 8);
        assert_eq!(PolicyKind::REDIS7[..], PolicyKind::ALL[..8]);
        assert_eq!(
            PolicyKind::AllKeysLrm.redis7_reason(),
            Some("it arrives in Redis 8.6 and redis-server 7.0 refuses it")
        );
        assert_eq!(
            PolicyKind::ExactLru.redis7_reason(),
            Some("it is evictsim's reference, not a Redis policy")
        );
    }

    #[test]
    fn is_lfu_follows_the_policy_types_touch() {
        let lfu: Vec<PolicyKind> = PolicyKind::ALL.into_iter().filter(|p| p.is_lfu()).collect();
        assert_eq!(lfu, [PolicyKind::AllKeysLfu, PolicyKind::VolatileLfu]);
    }

    #[test]
    fn name_lists_read_as_the_help_and_errors_print_them() {
        assert_eq!(
            PolicyKind::redis7_names(),
            "noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, \
             volatile-lfu, volatile-random and volatile-ttl"
        );
        assert_eq!(
            PolicyKind::names_by_origin(),
            "Redis names: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, \
             volatile-lru, volatile-lfu, volatile-random, volatile-ttl; \
             Redis 8.6: allkeys-lrm, volatile-lrm; reference: exact-lru"
        );
    }
}
