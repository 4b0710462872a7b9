//! The redis.conf reader (`evictsim::conf`) against the files it must read
//! and the ones it must refuse: Debian's own config, includes, a file
//! `CONFIG REWRITE` wrote, the corners of the syntax and broken files with
//! their line and reason; and, where redis-server is installed, against
//! what a real redis-server 7.0 does with the same files (the settings it
//! runs with, the line it stops at).

mod support;

use evictsim::conf::{self, ConfError, DirectiveKind, LoadOptions, RedisConf};
use evictsim::model::PolicyKind;
use evictsim::persistence::{parse_save, Fsync, Persistence};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conf")
}

/// Options that resolve relative includes from the fixtures' directory,
/// as a redis-server started there would.
fn from_fixtures() -> LoadOptions {
    LoadOptions {
        cwd: Some(fixtures()),
    }
}

fn load(name: &str) -> Result<RedisConf, ConfError> {
    conf::load(&fixtures().join(name), &from_fixtures())
}

fn text(s: &str) -> Result<RedisConf, ConfError> {
    conf::load_str(s, "t.conf", &LoadOptions::default())
}

/// Where a setting was made, as `FILE-NAME:LINE`.
fn at(o: &Option<conf::Origin>) -> Option<String> {
    o.as_ref().map(|o| {
        let name = Path::new(&o.file).file_name().unwrap().to_string_lossy();
        format!("{name}:{}", o.line)
    })
}

// ------------------------------------------------------------- the files

#[test]
fn debians_config_reads_without_complaint() {
    let mut files = vec![fixtures().join("debian-redis.conf")];
    // The installed one too, when this machine has it and may read it.
    let installed = PathBuf::from("/etc/redis/redis.conf");
    if std::fs::File::open(&installed).is_ok() {
        files.push(installed);
    }
    for f in files {
        let c = conf::load(&f, &LoadOptions::default()).unwrap();
        assert!(c.warnings.is_empty(), "{}: {:?}", f.display(), c.warnings);
        assert_eq!(c.files.len(), 1);
        assert!(c.directives.len() > 60, "{}", c.directives.len());
        assert!(c.directives.iter().all(|d| d.kind == DirectiveKind::Config));
        let s = &c.settings;
        // Debian sets none of the memory settings: Redis's defaults.
        assert_eq!((s.maxmemory.value, &s.maxmemory.origin), (0, &None));
        assert_eq!(s.policy.value, PolicyKind::NoEviction);
        assert_eq!(s.policy.origin, None);
        // Its save lines are commented out: the default points.
        assert_eq!(c.persistence().save, Persistence::default().save);
        assert_eq!(s.save.origin, None);
        assert!(!s.appendonly.value);
        assert_eq!(
            at(&s.appendonly.origin)
                .unwrap_or_default()
                .split(':')
                .nth(1),
            Some("1379")
        );
        assert_eq!(s.appendfsync.value, Fsync::EverySec);
        assert_eq!(c.last("dir").unwrap().args, ["/var/lib/redis"]);
        assert_eq!(c.all("client-output-buffer-limit").count(), 3);
        assert_eq!(c.rewrite_block, None);
    }
}

#[test]
fn includes_read_in_place_from_the_server_directory() {
    let c = load("with-include.conf").unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let shown = |p: &str| fixtures().join(p).display().to_string();
    assert_eq!(
        c.files,
        [
            shown("with-include.conf"),
            shown("include/shared.conf"),
            shown("include/fragments/10-memory.conf"),
            shown("include/fragments/20-persistence.conf"),
        ]
    );
    let s = &c.settings;
    // The file's own line after the includes wins over the template's.
    assert_eq!(s.maxmemory.value, 48 << 20);
    assert_eq!(
        at(&s.maxmemory.origin).as_deref(),
        Some("with-include.conf:11")
    );
    assert_eq!(
        s.maxmemory
            .overridden
            .iter()
            .map(|o| o.line)
            .collect::<Vec<_>>(),
        [2]
    );
    // The fragments, alphabetically, override the template.
    assert_eq!(s.policy.value, PolicyKind::NoEviction);
    assert_eq!(at(&s.policy.origin).as_deref(), Some("10-memory.conf:2"));
    assert_eq!(s.samples.value, 10);
    // save "" in the template, then the fragment's point.
    assert_eq!(c.persistence().save, parse_save("900 1").unwrap());
    assert!(s.appendonly.value);
    assert_eq!(c.all("include").count(), 2);
}

