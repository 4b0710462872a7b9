//! The directives Redis 7.0's config file accepts: every standard config
//! (the `static_configs` table of src/config.c in 7.0.15, TLS ones
//! included, as Debian builds with TLS) with its old alias and whether it
//! takes several arguments, plus the directives only the file reader
//! knows (`include`, `rename-command`, `user`, `loadmodule`, `sentinel`)
//! and the three deprecated ones it skips. A name outside these is a
//! directive redis-server 7.0 refuses to start with.

/// A standard config: its name, its old alias, and whether it takes
/// several arguments (`MULTI_ARG_CONFIG`: a single argument holding spaces
/// is split again, as `save "900 1 300 10"`); any other takes exactly one.
pub(crate) struct Known {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub multi: bool,
}

/// Directives the reader handles itself, with the argument counts Redis
/// accepts (`min`, `max`; `None`: any number from `min`).
pub(crate) const SPECIAL: [(&str, usize, Option<usize>); 5] = [
    ("include", 1, Some(1)),
    ("rename-command", 2, Some(2)),
    ("user", 1, None),
    ("loadmodule", 1, None),
    ("sentinel", 0, None),
];

/// Directives Redis 7.0 still accepts with one argument and ignores.
pub(crate) const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// The standard config named `name` (lower case) or aliased so.
pub(crate) fn lookup(name: &str) -> Option<&'static Known> {
    STANDARD
        .iter()
        .find(|k| k.name == name || k.alias == Some(name))
}

