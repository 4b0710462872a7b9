//! An instance's persistence settings, as redis.conf spells them: RDB
//! `save` points and the append-only file with its `appendfsync` mode,
//! with Redis 7.0's defaults. The crash model ([`crate::crash`]) reads them
//! to say what a crash would lose for good.

use std::fmt;

/// One `save SECONDS CHANGES` point: snapshot when at least `changes`
/// writes happened and more than `seconds` passed since the last snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last snapshot.
    pub seconds: u64,
    /// Changes since the last snapshot.
    pub changes: u64,
}

/// When the append-only file is fsync'ed (`appendfsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fsync {
    /// After every write, before the reply.
    Always,
    /// Once a second, in a background thread (Redis's default).
    #[default]
    EverySec,
    /// When the kernel writes the page cache back (about every 30 s on
    /// Linux).
    No,
}

impl Fsync {
    /// The name redis.conf uses.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

impl fmt::Display for Fsync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The persistence settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persistence {
    /// RDB snapshot points (empty: `save ""`, no snapshots).
    pub save: Vec<SavePoint>,
    /// `appendonly yes`.
    pub appendonly: bool,
    /// `appendfsync`.
    pub appendfsync: Fsync,
}

impl Default for Persistence {
    /// Redis 7.0's defaults: `save 3600 1 300 100 60 10000`, no AOF,
    /// `appendfsync everysec`.
    fn default() -> Self {
        Persistence {
            save: vec![
                SavePoint {
                    seconds: 3600,
                    changes: 1,
                },
                SavePoint {
                    seconds: 300,
                    changes: 100,
                },
                SavePoint {
                    seconds: 60,
                    changes: 10_000,
                },
            ],
            appendonly: false,
            appendfsync: Fsync::EverySec,
        }
    }
}

impl Persistence {
    /// No persistence at all (`save ""`, `appendonly no`): a pure cache.
    pub fn none() -> Self {
        Persistence {
            save: Vec::new(),
            appendonly: false,
            appendfsync: Fsync::EverySec,
        }
    }

    /// Whether anything survives a restart.
    pub fn is_durable(&self) -> bool {
        self.appendonly || !self.save.is_empty()
    }

    /// The `save` value as redis.conf writes it (`""` for none).
    pub fn save_line(&self) -> String {
        if self.save.is_empty() {
            return "\"\"".to_string();
        }
        self.save
            .iter()
            .map(|p| format!("{} {}", p.seconds, p.changes))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The settings in a few words (`AOF everysec`, `RDB save 3600 1 ...`,
    /// `none`).
    pub fn describe(&self) -> String {
        match (self.appendonly, self.save.is_empty()) {
            (true, true) => format!("AOF appendfsync {}", self.appendfsync),
            (true, false) => format!(
                "AOF appendfsync {} and RDB save {}",
                self.appendfsync,
                self.save_line()
            ),
            (false, false) => format!("RDB save {}", self.save_line()),
            (false, true) => "none (save \"\", appendonly no)".to_string(),
        }
    }
}

/// Reads a `save` value: pairs of `SECONDS CHANGES` separated by spaces,
/// or empty for none.
pub fn parse_save(s: &str) -> Result<Vec<SavePoint>, String> {
    let t = s.trim();
    if t.is_empty() || t == "\"\"" {
        return Ok(Vec::new());
    }
    let nums: Vec<&str> = t.split_whitespace().collect();
    if nums.len() % 2 != 0 {
        return Err(format!(
            "'{t}' has {} numbers: save takes pairs of SECONDS CHANGES (\"\" for none)",
            nums.len()
        ));
    }
    nums.chunks(2)
        .map(|pair| {
            let n = |w: &str| {
                w.parse::<u64>()
                    .map_err(|_| format!("'{w}' in save '{t}' is not a whole number"))
            };
            Ok(SavePoint {
                seconds: n(pair[0])?,
                changes: n(pair[1])?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_lines_read_as_redis_conf_writes_them() {
        assert_eq!(parse_save("").unwrap(), vec![]);
        assert_eq!(parse_save("\"\"").unwrap(), vec![]);
        assert_eq!(
            parse_save("3600 1 300 100 60 10000").unwrap(),
            Persistence::default().save
        );
        assert!(parse_save("3600").unwrap_err().contains("pairs"));
        assert!(parse_save("3600 x").unwrap_err().contains("'x'"));
        assert_eq!(
            Persistence::default().save_line(),
            "3600 1 300 100 60 10000"
        );
        assert_eq!(Persistence::none().save_line(), "\"\"");
        assert!(!Persistence::none().is_durable());
    }
}