#[test]
fn a_relative_include_is_not_resolved_from_the_including_file() {
    // From the repository's root, include/shared.conf is not there: Redis
    // would not find it either, and the message says where it is.
    let e = conf::load(
        &fixtures().join("with-include.conf"),
        &LoadOptions {
            cwd: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("with-include.conf:5: include include/shared.conf: cannot open"),
        "{e}"
    );
    assert!(e.contains("not the including file's"), "{e}");
    assert!(e.contains("there is a") && e.contains("beside it"), "{e}");
}

#[test]
fn dir_moves_where_later_includes_resolve() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("data")).unwrap();
    std::fs::write(d.path().join("data/late.conf"), "maxmemory 5mb\n").unwrap();
    std::fs::write(d.path().join("early.conf"), "maxmemory 3mb\n").unwrap();
    let main = d.path().join("main.conf");
    std::fs::write(&main, "include early.conf\ndir data\ninclude late.conf\n").unwrap();
    let c = conf::load(
        &main,
        &LoadOptions {
            cwd: Some(d.path().to_path_buf()),
        },
    )
    .unwrap();
    assert_eq!(c.settings.maxmemory.value, 5 << 20);
    assert_eq!(
        at(&c.settings.maxmemory.origin).as_deref(),
        Some("late.conf:1")
    );
    // A wildcard that matches nothing is skipped, as Redis skips it.
    std::fs::write(&main, "include none/*.conf\nmaxmemory 1gb\n").unwrap();
    let c = conf::load(
        &main,
        &LoadOptions {
            cwd: Some(d.path().into()),
        },
    )
    .unwrap();
    assert_eq!(c.settings.maxmemory.value, 1 << 30);
    assert!(
        c.warnings[0].message.contains("no file matches"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_config_rewrite_file_reads_as_written() {
    let c = load("rewritten.conf").unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let block = c.rewrite_block.clone().expect("the signature");
    assert_eq!(block.line, 17);
    let s = &c.settings;
    // Replaced in place above the block...
    assert_eq!(s.maxmemory.value, 100 << 20);
    assert!(!c.is_rewritten(s.maxmemory.origin.as_ref().unwrap()));
    assert_eq!(c.persistence().save, parse_save("3600 1 60 1000").unwrap());
    assert!(s.appendonly.value);
    // ...and appended in it.
    assert_eq!(s.policy.value, PolicyKind::AllKeysLfu);
    assert!(c.is_rewritten(s.policy.origin.as_ref().unwrap()));
    assert_eq!(s.appendfsync.value, Fsync::Always);
    assert_eq!(s.samples.value, 10);
    assert_eq!(
        c.last("proc-title-template").unwrap().args,
        [r#"{title} "x" {port}"#]
    );
    assert_eq!(c.last("user").unwrap().kind, DirectiveKind::User);
    assert_eq!(c.rewritten().count(), 7);
}

#[test]
fn the_corners_of_the_syntax_read_as_redis_reads_them() {
    let c = load("tricky.conf").unwrap();
    let s = &c.settings;
    assert_eq!(s.maxmemory.value, 3_000_000);
    assert_eq!(s.maxmemory.overridden.len(), 1, "1GB first");
    assert_eq!(s.policy.value, PolicyKind::AllKeysLru);
    assert_eq!(
        c.persistence().save,
        parse_save("900 1 300 10 60 10000").unwrap()
    );
    assert!(s.appendonly.value);
    assert_eq!(s.samples.value, 7);
    assert_eq!(s.hz.value, 500);
    assert_eq!(c.last("masterauth").unwrap().args, ["a#b \"c\" A\t"]);
    assert_eq!(c.last("notify-keyspace-events").unwrap().args, [""]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0]
        .to_string()
        .ends_with("hz 1000: Redis 7.0 runs it as 500 (1 to 500)"));
}

#[test]
fn units_follow_memtoull_in_any_case() {
    for (v, bytes) in [
        ("0", 0),
        ("1000", 1000),
        ("1k", 1000),
        ("1K", 1000),
        ("1kb", 1024),
        ("1KB", 1024),
        ("1kB", 1024),
        ("3m", 3_000_000),
        ("3mb", 3 << 20),
        ("2g", 2_000_000_000),
        ("2Gb", 2 << 30),
        ("12b", 12),
        ("\"64mb\"", 64 << 20),
    ] {
        let c = text(&format!("maxmemory {v}\n")).unwrap();
        assert_eq!(c.settings.maxmemory.value, bytes, "{v}");
        assert!(c.warnings.iter().all(|w| !w.message.contains("digits")));
    }
    // No digits at all: Redis reads 0 without a word; evictsim says so.
    let c = text("maxmemory mb\n").unwrap();
    assert_eq!(c.settings.maxmemory.value, 0);
    assert!(
        c.warnings[0].message.contains("no digits"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn directives_of_every_kind_are_kept() {
    let c = text(
        "rename-command FLUSHALL \"\"\n\
         RENAME-COMMAND config cfg-1\n\
         loadmodule /x/mod.so a b\n\
         mod.setting 1 2\n\
         user alice on >pw ~* +@all\n\
         bind 127.0.0.1 -::1\n\
         client-output-buffer-limit \"replica 256mb 64mb 60\"\n\
         SLAVEOF 10.0.0.1 6379\n\
         list-max-ziplist-entries 512\n\
         frobnicate yes\n",
    )
    .unwrap();
    let kinds: Vec<(String, DirectiveKind)> = c
        .directives
        .iter()
        .map(|d| (d.name.clone(), d.kind))
        .collect();
    use DirectiveKind::*;
    assert_eq!(
        kinds,
        [
            ("rename-command".into(), RenameCommand),
            ("rename-command".into(), RenameCommand),
            ("loadmodule".into(), LoadModule),
            ("mod.setting".into(), ModuleConfig),
            ("user".into(), User),
            ("bind".into(), Config),
            ("client-output-buffer-limit".into(), Config),
            ("replicaof".into(), Config),
            ("list-max-ziplist-entries".into(), Deprecated),
            ("frobnicate".into(), Unknown),
        ]
    );
    assert_eq!(
        c.renamed_commands(),
        [
            ("FLUSHALL".to_string(), String::new()),
            ("config".to_string(), "cfg-1".to_string())
        ]
    );
    // A multi-argument config given one argument has it split again.
    assert_eq!(
        c.last("client-output-buffer-limit").unwrap().args,
        ["replica", "256mb", "64mb", "60"]
    );
    let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("t.conf:9: list-max-ziplist-entries is deprecated"),
        "{w:?}"
    );
    assert!(
        w[1].starts_with(
            "t.conf:10: unknown directive 'frobnicate': kept, but redis-server 7.0 refuses"
        ),
        "{w:?}"
    );
}

#[test]
fn a_policy_of_a_later_redis_is_read_with_a_warning() {
    let c = text("maxmemory-policy allkeys-lrm\n").unwrap();
    assert_eq!(c.settings.policy.value, PolicyKind::AllKeysLrm);
    assert!(
        c.warnings[0].message.contains("Redis 8.6"),
        "{:?}",
        c.warnings
    );
    let e = text("maxmemory-policy exact-lru\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("must be one of the following"), "{e}");
}

// ---------------------------------------------------------- broken files

/// Each broken fixture: the file and line the error points at, and what
/// it says there.
const BROKEN: [(&str, &str, usize, &str); 10] = [
    (
        "unterminated-quote.conf",
        "unterminated-quote.conf",
        4,
        "unbalanced quotes: a double quote is never closed",
    ),
    (
        "after-quote.conf",
        "after-quote.conf",
        5,
        "a closing double quote must be followed by a space",
    ),
    (
        "bad-maxmemory.conf",
        "bad-maxmemory.conf",
        3,
        "maxmemory '1.5gb': argument must be a memory value (no fractions: use a smaller unit)",
    ),
    (
        "bad-policy.conf",
        "bad-policy.conf",
        4,
        "maxmemory-policy 'lru': argument(s) must be one of the following: volatile-lru",
    ),
    (
        "bad-save.conf",
        "bad-save.conf",
        3,
        "save '300': Invalid save parameters (an odd number of arguments",
    ),
    (
        "bad-samples.conf",
        "bad-samples.conf",
        2,
        "maxmemory-samples '0': argument must be between 1 and 2147483647 inclusive",
    ),
    (
        "wrong-arity.conf",
        "wrong-arity.conf",
        2,
        "appendonly takes one argument, not 2",
    ),
    (
        "missing-include.conf",
        "missing-include.conf",
        3,
        "include broken/nowhere.conf: cannot open",
    ),
    // A loop is found at the include that closes it.
    (
        "include-loop.conf",
        "include-loop-2.conf",
        3,
        "include loop:",
    ),
    (
        "include-loop-2.conf",
        "include-loop.conf",
        2,
        "include loop:",
    ),
];

#[test]
fn broken_files_name_their_line_and_reason() {
    for (name, at_file, line, reason) in BROKEN {
        let e = load(&format!("broken/{name}")).unwrap_err();
        assert_eq!(e.line(), Some(line), "{name}: {e}");
        let s = e.to_string();
        let (file, rest) = s
            .split_once(&format!(":{line}: "))
            .unwrap_or_else(|| panic!("{s}"));
        assert!(file.ends_with(&format!("broken/{at_file}")), "{s}");
        assert!(rest.starts_with(reason), "{name}: {rest}");
    }
    // The loop's message walks it.
    let e = load("broken/include-loop.conf").unwrap_err().to_string();
    assert!(
        e.contains("include-loop.conf includes ") && e.contains("include-loop-2.conf includes "),
        "{e}"
    );
    // A file that is not there at all.
    let e = conf::load(Path::new("no/such.conf"), &LoadOptions::default()).unwrap_err();
    assert_eq!(e.line(), None);
    assert!(
        e.to_string().starts_with("no/such.conf: cannot read: "),
        "{e}"
    );
}

// --------------------------------------------------- against redis-server

/// What redis-server prints when started on `conf` from `cwd` (it must
/// stop: a file it accepts is killed after 10 s and fails the test), or
/// None when it is not installed.
fn redis_refusal(conf: &Path, cwd: &Path) -> Option<String> {
    let bin = support::redis::find_server().or_else(|| {
        assert!(!support::redis::required(), "redis-server is not installed");
        eprintln!("SKIPPED: redis-server not installed");
        None
    })?;
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .arg(conf)
        .args(["--port", "0", "--daemonize", "no", "--logfile", "", "--dir"])
        .arg(data.path())
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("redis-server accepted {}", conf.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    // What it printed is far below a pipe's buffer: read it once it exited.
    let mut said = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    Some(said)
}

#[test]
fn redis_server_stops_where_the_reader_does() {
    for (name, _, line, _) in BROKEN {
        if name.starts_with("include-loop") {
            continue; // redis-server would include forever
        }
        let Some(said) = redis_refusal(&fixtures().join("broken").join(name), &fixtures()) else {
            return;
        };
        if name == "missing-include.conf" {
            assert!(
                said.contains("can't open config file 'broken/nowhere.conf'"),
                "{said}"
            );
        } else {
            assert!(
                said.contains(&format!("at line {line}\n")),
                "{name}: {said}"
            );
        }
    }
    // An unknown directive: evictsim keeps it, redis-server refuses it.
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("unknown.conf");
    std::fs::write(&f, "# x\nmaxmemroy 1gb\n").unwrap();
    let c = conf::load(&f, &LoadOptions::default()).unwrap();
    assert!(
        c.warnings[0].message.contains("did you mean maxmemory?"),
        "{:?}",
        c.warnings
    );
    if let Some(said) = redis_refusal(&f, d.path()) {
        assert!(
            said.contains("at line 2") && said.contains("Bad directive"),
            "{said}"
        );
    }
}

/// `CONFIG GET name` on `c`.
fn config_get(c: &mut support::redis::Client, name: &str) -> String {
    match c.cmd(&["CONFIG", "GET", name]) {
        support::redis::Reply::Array(v) => match v.get(1) {
            Some(support::redis::Reply::Bulk(Some(b))) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("CONFIG GET {name}: {other:?}"),
        },
        other => panic!("CONFIG GET {name}: {other:?}"),
    }
}

/// The settings evictsim reads, as CONFIG GET spells them.
fn as_config_get(c: &RedisConf) -> Vec<(&'static str, String)> {
    let s = &c.settings;
    vec![
        ("maxmemory", s.maxmemory.value.to_string()),
        ("maxmemory-policy", s.policy.value.to_string()),
        ("maxmemory-samples", s.samples.value.to_string()),
        ("hz", s.hz.value.to_string()),
        (
            "save",
            c.persistence()
                .save
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "appendonly",
            if s.appendonly.value { "yes" } else { "no" }.into(),
        ),
        ("appendfsync", s.appendfsync.value.to_string()),
    ]
}

/// Starts a real server on `file` from `cwd` and checks that it runs with
/// the settings the reader read, and the string settings `strings` as the
/// reader unquoted them.
fn same_as_redis(file: &Path, cwd: &Path, strings: &[&str]) {
    let c = conf::load(
        file,
        &LoadOptions {
            cwd: Some(cwd.into()),
        },
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let Some(server) = support::redis::Server::start_with_config_in(
        file.to_str().unwrap(),
        data.path().to_str().unwrap(),
        cwd,
    ) else {
        return;
    };
    let mut client = server.client();
    for (name, want) in as_config_get(&c) {
        assert_eq!(
            config_get(&mut client, name),
            want,
            "{} {name}",
            file.display()
        );
    }
    for name in strings {
        let want = c.last(name).unwrap().args.join(" ");
        assert_eq!(
            config_get(&mut client, name),
            want,
            "{} {name}",
            file.display()
        );
    }
}

#[test]
fn redis_server_runs_with_the_settings_the_reader_reads() {
    let f = fixtures();
    same_as_redis(&f.join("tricky.conf"), &f, &["masterauth"]);
    same_as_redis(&f.join("with-include.conf"), &f, &[]);
    same_as_redis(&f.join("rewritten.conf"), &f, &["proc-title-template"]);
    for v in ["1K", "1kB", "3m", "2Gb", "mb"] {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("units.conf");
        std::fs::write(&file, format!("maxmemory {v}\nsave \"\"\n")).unwrap();
        same_as_redis(&file, d.path(), &[]);
    }
}

#[test]
fn a_live_config_rewrite_reads_back_as_the_server_runs() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("redis.conf");
    std::fs::write(
        &file,
        "# written by hand\nmaxmemory 50mb\nsave 900 1\nsave 300 10\nappendonly no\n",
    )
    .unwrap();
    let Some(server) = support::redis::Server::start_with_config(
        file.to_str().unwrap(),
        d.path().to_str().unwrap(),
    ) else {
        return;
    };
    let mut c = server.client();
    for (k, v) in [
        ("maxmemory", "100mb"),
        ("maxmemory-policy", "volatile-lfu"),
        ("save", "3600 1 60 1000"),
        ("appendonly", "yes"),
        ("appendfsync", "always"),
        ("maxmemory-samples", "9"),
    ] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", k, v]),
            support::redis::Reply::Status("OK".into()),
            "{k}"
        );
    }
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        support::redis::Reply::Status("OK".into())
    );
    let r = conf::load(&file, &LoadOptions::default()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(
        r.rewrite_block.is_some(),
        "{}",
        std::fs::read_to_string(&file).unwrap()
    );
    assert!(r.is_rewritten(r.settings.policy.origin.as_ref().unwrap()));
    for (name, want) in as_config_get(&r) {
        assert_eq!(config_get(&mut c, name), want, "{name}");
    }
}
