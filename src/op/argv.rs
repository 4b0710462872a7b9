//! Each command's Redis form, written once: the arguments of the command a
//! [`Cmd`] sends first ([`Cmd::argv`]) and the command an application sends
//! after its reply ([`Cmd::followup`]: a read-through fill after a miss, a
//! sliding `PEXPIRE` after a hit, a rate-limit window's `PEXPIRE` after
//! `INCR` created the counter, a hash's `PEXPIRE` after its `HSET`). A
//! follow-up may have its own (a hash read's fill is an `HSET`, then its
//! `PEXPIRE`), so an op is a chain of at most three commands. The model's
//! argv memory, the validation's encoder and the order in which a replay
//! sends follow-ups all read it, so a new command is described here and
//! nowhere else.

use super::{Cmd, HashFields, SetCond, Value};
use crate::model::Reply;

/// One argument of a Redis command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A fixed word: the command's name, or an option (`PX`, `NX`, `KEEPTTL`).
    Word(&'static str),
    /// The op's key.
    Key,
    /// A string value: `len` bytes, or an integer's decimal text.
    Value(Value),
    /// A signed integer in decimal (an increment).
    Int(i64),
    /// An unsigned integer in decimal (a TTL in ms).
    Uint(u64),
    /// A hash write's field/value pairs: `2 n` arguments, the field names
    /// `f0`, `f1`... ([`HashFields`]) each followed by its value.
    Fields(HashFields),
}

impl Arg {
    /// Length of the argument in bytes; the key's is `key_len`. For
    /// [`Arg::Fields`], of all its arguments together.
    #[inline(always)]
    pub fn len(&self, key_len: u16) -> u64 {
        match *self {
            Arg::Word(w) => w.len() as u64,
            Arg::Key => u64::from(key_len),
            Arg::Value(v) => u64::from(v.len),
            Arg::Int(i) => u64::from(super::decimal_len(i)),
            Arg::Uint(u) => u64::from(super::decimal_len(u.min(i64::MAX as u64) as i64)),
            Arg::Fields(h) => h.bytes(),
        }
    }

    /// How many RESP arguments it stands for: `2 n` for [`Arg::Fields`],
    /// else 1.
    #[inline(always)]
    pub fn count(&self) -> u64 {
        match *self {
            Arg::Fields(h) => 2 * u64::from(h.n),
            _ => 1,
        }
    }
}

/// The most arguments a command has (`SET key value PX ttl NX`; an
/// `HSET`'s fields are one [`Arg::Fields`]).
const MAX_ARGS: usize = 6;

/// A Redis command's arguments, name first, held without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argv {
    args: [Arg; MAX_ARGS],
    len: u8,
}

impl Argv {
    /// The command's name as Redis spells it (`GET`, `SET`...).
    pub fn name(&self) -> &'static str {
        match self.args[0] {
            Arg::Word(w) => w,
            _ => "",
        }
    }

    /// Every argument, the name first.
    pub fn args(&self) -> &[Arg] {
        &self.args[..usize::from(self.len)]
    }
}

impl Cmd {
    /// Calls `f` on each argument of the Redis command this command sends
    /// first, the name first. A read is its `GET` (its fill or slide is a
    /// follow-up); a rate-limit op is its `INCR`. `SETEX`/`PSETEX` are sent
    /// as `SET ... PX`; an aggregate's growth as one `RPUSH` element of that
    /// many bytes, its shrinking as `LPOP`; a hash read is its `HGETALL`, a
    /// hash write its `HSET` of every field (its `PEXPIRE` is a follow-up).
    /// This is the one description;
    /// it compiles to straight-line code where the model sums argv memory.
    #[inline(always)]
    pub fn each_arg(&self, mut f: impl FnMut(Arg)) {
        let name = match *self {
            Cmd::Read(_) => "GET",
            Cmd::Del => "DEL",
            Cmd::GetDel => "GETDEL",
            Cmd::Persist => "PERSIST",
            Cmd::Peek => "EXISTS",
            // Never sent: a replay drops it (it names a command the
            // capture ran, which the model's own commands stand for).
            Cmd::Ran { .. } => "",
            Cmd::IncrWindow { .. } => "INCR",
            Cmd::Set { .. } => "SET",
            Cmd::Expire { .. } => "PEXPIRE",
            Cmd::IncrBy { .. } => "INCRBY",
            Cmd::Append { .. } => "APPEND",
            Cmd::Grow { bytes, .. } if bytes > 0 => "RPUSH",
            Cmd::Grow { .. } | Cmd::Pop { .. } => "LPOP",
            Cmd::HashRead(_) => "HGETALL",
            Cmd::HashSet { .. } => "HSET",
        };
        f(Arg::Word(name));
        f(Arg::Key);
        match *self {
            Cmd::Read(_)
            | Cmd::Del
            | Cmd::GetDel
            | Cmd::Persist
            | Cmd::Peek
            | Cmd::Ran { .. }
            | Cmd::HashRead(_)
            | Cmd::IncrWindow { .. } => {}
            Cmd::HashSet { fields, .. } => f(Arg::Fields(fields)),
            Cmd::Set {
                value,
                ttl_ms,
                cond,
                keep_ttl,
            } => {
                f(Arg::Value(value));
                if ttl_ms > 0 {
                    f(Arg::Word("PX"));
                    f(Arg::Uint(ttl_ms));
                } else if keep_ttl {
                    f(Arg::Word("KEEPTTL"));
                }
                match cond {
                    SetCond::Always => {}
                    SetCond::IfAbsent => f(Arg::Word("NX")),
                    SetCond::IfPresent => f(Arg::Word("XX")),
                }
            }
            Cmd::Expire { ttl_ms } => f(Arg::Uint(ttl_ms)),
            Cmd::IncrBy { delta } => f(Arg::Int(delta)),
            Cmd::Append { len } => f(Arg::Value(Value::bytes(len))),
            Cmd::Grow { bytes, .. } if bytes > 0 => f(Arg::Value(Value::bytes(
                u32::try_from(bytes).unwrap_or(u32::MAX),
            ))),
            Cmd::Grow { .. } | Cmd::Pop { elems: 1 } => {}
            Cmd::Pop { elems } => f(Arg::Uint(u64::from(elems))),
        }
    }