/// The known directive nearest to `name`, if one is within two edits
/// (a typo's likely meaning).
pub(crate) fn closest(name: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .flat_map(|k| std::iter::once(k.name).chain(k.alias))
        .chain(SPECIAL.iter().map(|s| s.0))
        .map(|k| (edits(name, k), k))
        .filter(|&(d, _)| d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// The Levenshtein distance between `a` and `b`, in bytes.
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(x != y)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

macro_rules! known {
    ($(($name:literal, $alias:expr, $multi:literal),)*) => {
        /// Every standard config of Redis 7.0.15, by name.
        const STANDARD: &[Known] = &[$(Known { name: $name, alias: $alias, multi: $multi },)*];
    };
}

known! {
    ("acl-pubsub-default", None, false),
    ("aclfile", None, false),
    ("acllog-max-len", None, false),
    ("active-defrag-cycle-max", None, false),
    ("active-defrag-cycle-min", None, false),
    ("active-defrag-ignore-bytes", None, false),
    ("active-defrag-max-scan-fields", None, false),
    ("active-defrag-threshold-lower", None, false),
    ("active-defrag-threshold-upper", None, false),
    ("active-expire-effort", None, false),
    ("activedefrag", None, false),
    ("activerehashing", None, false),
    ("always-show-logo", None, false),
    ("aof-disable-auto-gc", None, false),
    ("aof-load-truncated", None, false),
    ("aof-rewrite-incremental-fsync", None, false),
    ("aof-timestamp-enabled", None, false),
    ("aof-use-rdb-preamble", None, false),
    ("aof_rewrite_cpulist", None, false),
    ("appenddirname", None, false),
    ("appendfilename", None, false),
    ("appendfsync", None, false),
    ("appendonly", None, false),
    ("auto-aof-rewrite-min-size", None, false),
    ("auto-aof-rewrite-percentage", None, false),
    ("bgsave_cpulist", None, false),
    ("bind", None, true),
    ("bind-source-addr", None, false),
    ("bio_cpulist", None, false),
    ("busy-reply-threshold", Some("lua-time-limit"), false),
    ("client-output-buffer-limit", None, true),
    ("client-query-buffer-limit", None, false),
    ("cluster-allow-pubsubshard-when-down", None, false),
    ("cluster-allow-reads-when-down", None, false),
    ("cluster-allow-replica-migration", None, false),
    ("cluster-announce-bus-port", None, false),
    ("cluster-announce-hostname", None, false),
    ("cluster-announce-ip", None, false),
    ("cluster-announce-port", None, false),
    ("cluster-announce-tls-port", None, false),
    ("cluster-config-file", None, false),
    ("cluster-enabled", None, false),
    ("cluster-link-sendbuf-limit", None, false),
    ("cluster-migration-barrier", None, false),
    ("cluster-node-timeout", None, false),
    ("cluster-port", None, false),
    ("cluster-preferred-endpoint-type", None, false),
    ("cluster-replica-no-failover", Some("cluster-slave-no-failover"), false),
    ("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), false),
    ("cluster-require-full-coverage", None, false),
    ("crash-log-enabled", None, false),
    ("crash-memcheck-enabled", None, false),
    ("daemonize", None, false),
    ("databases", None, false),
    ("dbfilename", None, false),
    ("dir", None, false),
    ("disable-thp", None, false),
    ("dynamic-hz", None, false),
    ("enable-debug-command", None, false),
    ("enable-module-command", None, false),
    ("enable-protected-configs", None, false),
    ("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), false),
    ("hash-max-listpack-value", Some("hash-max-ziplist-value"), false),
    ("hll-sparse-max-bytes", None, false),
    ("hz", None, false),
    ("ignore-warnings", None, false),
    ("io-threads", None, false),
    ("io-threads-do-reads", None, false),
    ("jemalloc-bg-thread", None, false),
    ("key-load-delay", None, false),
    ("latency-monitor-threshold", None, false),
    ("latency-tracking", None, false),
    ("latency-tracking-info-percentiles", None, true),
    ("lazyfree-lazy-eviction", None, false),
    ("lazyfree-lazy-expire", None, false),
    ("lazyfree-lazy-server-del", None, false),
    ("lazyfree-lazy-user-del", None, false),
    ("lazyfree-lazy-user-flush", None, false),
    ("lfu-decay-time", None, false),
    ("lfu-log-factor", None, false),
    ("list-compress-depth", None, false),
    ("list-max-listpack-size", Some("list-max-ziplist-size"), false),
    ("loading-process-events-interval-bytes", None, false),
    ("logfile", None, false),
    ("loglevel", None, false),
    ("masterauth", None, false),
    ("masteruser", None, false),
    ("maxclients", None, false),
    ("maxmemory", None, false),
    ("maxmemory-clients", None, false),
    ("maxmemory-eviction-tenacity", None, false),
    ("maxmemory-policy", None, false),
    ("maxmemory-samples", None, false),
    ("min-replicas-max-lag", Some("min-slaves-max-lag"), false),
    ("min-replicas-to-write", Some("min-slaves-to-write"), false),
    ("no-appendfsync-on-rewrite", None, false),
    ("notify-keyspace-events", None, false),
    ("oom-score-adj", None, false),
    ("oom-score-adj-values", None, true),
    ("pidfile", None, false),
    ("port", None, false),
    ("proc-title-template", None, false),
    ("propagation-error-behavior", None, false),
    ("protected-mode", None, false),
    ("proto-max-bulk-len", None, false),
    ("rdb-del-sync-files", None, false),
    ("rdb-key-save-delay", None, false),
    ("rdb-save-incremental-fsync", None, false),
    ("rdbchecksum", None, false),
    ("rdbcompression", None, false),
    ("repl-backlog-size", None, false),
    ("repl-backlog-ttl", None, false),
    ("repl-disable-tcp-nodelay", None, false),
    ("repl-diskless-load", None, false),
    ("repl-diskless-sync", None, false),
    ("repl-diskless-sync-delay", None, false),
    ("repl-diskless-sync-max-replicas", None, false),
    ("repl-ping-replica-period", Some("repl-ping-slave-period"), false),
    ("repl-timeout", None, false),
    ("replica-announce-ip", Some("slave-announce-ip"), false),
    ("replica-announce-port", Some("slave-announce-port"), false),
    ("replica-announced", None, false),
    ("replica-ignore-disk-write-errors", None, false),
    ("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), false),
    ("replica-lazy-flush", Some("slave-lazy-flush"), false),
    ("replica-priority", Some("slave-priority"), false),
    ("replica-read-only", Some("slave-read-only"), false),
    ("replica-serve-stale-data", Some("slave-serve-stale-data"), false),
    ("replicaof", Some("slaveof"), true),
    ("requirepass", None, false),
    ("sanitize-dump-payload", None, false),
    ("save", None, true),
    ("server_cpulist", None, false),
    ("set-max-intset-entries", None, false),
    ("set-proc-title", None, false),
    ("shutdown-on-sigint", None, true),
    ("shutdown-on-sigterm", None, true),
    ("shutdown-timeout", None, false),
    ("slowlog-log-slower-than", None, false),
    ("slowlog-max-len", None, false),
    ("socket-mark-id", None, false),
    ("stop-writes-on-bgsave-error", None, false),
    ("stream-node-max-bytes", None, false),
    ("stream-node-max-entries", None, false),
    ("supervised", None, false),
    ("syslog-enabled", None, false),
    ("syslog-facility", None, false),
    ("syslog-ident", None, false),
    ("tcp-backlog", None, false),
    ("tcp-keepalive", None, false),
    ("timeout", None, false),
    ("tls-auth-clients", None, false),
    ("tls-ca-cert-dir", None, false),
    ("tls-ca-cert-file", None, false),
    ("tls-cert-file", None, false),
    ("tls-ciphers", None, false),
    ("tls-ciphersuites", None, false),
    ("tls-client-cert-file", None, false),
    ("tls-client-key-file", None, false),
    ("tls-client-key-file-pass", None, false),
    ("tls-cluster", None, false),
    ("tls-dh-params-file", None, false),
    ("tls-key-file", None, false),
    ("tls-key-file-pass", None, false),
    ("tls-port", None, false),
    ("tls-prefer-server-ciphers", None, false),
    ("tls-protocols", None, false),
    ("tls-replication", None, false),
    ("tls-session-cache-size", None, false),
    ("tls-session-cache-timeout", None, false),
    ("tls-session-caching", None, false),
    ("tracking-table-max-keys", None, false),
    ("unixsocket", None, false),
    ("unixsocketperm", None, false),
    ("use-exit-on-panic", None, false),
    ("watchdog-period", None, false),
    ("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), false),
    ("zset-max-listpack-value", Some("zset-max-ziplist-value"), false),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_found() {
        assert!(lookup("maxmemory").is_some_and(|k| !k.multi));
        assert!(lookup("save").is_some_and(|k| k.multi));
        assert_eq!(lookup("slaveof").map(|k| k.name), Some("replicaof"));
        assert_eq!(
            lookup("hash-max-ziplist-entries").map(|k| k.name),
            Some("hash-max-listpack-entries")
        );
        assert!(lookup("maxmemroy").is_none());
        assert!(lookup("include").is_none(), "the reader's own");
    }

    #[test]
    fn a_typo_finds_its_directive() {
        assert_eq!(closest("maxmemroy"), Some("maxmemory"));
        assert_eq!(closest("apendonly"), Some("appendonly"));
        assert_eq!(closest("inclde"), Some("include"));
        assert_eq!(closest("frobnicate"), None);
        assert_eq!(edits("", "abc"), 3);
        assert_eq!(edits("kitten", "sitting"), 3);
    }

    #[test]
    fn every_name_is_listed_once() {
        let mut all: Vec<&str> = STANDARD
            .iter()
            .flat_map(|k| std::iter::once(k.name).chain(k.alias))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(STANDARD.len(), 178);
    }
}
