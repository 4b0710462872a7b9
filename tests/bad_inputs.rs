//! The table of bad inputs (issue 21): every way a file written by a person
//! or cut short by a machine reaches evictsim, run through the real binary,
//! each pinned to the exact message a user sees, its exit status, and the
//! promise that a failed command writes no report.
//!
//! Each case's inputs are made in code (some are binary, some are a
//! megabyte, some are a FIFO); what the user sees is in
//! `tests/fixtures/bad/<case>.txt`: the exit status on the first line, then
//! stderr (for a case that succeeds, the lines of stderr that matter), with
//! the case's temporary directory written as `$DIR`. `BLESS=1 cargo test
//! --test bad_inputs` rewrites those files from what the binary does now;
//! read the diff before committing it.

use assert_cmd::Command;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file a case starts with.
enum Input {
    /// A file holding these bytes.
    Bytes(Vec<u8>),
    /// A directory where a file is expected.
    Dir,
    /// A named pipe that a thread of the test writes these bytes to.
    Fifo(Vec<u8>),
    /// A file its reader may not read (mode 000).
    Unreadable(Vec<u8>),
}

/// What to check beyond the expected file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// stderr must equal the expected text exactly, and no report exists.
    Fails,
    /// The command runs to its end with the expected status (0, or 3 for
    /// an audit that flags); every expected line must appear in its output.
    Works,
    /// As `Works`, but only the output lines holding this text are pinned.
    WorksSaying(&'static str),
}

/// One row of the table.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Input)>,
    args: &'static [&'static str],
    check: Check,
}

fn bytes(s: &str) -> Input {
    Input::Bytes(s.as_bytes().to_vec())
}

/// A small valid scenario with `extra` appended to its one class.
fn scenario(instance: &str, class: &str) -> Input {
    bytes(&format!(
        "[instance]\nmaxmemory = \"1mb\"\npolicies = [\"allkeys-lru\"]\n{instance}\n\
         [run]\nduration = \"2s\"\nseed = 1\n\n\
         [[class]]\nname = \"pages\"\nkind = \"cache\"\nkey = \"page:{{id}}\"\n\
         keys = 100\nreads_per_sec = 50\nvalue = {{ dist = \"fixed\", bytes = 100 }}\n{class}"
    ))
}

fn scenario_text(instance: &str, class: &str) -> String {
    match scenario(instance, class) {
        Input::Bytes(b) => String::from_utf8(b).unwrap(),
        _ => unreachable!(),
    }
}

const CSV_HEADER: &str = "t_ms,op,key,value_bytes,ttl_ms\n";