    /// The arguments [`Cmd::each_arg`] gives, collected.
    pub fn argv(&self) -> Argv {
        let mut a = Argv {
            args: [Arg::Key; MAX_ARGS],
            len: 0,
        };
        self.each_arg(|arg| {
            a.args[usize::from(a.len)] = arg;
            a.len += 1;
        });
        a
    }

    /// Whether the command may send a second command after its reply.
    pub fn may_follow_up(&self) -> bool {
        match self {
            Cmd::Read(r) => r.fill.is_some() || r.slide_ms > 0,
            Cmd::HashRead(r) => r.fill.is_some() || r.slide_ms > 0,
            Cmd::HashSet { ttl_ms, .. } => *ttl_ms > 0,
            Cmd::IncrWindow { .. } => true,
            _ => false,
        }
    }

    /// The command the application sends after this one's first command
    /// answered `reply`: a read's fill (`SET key value [PX ttl]`; a hash
    /// read's `HSET`) after a miss or its sliding `PEXPIRE` after a hit, a
    /// hash write's `PEXPIRE` after its `HSET` succeeded, a rate-limit
    /// window's `PEXPIRE` after `INCR` created the key; else none. A
    /// follow-up's own follow-up comes after its reply in turn (only a
    /// hash read's fill has one).
    pub fn followup(&self, reply: Reply) -> Option<Cmd> {
        match (*self, reply) {
            (Cmd::HashRead(spec), Reply::Missing) => spec.fill.map(|fields| Cmd::HashSet {
                fields,
                ttl_ms: spec.fill_ttl_ms,
            }),
            (Cmd::HashRead(spec), Reply::Found) if spec.slide_ms > 0 => Some(Cmd::Expire {
                ttl_ms: spec.slide_ms,
            }),
            (Cmd::HashSet { ttl_ms, .. }, Reply::Found | Reply::Created) if ttl_ms > 0 => {
                Some(Cmd::Expire { ttl_ms })
            }
            (Cmd::Read(spec), Reply::Missing) => spec.fill.map(|value| Cmd::Set {
                value,
                ttl_ms: spec.fill_ttl_ms,
                cond: SetCond::Always,
                keep_ttl: false,
            }),
            (Cmd::Read(spec), Reply::Found) if spec.slide_ms > 0 => Some(Cmd::Expire {
                ttl_ms: spec.slide_ms,
            }),
            (Cmd::IncrWindow { window_ms }, Reply::Created) => {
                Some(Cmd::Expire { ttl_ms: window_ms })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Agg;
    use crate::op::{HashReadSpec, ReadSpec};

    fn words(c: Cmd) -> Vec<String> {
        c.argv()
            .args()
            .iter()
            .map(|a| match a {
                Arg::Word(w) => w.to_string(),
                Arg::Key => "k".into(),
                Arg::Value(v) if v.int => v.int_value.to_string(),
                Arg::Value(v) => format!("<{}>", v.len),
                Arg::Int(i) => i.to_string(),
                Arg::Uint(u) => u.to_string(),
                Arg::Fields(h) => format!("<{}x({}+{})>", h.n, h.field_len, h.value_len),
            })
            .collect()
    }

    #[test]
    fn argv_is_what_redis_receives() {
        let set = |ttl_ms, cond, keep_ttl| Cmd::Set {
            value: Value::bytes(10),
            ttl_ms,
            cond,
            keep_ttl,
        };
        assert_eq!(words(Cmd::Read(ReadSpec::default())), ["GET", "k"]);
        assert_eq!(
            words(set(500, SetCond::IfAbsent, false)),
            ["SET", "k", "<10>", "PX", "500", "NX"]
        );
        assert_eq!(
            words(set(0, SetCond::IfPresent, true)),
            ["SET", "k", "<10>", "KEEPTTL", "XX"]
        );
        assert_eq!(
            words(set(5, SetCond::Always, true)),
            ["SET", "k", "<10>", "PX", "5"]
        );
        assert_eq!(words(Cmd::IncrBy { delta: -3 }), ["INCRBY", "k", "-3"]);
        assert_eq!(words(Cmd::IncrWindow { window_ms: 9 }), ["INCR", "k"]);
        assert_eq!(words(Cmd::Expire { ttl_ms: 0 }), ["PEXPIRE", "k", "0"]);
        assert_eq!(
            words(Cmd::Grow {
                bytes: 7,
                elems: 1,
                kind: Agg::List
            }),
            ["RPUSH", "k", "<7>"]
        );
        assert_eq!(
            words(Cmd::Grow {
                bytes: -7,
                elems: -1,
                kind: Agg::List
            }),
            ["LPOP", "k"]
        );
        assert_eq!(words(Cmd::Pop { elems: 1 }), ["LPOP", "k"]);
        assert_eq!(words(Cmd::Pop { elems: 3 }), ["LPOP", "k", "3"]);
        assert_eq!(words(Cmd::Peek), ["EXISTS", "k"]);
        assert_eq!(Cmd::Del.argv().name(), "DEL");
        assert_eq!(Arg::Uint(u64::MAX).len(0), 19);
        assert_eq!(Arg::Key.len(12), 12);
    }

    #[test]
    fn followups_are_what_the_application_sends() {
        let fill = Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(10)),
            fill_ttl_ms: 5,
            slide_ms: 0,
        });
        assert!(fill.may_follow_up());
        assert!(matches!(
            fill.followup(Reply::Missing),
            Some(Cmd::Set { ttl_ms: 5, .. })
        ));
        assert_eq!(fill.followup(Reply::Found), None);
        let slide = Cmd::Read(ReadSpec {
            slide_ms: 30,
            ..ReadSpec::default()
        });
        assert_eq!(
            slide.followup(Reply::Found),
            Some(Cmd::Expire { ttl_ms: 30 })
        );
        assert_eq!(slide.followup(Reply::Missing), None);
        let w = Cmd::IncrWindow { window_ms: 9 };
        assert_eq!(w.followup(Reply::Created), Some(Cmd::Expire { ttl_ms: 9 }));
        assert_eq!(w.followup(Reply::Found), None);
        assert_eq!(w.followup(Reply::Oom), None);
        assert!(!Cmd::Del.may_follow_up());
        assert!(!Cmd::Read(ReadSpec::default()).may_follow_up());
    }

