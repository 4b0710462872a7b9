//! Broken scenarios are refused with a message naming the file, the line and
//! the field, and no input makes the reader or the generator panic.

use super::crate_path;
use evictsim::source::{Scenario, ScenarioError, Workload};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Lines 1-5; a `[[class]]` appended by [`class`] starts on line 6.
const HEAD: &str = "[instance]\nmaxmemory = \"10mb\"\n[run]\nduration = \"10s\"\nseed = 1\n";

/// A scenario whose only class has `body` (its first line is line 7).
fn class(body: &str) -> String {
    format!("{HEAD}[[class]]\n{body}")
}

/// A valid session class body, lines 7-11.
const SESSION: &str =
    "name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 100\n";

/// A valid cache class body, lines 7-11.
const CACHE: &str = "name = \"c\"\nkind = \"cache\"\nkeys = 100\nreads_per_sec = 10\nvalue = 100\n";

#[test]
fn broken_scenarios_name_line_and_field() {
    let many_classes: String = HEAD.to_string()
        + &(0..256)
            .map(|i| format!("[[class]]\nname = \"c{i}\"\nkind = \"cache\"\nkey = \"c{i}:{{id}}\"\nkeys = 1\nreads_per_sec = 1\nvalue = 1\n"))
            .collect::<String>();
    // (scenario text, line, field, part of the message)
    let cases: Vec<(String, usize, &str, &str)> = vec![
        (class(&format!("{CACHE}reads_per_secs = 5\n")), 12, "class[0].reads_per_secs", "did you mean `reads_per_sec`"),
        (class(&format!("{CACHE}popularity = {{ dist = \"zipf\", alpha = -1 }}\n")), 12, "class[0].popularity.alpha", "must be > 0 (got -1)"),
        (class(&format!("{CACHE}popularity.dist = \"zipf\"\npopularity.alpha = 0\n")), 13, "class[0].popularity.alpha", "must be > 0"),
        (class(&format!("{CACHE}[class.popularity]\ndist = \"hotset\"\nhot_fraction = 1.0\nhot_share = 0.5\n")), 14, "class[0].popularity.hot_fraction", "between 0 and 1"),
        (class(&format!("{CACHE}popularity = {{ dist = \"pareto\" }}\n")), 12, "class[0].popularity.dist", "unknown distribution"),
        (HEAD.replace("\"10mb\"", "\"10xb\"") + "[[class]]\n" + CACHE, 2, "instance.maxmemory", "unknown unit \"xb\""),
        (HEAD.replace("\"10mb\"", "-5") + "[[class]]\n" + CACHE, 2, "instance.maxmemory", "must be >= 0"),
        (HEAD.replace("\"10mb\"", "\"1.5gb\"") + "[[class]]\n" + CACHE, 2, "instance.maxmemory", "whole number"),
        (HEAD.replace("\"10s\"", "\"10\"") + "[[class]]\n" + CACHE, 4, "run.duration", "missing unit"),
        (HEAD.replace("\"10s\"", "\"0s\"") + "[[class]]\n" + CACHE, 4, "run.duration", "must be > 0"),
        (HEAD.replace("seed = 1", "seed = 1979-05-27") + "[[class]]\n" + CACHE, 5, "run.seed", "got a date"),
        (HEAD.replace("seed = 1", "seed = -3") + "[[class]]\n" + CACHE, 5, "run.seed", "must be >= 0"),
        (HEAD.replace("[run]", "maxmemory_samples = 0\n[run]") + "[[class]]\n" + CACHE, 3, "instance.maxmemory_samples", "from 1 to 64"),
        (HEAD.replace("[run]", "policies = [\"allkeys-lru\", \"lru\"]\n[run]") + "[[class]]\n" + CACHE, 3, "instance.policies[1]", "unknown policy 'lru'"),
        (HEAD.replace("[run]", "policies = [\"noeviction\", \"noeviction\"]\n[run]") + "[[class]]\n" + CACHE, 3, "instance.policies[1]", "listed twice"),
        (HEAD.replace("[run]", "policies = []\n[run]") + "[[class]]\n" + CACHE, 3, "instance.policies", "at least one policy"),
        (HEAD.replace("[run]", "databases = 2\n[run]") + "[[class]]\n" + CACHE + "db = 2\n", 13, "class[0].db", "below instance.databases (2)"),
        (HEAD.to_string() + "[server]\nport = 1\n", 6, "server", "unknown field"),
        (HEAD.replace("[run]", "save = \"3600\"\n[run]") + "[[class]]\n" + CACHE, 3, "instance.save", "pairs of SECONDS CHANGES"),
        (HEAD.replace("[run]", "save = [\"3600 1\", \"x 1\"]\n[run]") + "[[class]]\n" + CACHE, 3, "instance.save[1]", "'x'"),
        (HEAD.replace("[run]", "appendfsync = \"sometimes\"\n[run]") + "[[class]]\n" + CACHE, 3, "instance.appendfsync", "unknown appendfsync"),
        (HEAD.replace("[run]", "appendonly = \"yes\"\n[run]") + "[[class]]\n" + CACHE, 3, "instance.appendonly", ""),
        (HEAD.to_string(), 1, "class", "at least one key class"),
        ("class = []\n".to_string() + HEAD, 1, "class", "at least one key class"),
        (HEAD.to_string() + "class = []\n", 6, "run.class", "unknown field (expected one of: duration, seed, start)"),
        ("[run]\nduration = \"1s\"\n[[class]]\n".to_string() + CACHE, 1, "instance", "missing"),
        (class("name = \"c\"\nkind = \"cache\"\nreads_per_sec = 10\nvalue = 100\n"), 6, "class[0].keys", "missing"),
        (class("name = \"c\"\nkind = \"blob\"\n"), 8, "class[0].kind", "unknown kind \"blob\""),
        (class(&CACHE.replace("keys = 100", "keys = \"many\"")), 9, "class[0].keys", "expected a whole number, got a string (\"many\")"),
        (class(&CACHE.replace("keys = 100", "keys = 0")), 9, "class[0].keys", "at least 1"),
        (class(&CACHE.replace("reads_per_sec = 10", "reads_per_sec = -2")), 10, "class[0].reads_per_sec", "must be > 0 (got -2)"),
        (class(&CACHE.replace("reads_per_sec = 10", "reads_per_sec = 0")), 10, "class[0].reads_per_sec", "must be > 0 (got 0)"),
        (class(&CACHE.replace("value = 100", "value = 0")), 11, "class[0].value", "from 1 byte to 512mb"),
        (class(&CACHE.replace("value = 100", "value = \"513mb\"")), 11, "class[0].value", "from 1 byte to 512mb"),
        (class(&CACHE.replace("value = 100", "value = { dist = \"weighted\", sizes = [1, 2], weights = [1] }")), 11, "class[0].value.weights", "1 weights for 2 sizes"),
        (class(&CACHE.replace("value = 100", "value = { dist = \"weighted\", sizes = [1, 0], weights = [1, 1] }")), 11, "class[0].value.sizes[1]", "from 1 byte"),
        (class(&CACHE.replace("value = 100", "value = { dist = \"uniform\", min = 10, max = 5 }")), 11, "class[0].value.max", "must be >= min"),
        (class(&CACHE.replace("value = 100", "value = { dist = \"fixed\", size = 5 }")), 11, "class[0].value.size", "unknown field for a fixed value size"),
        (class(&format!("{CACHE}key = \"c:{{name}}\"\n")), 12, "class[0].key", "unknown placeholder {name}"),
        (class(&format!("{CACHE}key = \"c:fixed\"\n")), 12, "class[0].key", "same name"),
        (class(&format!("{CACHE}ttl = \"0s\"\n")), 12, "class[0].ttl", "must be > 0"),
        (class(&format!("{CACHE}ttl = 30\n")), 12, "class[0].ttl", "\"30s\""),
        (class(&format!("{CACHE}window = \"1m\"\n")), 12, "class[0].window", "unknown field for a cache class"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nlogout = 1.5\n"), 12, "class[0].logout", "between 0 and 1"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nsliding = true\n"), 12, "class[0].sliding", "needs a ttl"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nreturns = { share = 2, after = \"5m\" }\n"), 12, "class[0].returns.share", "between 0 and 1"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nreturns = { share = 0.5 }\n"), 12, "class[0].returns.after", "the break before they come back"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nreturns = { share = 0.5, after = { dist = \"gamma\" } }\n"), 12, "class[0].returns.after.dist", "unknown distribution 'gamma'"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1\nactive_for = \"1m\"\nvalue = 10\nreturns = { share = 0.5, after = \"5m\", when = 1 }\n"), 12, "class[0].returns.when", "unknown field"),
        (class("name = \"s\"\nkind = \"session\"\nlogins_per_sec = 1e7\nactive_for = \"1m\"\nvalue = 10\n").replace("\"10s\"", "\"1d\""), 4, "run.duration", "more than"),
        (class(&format!("{CACHE}[[class]]\n{CACHE}")), 13, "class[1].name", "duplicate class name \"c\""),
        (class(&format!("{CACHE}[[class]]\n{}", CACHE.replace("\"c\"", "\"d\""))), 12, "class[1].key", "same key template"),
        (many_classes, 6, "class", "256 classes, more than the 255"),
        ("[instance\nmaxmemory = 1\n".to_string(), 1, "", "invalid TOML"),
        (class(&format!("{CACHE}keys = 5\n")), 12, "", "invalid TOML"),
        (class(&format!("{SESSION}structure = \"json\"\n")), 12, "class[0].structure", "unknown structure \"json\""),
        (class(&format!("{SESSION}fields = 3\n")), 12, "class[0].fields", "applies to structure = \"hash\" only"),
        (class(&format!("{SESSION}structure = \"string\"\nfields = 2\n")), 13, "class[0].fields", "a string session has no fields"),
        (class(&format!("{SESSION}structure = \"hash\"\nfields = 0\n")), 13, "class[0].fields", "must be at least 1"),
        (class(&format!("{SESSION}structure = \"hash\"\nfields = 1001\n")), 13, "class[0].fields", "at most 1000"),
        (class(&format!("{SESSION}structure = \"hash\"\nfields = \"four\"\n")), 13, "class[0].fields", "whole number"),
        (class(&format!("{SESSION}structure = 4\n")), 12, "class[0].structure", "string"),
    ];
    let mut failures = Vec::new();
    for (text, line, field, fragment) in cases {
        let err = match Scenario::from_str(&text, "scenarios/x.toml") {
            Ok(_) => {
                failures.push(format!("accepted:\n{text}"));
                continue;
            }
            Err(e) => e,
        };
        let msg = err.to_string();
        let want = if field.is_empty() {
            format!("scenarios/x.toml:{line}: invalid TOML")
        } else {
            format!("scenarios/x.toml:{line}: {field}: ")
        };
        if !msg.starts_with(&want) || !msg.contains(fragment) {
            failures.push(format!("expected {want}...{fragment}...\n     got {msg}"));
        }
        if !field.is_empty() && err.field() != Some(field) {
            failures.push(format!("field() of {msg}"));
        }
        if field.is_empty() && !matches!(err, ScenarioError::Syntax { .. }) {
            failures.push(format!("not a syntax error: {msg}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_file_names_the_file() {
    let err = Scenario::from_path(&crate_path("scenarios/no-such-file.toml")).unwrap_err();
    assert!(matches!(err, ScenarioError::Read { .. }));
    assert!(err.to_string().contains("no-such-file.toml"), "{err}");
}

/// Truncated and corrupted copies of a valid scenario: the reader returns
/// errors, never panics, and whatever it accepts generates without panicking.
#[test]
fn no_input_panics() {
    let text = std::fs::read_to_string(crate_path("tests/fixtures/tiny.toml")).unwrap();
    let bytes = text.as_bytes();
    let try_one = |t: &str| {
        if let Ok(s) = Scenario::from_str(t, "fuzz.toml") {
            for _ in Workload::new(&s).take(2_000) {}
        }
    };
    for cut in (0..bytes.len()).step_by(7) {
        try_one(&String::from_utf8_lossy(&bytes[..cut]));
    }
    let mut rng = SmallRng::seed_from_u64(99);
    let junk = b"0-9.\"'[]{}=,#\n_ak";
    for _ in 0..1_500 {
        let mut b = bytes.to_vec();
        for _ in 0..rng.gen_range(1..4) {
            let i = rng.gen_range(0..b.len());
            b[i] = junk[rng.gen_range(0..junk.len())];
        }
        try_one(&String::from_utf8_lossy(&b));
    }
}