fn csv(body: &str) -> Input {
    bytes(&format!("{CSV_HEADER}{body}"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn many_csv_lines() -> String {
    let mut s = String::from(CSV_HEADER);
    for i in 0..2000 {
        s += &format!("{i},SET,key:{i},100,\n");
    }
    s
}

const REPLAY_CSV: &[&str] = &[
    "replay",
    "$DIR/t.csv",
    "--trace-format",
    "csv",
    "--maxmemory",
    "1mb",
    "-p",
    "allkeys-lru",
    "--out",
    "$DIR/out",
];

const REPLAY_CSV_STRICT: &[&str] = &[
    "replay",
    "$DIR/t.csv",
    "--trace-format",
    "csv",
    "--maxmemory",
    "1mb",
    "-p",
    "allkeys-lru",
    "--strict",
    "--out",
    "$DIR/out",
];

const RUN: &[&str] = &["run", "$DIR/s.toml", "--out", "$DIR/out"];

fn cases() -> Vec<Case> {
    use Check::*;
    let mut v = vec![
        // ---- scenarios ----
        Case {
            name: "scenario-empty-file",
            files: vec![("s.toml", bytes(""))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-unknown-field",
            files: vec![("s.toml", scenario("", "reads_per_secs = 3\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-queue-unknown-structure",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"jobs\"\nkind = \"queue\"\nenqueue_per_sec = 5\ndelay = \"1s\"\nvalue = { dist = \"fixed\", bytes = 50 }\nstructure = \"stack\"\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-queues-without-lists",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"jobs\"\nkind = \"queue\"\nenqueue_per_sec = 5\ndelay = \"1s\"\nvalue = { dist = \"fixed\", bytes = 50 }\nqueues = 4\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-list-queue-with-a-ttl",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"jobs\"\nkind = \"queue\"\nenqueue_per_sec = 5\ndelay = \"1s\"\nvalue = { dist = \"fixed\", bytes = 50 }\nstructure = \"list\"\nttl = \"1h\"\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-zset-queue-with-a-ttl",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"later\"\nkind = \"queue\"\nenqueue_per_sec = 5\ndelay = \"1s\"\nvalue = { dist = \"fixed\", bytes = 50 }\nstructure = \"zset\"\nttl = \"1h\"\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-list-queue-of-no-lists",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"jobs\"\nkind = \"queue\"\nenqueue_per_sec = 5\ndelay = \"1s\"\nvalue = { dist = \"fixed\", bytes = 50 }\nstructure = \"list\"\nqueues = 0\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-session-unknown-structure",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"users\"\nkind = \"session\"\nlogins_per_sec = 5\nactive_for = \"1m\"\nvalue = { dist = \"fixed\", bytes = 200 }\nstructure = \"json\"\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-string-session-with-fields",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"users\"\nkind = \"session\"\nlogins_per_sec = 5\nactive_for = \"1m\"\nvalue = { dist = \"fixed\", bytes = 200 }\nfields = 4\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-hash-session-of-no-fields",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"users\"\nkind = \"session\"\nlogins_per_sec = 5\nactive_for = \"1m\"\nvalue = { dist = \"fixed\", bytes = 200 }\nstructure = \"hash\"\nfields = 0\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-hash-session-of-too-many-fields",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"users\"\nkind = \"session\"\nlogins_per_sec = 5\nactive_for = \"1m\"\nvalue = { dist = \"fixed\", bytes = 200 }\nstructure = \"hash\"\nfields = 5000\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "emit-trace-of-hash-sessions",
            files: vec![("s.toml", scenario("", "[[class]]\nname = \"users\"\nkind = \"session\"\nlogins_per_sec = 5\nactive_for = \"1m\"\nvalue = { dist = \"fixed\", bytes = 200 }\nstructure = \"hash\"\n"))],
            args: &["run", "$DIR/s.toml", "--out", "$DIR/out", "--emit-trace", "$DIR/t.csv"],
            check: Fails,
        },
        Case {
            name: "out-holds-another-scenarios-report",
            files: vec![
                ("s.toml", scenario("", "")),
                ("prev/report.md", bytes("# the seed's report\n")),
                ("prev/.evictsim", bytes("command: run\nsubject: seed-blog\n")),
            ],
            args: &["run", "$DIR/s.toml", "--out", "$DIR/prev"],
            check: Fails,
        },
        Case {
            name: "out-holds-files-evictsim-did-not-write",
            files: vec![
                ("s.toml", scenario("", "")),
                ("prev/Cargo.toml", bytes("[package]\n")),
                ("prev/notes.txt", bytes("mine\n")),
                ("prev/src/main.rs", bytes("fn main() {}\n")),
            ],
            args: &["sweep", "$DIR/s.toml", "--maxmemory", "1mb..2mb", "--out", "$DIR/prev"],
            check: Fails,
        },
        Case {
            name: "out-is-a-file",
            files: vec![("s.toml", scenario("", "")), ("prev", bytes("x"))],
            args: &["crash", "$DIR/s.toml", "--out", "$DIR/prev"],
            check: Fails,
        },
        Case {
            name: "sweep-range-below-the-empty-server",
            files: vec![("s.toml", scenario("", ""))],
            args: &[
                "sweep",
                "$DIR/s.toml",
                "--maxmemory",
                "100kb..4mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "scenario-unit-typo",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("\"1mb\"", "\"10mbb\"")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-negative-size",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("bytes = 100", "bytes = -100")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-overflowing-size",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("\"1mb\"", "\"99999999999999999999gb\"")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-nan-rate",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("reads_per_sec = 50", "reads_per_sec = nan")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-infinite-rate",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("reads_per_sec = 50", "reads_per_sec = inf")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-ttl-zero",
            files: vec![("s.toml", scenario("", "ttl = \"0s\"\n"))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-ttl-100-years",
            files: vec![("s.toml", scenario("", "ttl = \"876000h\"\n"))],
            args: RUN,
            check: Works,
        },
        Case {
            name: "scenario-zero-classes",
            files: vec![(
                "s.toml",
                bytes("[instance]\nmaxmemory = \"1mb\"\n[run]\nduration = \"1s\"\n"),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-class-with-zero-keys",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("keys = 100", "keys = 0")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-maxmemory-below-baseline",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("\"1mb\"", "\"100kb\"")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-billions-of-ops",
            files: vec![(
                "s.toml",
                bytes(
                    &scenario_text("", "")
                        .replace("reads_per_sec = 50", "reads_per_sec = 1000000")
                        .replace("\"2s\"", "\"30d\""),
                ),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-crlf",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace('\n', "\r\n")),
            )],
            args: &["check", "$DIR/s.toml"],
            check: WorksSaying("ok   "),
        },
        Case {
            name: "scenario-bom",
            files: vec![(
                "s.toml",
                bytes(&format!("\u{feff}{}", scenario_text("", ""))),
            )],
            args: &["check", "$DIR/s.toml"],
            check: WorksSaying("ok   "),
        },
        Case {
            name: "scenario-binary",
            files: vec![("s.toml", Input::Bytes(vec![0x00, 0xff, 0xfe, 0x80, 0x01]))],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-directory",
            files: vec![("s.toml", Input::Dir)],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-missing",
            files: vec![],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-unreadable",
            files: vec![(
                "s.toml",
                Input::Unreadable(scenario_text("", "").into_bytes()),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-fifo",
            files: vec![("s.toml", Input::Fifo(scenario_text("", "").into_bytes()))],
            args: &["check", "$DIR/s.toml"],
            check: WorksSaying("ok   "),
        },
        Case {
            name: "scenario-unknown-kind",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("kind = \"cache\"", "kind = \"cahce\"")),
            )],
            args: RUN,
            check: Fails,
        },
        Case {
            name: "scenario-unknown-policy",
            files: vec![(
                "s.toml",
                bytes(&scenario_text("", "").replace("allkeys-lru", "allkeys-lur")),
            )],
            args: RUN,
            check: Fails,
        },
        // ---- csv traces ----
        Case {
            name: "csv-empty-file",
            files: vec![("t.csv", bytes(""))],
            args: REPLAY_CSV,
            check: Fails,
        },
        Case {
            name: "csv-header-only",
            files: vec![("t.csv", csv(""))],
            args: REPLAY_CSV,
            check: Fails,
        },
        Case {
            name: "csv-wrong-delimiter",
            files: vec![(
                "t.csv",
                bytes("t_ms;op;key;value_bytes;ttl_ms\n0;SET;a;10;\n"),
            )],
            args: REPLAY_CSV,
            check: Fails,
        },
        Case {
            name: "csv-crlf",
            files: vec![("t.csv", bytes(&many_csv_lines().replace('\n', "\r\n")))],
            args: REPLAY_CSV_STRICT,
            check: Works,
        },
        Case {
            name: "csv-bom",
            files: vec![("t.csv", bytes(&format!("\u{feff}{}", many_csv_lines())))],
            args: REPLAY_CSV_STRICT,
            check: Works,
        },
        Case {
            name: "csv-negative-size",
            files: vec![("t.csv", csv("0,SET,a,-5,\n"))],
            args: REPLAY_CSV_STRICT,
            check: Fails,
        },
        Case {
            name: "csv-overflowing-size",
            files: vec![("t.csv", csv("0,SET,a,99999999999999999999999,\n"))],
            args: REPLAY_CSV_STRICT,
            check: Fails,
        },
        Case {
            name: "csv-nan-size",
            files: vec![("t.csv", csv("0,SET,a,NaN,\n"))],
            args: REPLAY_CSV_STRICT,
            check: Fails,
        },
        Case {
            name: "csv-infinite-ttl",
            files: vec![("t.csv", csv("0,SET,a,10,inf\n"))],
            args: REPLAY_CSV_STRICT,
            check: Fails,
        },
        Case {
            name: "csv-ttl-zero",
            files: vec![("t.csv", csv("0,SETEX,a,10,0\n1,SET,b,10,\n"))],
            args: REPLAY_CSV,
            check: Works,
        },
        Case {
            name: "csv-ttl-100-years",
            files: vec![("t.csv", csv("0,SET,a,10,3153600000000\n1,GET,a,,\n"))],
            args: REPLAY_CSV_STRICT,
            check: Works,
        },
        Case {
            name: "csv-unknown-op",
            files: vec![("t.csv", csv("0,FROB,a,10,\n"))],
            args: REPLAY_CSV_STRICT,
            check: Fails,
        },
        Case {
            name: "csv-unknown-op-counted",
            files: vec![("t.csv", csv("0,FROB,a,10,\n1,SET,a,10,\n"))],
            args: REPLAY_CSV,
            check: Works,
        },
        Case {
            name: "csv-utf8-and-binary-keys",
            files: vec![(
                "t.csv",
                Input::Bytes(
                    [
                        CSV_HEADER.as_bytes(),
                        "0,SET,clé:日本,10,\n".as_bytes(),
                        b"1,SET,k\xff\xfe\x00,10,\n",
                        "2,GET,clé:日本,,\n".as_bytes(),
                    ]
                    .concat(),
                ),
            )],
            args: REPLAY_CSV_STRICT,
            check: Works,
        },
        Case {
            name: "csv-1mb-line",
            files: vec![(
                "t.csv",
                csv(&format!("0,SET,{},10,\n1,GET,a,,\n", "k".repeat(1 << 20))),
            )],
            args: REPLAY_CSV_STRICT,
            check: Works,
        },
        Case {
            name: "csv-gzip-ends-early",
            files: vec![("t.csv.gz", {
                let g = gzip(many_csv_lines().as_bytes());
                Input::Bytes(g[..g.len() / 2].to_vec())
            })],
            args: &[
                "replay",
                "$DIR/t.csv.gz",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "csv-zstd-ends-early",
            files: vec![("t.csv.zst", {
                let z = zstd::encode_all(many_csv_lines().as_bytes(), 3).unwrap();
                Input::Bytes(z[..z.len() / 2].to_vec())
            })],
            args: &[
                "replay",
                "$DIR/t.csv.zst",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "csv-gz-not-gzip",
            files: vec![("t.csv.gz", bytes(&many_csv_lines()))],
            args: &[
                "replay",
                "$DIR/t.csv.gz",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "trace-directory",
            files: vec![("t.csv", Input::Dir)],
            args: REPLAY_CSV,
            check: Fails,
        },
        Case {
            name: "trace-unreadable",
            files: vec![("t.csv", Input::Unreadable(many_csv_lines().into_bytes()))],
            args: REPLAY_CSV,
            check: Fails,
        },
        Case {
            name: "trace-fifo",
            files: vec![("t.csv", Input::Fifo(many_csv_lines().into_bytes()))],
            args: REPLAY_CSV,
            check: Works,
        },
        Case {
            name: "trace-maxmemory-unit-typo",
            files: vec![("t.csv", bytes(&many_csv_lines()))],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "10mbb",
            ],
            check: Fails,
        },
        Case {
            name: "trace-maxmemory-below-baseline",
            files: vec![("t.csv", bytes(&many_csv_lines()))],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "10kb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        // ---- monitor ----
        Case {
            name: "monitor-cut-inside-escape",
            files: vec![(
                "m.log",
                bytes(
                    "OK\n1732590000.123456 [0 127.0.0.1:52344] \"SET\" \"a\" \"v\"\n\
                     1732590000.223456 [0 127.0.0.1:52344] \"SET\" \"b\" \"\\x4",
                ),
            )],
            args: &[
                "replay",
                "$DIR/m.log",
                "--trace-format",
                "monitor",
                "--maxmemory",
                "1mb",
                "--strict",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "monitor-cut-inside-quote",
            files: vec![(
                "m.log",
                bytes(
                    "1732590000.123456 [0 127.0.0.1:52344] \"SET\" \"a\" \"v\"\n\
                     1732590000.223456 [0 127.0.0.1:52344] \"SET\" \"b\" \"hal",
                ),
            )],
            args: &[
                "replay",
                "$DIR/m.log",
                "--trace-format",
                "monitor",
                "--maxmemory",
                "1mb",
            ],
            check: WorksSaying("line 2"),
        },
        Case {
            name: "monitor-empty-file",
            files: vec![("m.log", bytes(""))],
            args: &[
                "replay",
                "$DIR/m.log",
                "--trace-format",
                "monitor",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "monitor-not-a-capture",
            files: vec![("m.log", bytes(&many_csv_lines()))],
            args: &[
                "replay",
                "$DIR/m.log",
                "--trace-format",
                "monitor",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        // ---- twitter, cachelib, oracle-general ----
        Case {
            name: "twitter-negative-size",
            files: vec![("t.csv", bytes("0,a,1,-5,1,get,0\n"))],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "twitter",
                "--maxmemory",
                "1mb",
                "--strict",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "twitter-wrong-delimiter",
            files: vec![("t.csv", bytes("0\ta\t1\t5\t1\tget\t0\n"))],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "twitter",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "cachelib-header-only",
            files: vec![(
                "t.csv",
                bytes("op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase\n"),
            )],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "cachelib",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "cachelib-overflowing-op-count",
            files: vec![(
                "t.csv",
                bytes(
                    "op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase\n\
                     1,a,1,GET,99999999999999999999,5,0,0,1,1\n",
                ),
            )],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "cachelib",
                "--maxmemory",
                "1mb",
                "--strict",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "oracle-general-cut-mid-record",
            files: vec![("t.bin", Input::Bytes(vec![1u8; 24 * 3 + 7]))],
            args: &[
                "replay",
                "$DIR/t.bin",
                "--trace-format",
                "oracle-general",
                "--maxmemory",
                "1mb",
                "--strict",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "oracle-general-empty",
            files: vec![("t.bin", bytes(""))],
            args: &[
                "replay",
                "$DIR/t.bin",
                "--trace-format",
                "oracle-general",
                "--maxmemory",
                "1mb",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        // ---- class rules ----
        Case {
            name: "classes-unknown-field",
            files: vec![
                ("t.csv", bytes(&many_csv_lines())),
                (
                    "c.toml",
                    bytes("[[class]]\nname = \"k\"\nmatch = \"key:*\"\ncritcal = true\n"),
                ),
            ],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--classes",
                "$DIR/c.toml",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "classes-zero-classes",
            files: vec![
                ("t.csv", bytes(&many_csv_lines())),
                ("c.toml", bytes("# nothing here\n")),
            ],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--classes",
                "$DIR/c.toml",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "classes-bad-glob",
            files: vec![
                ("t.csv", bytes(&many_csv_lines())),
                (
                    "c.toml",
                    bytes("[[class]]\nname = \"k\"\nmatch = \"key:[\"\n"),
                ),
            ],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--classes",
                "$DIR/c.toml",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        Case {
            name: "classes-critical-unknown",
            files: vec![("t.csv", bytes(&many_csv_lines()))],
            args: &[
                "replay",
                "$DIR/t.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1mb",
                "--class",
                "k=key:*",
                "--critical",
                "sessions",
                "--out",
                "$DIR/out",
            ],
            check: Fails,
        },
        // ---- redis.conf (audit) ----
        Case {
            name: "conf-unit-typo",
            files: vec![("r.conf", bytes("maxmemory 10mbb\n"))],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: Fails,
        },
        Case {
            name: "conf-unknown-directive",
            files: vec![(
                "r.conf",
                bytes("maxmemory 10mb\nmaxmemroy-policy allkeys-lru\n"),
            )],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: WorksSaying("r.conf:"),
        },
        Case {
            name: "conf-negative-maxmemory",
            files: vec![("r.conf", bytes("maxmemory -5mb\n"))],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: Fails,
        },
        Case {
            name: "conf-stray-quote",
            files: vec![("r.conf", bytes("maxmemory-policy \"allkeys-lru\n"))],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: Fails,
        },
        Case {
            name: "conf-directory",
            files: vec![("r.conf", Input::Dir)],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: Fails,
        },
        Case {
            name: "conf-binary",
            files: vec![("r.conf", Input::Bytes(vec![0xff, 0x00, 0xfe, b'\n']))],
            args: &["audit", "$DIR/r.conf", "--out", "$DIR/out"],
            check: WorksSaying("r.conf:"),
        },
        Case {
            name: "conf-crlf",
            files: vec![(
                "r.conf",
                bytes("maxmemory 10mb\r\nmaxmemory-policy allkeys-lru\r\n"),
            )],
            args: &[
                "audit",
                "$DIR/r.conf",
                "--class",
                "k=key:*",
                "--out",
                "$DIR/out",
            ],
            check: WorksSaying("r.conf:"),
        },
        Case {
            name: "conf-bom",
            files: vec![(
                "r.conf",
                bytes("\u{feff}maxmemory 10mb\nmaxmemory-policy allkeys-lru\n"),
            )],
            args: &[
                "audit",
                "$DIR/r.conf",
                "--class",
                "k=key:*",
                "--out",
                "$DIR/out",
            ],
            check: WorksSaying("r.conf:"),
        },
    ];
    v.sort_by_key(|c| c.name);
    v
}

fn expected_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(format!("{name}.txt"))
}

fn make(dir: &Path, name: &str, input: &Input) -> bool {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    match input {
        Input::Bytes(b) => std::fs::write(&p, b).unwrap(),
        Input::Dir => std::fs::create_dir(&p).unwrap(),
        Input::Fifo(b) => {
            let ok = std::process::Command::new("mkfifo")
                .arg(&p)
                .status()
                .unwrap()
                .success();
            assert!(ok, "mkfifo {}", p.display());
            // Opening a pipe for writing waits for its reader; a case whose
            // command never opens it leaves this thread waiting, harmlessly.
            let b = b.clone();
            std::thread::spawn(move || {
                if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&p) {
                    let _ = f.write_all(&b);
                }
            });
        }
        Input::Unreadable(b) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(&p, b).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
            // Root reads a file whatever its mode: the case cannot be made.
            if std::fs::read(&p).is_ok() {
                return false;
            }
        }
    }
    true
}

#[test]
fn every_bad_input_gets_its_message_and_status_and_no_report() {
    let bless = std::env::var_os("BLESS").is_some();
    let all = cases();
    assert!(all.len() >= 40, "the table has {} cases", all.len());
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for case in &all {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        if !case.files.iter().all(|(n, i)| make(dir, n, i)) {
            skipped.push(case.name);
            continue;
        }
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| a.replace("$DIR", &dir.display().to_string()))
            .collect();
        let out = Command::cargo_bin("evictsim")
            .unwrap()
            .current_dir(dir)
            .args(&args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let status = out.status.code().unwrap_or(-1);
        let stderr =
            String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "$DIR");
        let mut problems = Vec::new();
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("panicked".to_string());
        }
        if status == -1 {
            problems.push("killed (a hang hit the timeout?)".to_string());
        }
        let stdout =
            String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "$DIR");
        let said = match case.check {
            Check::Fails | Check::Works => stderr.clone(),
            Check::WorksSaying(text) => format!("{stdout}{stderr}")
                .lines()
                .filter(|l| l.contains(text))
                .map(|l| format!("{l}\n"))
                .collect(),
        };
        let actual = format!("status {status}\n{said}");
        let path = expected_path(case.name);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if case.check == Check::Fails {
            if actual != expected {
                problems.push(format!("expected:\n{expected}\nactual:\n{actual}"));
            }
            if status == 0 {
                problems.push("succeeded".into());
            }
            if dir.join("out").exists() {
                problems.push("wrote a report".into());
            }
        } else {
            let mut lines = expected.lines();
            let want_status = lines.next().unwrap_or("");
            if want_status != format!("status {status}") || !(status == 0 || status == 3) {
                problems.push(format!(
                    "{want_status} expected, got status {status}:\n{stderr}"
                ));
            }
            for line in lines {
                if !said.contains(line) {
                    problems.push(format!("missing line {line:?} in:\n{said}"));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("== {}\n{}", case.name, problems.join("\n")));
        }
    }
    if !skipped.is_empty() {
        eprintln!(
            "skipped (running as root, who reads a file of mode 000): {}",
            skipped.join(", ")
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