    #[test]
    fn a_hash_read_fills_with_hset_then_pexpire() {
        let fields = HashFields::new(4, 50);
        let read = Cmd::HashRead(HashReadSpec {
            fill: Some(fields),
            fill_ttl_ms: 900,
            slide_ms: 900,
        });
        assert_eq!(words(read), ["HGETALL", "k"]);
        assert!(read.may_follow_up());
        let fill = read.followup(Reply::Missing).unwrap();
        assert_eq!(
            fill,
            Cmd::HashSet {
                fields,
                ttl_ms: 900
            }
        );
        assert_eq!(words(fill), ["HSET", "k", "<4x(2+50)>"]);
        assert_eq!(fill.argv().args()[2].count(), 8);
        assert_eq!(fill.argv().args()[2].len(0), 208);
        assert_eq!(
            fill.followup(Reply::Created),
            Some(Cmd::Expire { ttl_ms: 900 })
        );
        assert_eq!(
            fill.followup(Reply::Found),
            Some(Cmd::Expire { ttl_ms: 900 })
        );
        assert_eq!(fill.followup(Reply::Oom), None, "an app told -OOM stops");
        assert_eq!(
            Cmd::Expire { ttl_ms: 900 }.followup(Reply::Found),
            None,
            "the chain ends"
        );
        assert_eq!(
            read.followup(Reply::Found),
            Some(Cmd::Expire { ttl_ms: 900 })
        );
        assert_eq!(read.followup(Reply::Skipped), None, "WRONGTYPE");
        let plain = Cmd::HashRead(HashReadSpec::default());
        assert!(!plain.may_follow_up());
        assert_eq!(plain.followup(Reply::Missing), None);
        let no_ttl = Cmd::HashSet { fields, ttl_ms: 0 };
        assert!(!no_ttl.may_follow_up());
        assert_eq!(no_ttl.followup(Reply::Created), None);
        assert_eq!(Arg::Key.count(), 1);
    }
}
