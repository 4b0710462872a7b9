//! The command line, declared with clap. Nothing below `main.rs` sees these
//! types: `main` turns them into the library's own options.

use clap::{Args, Parser, Subcommand};
use evictsim::model::PolicyKind;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  evictsim run scenarios/seed-blog.toml
      every policy on the seed scenario; table on stdout, report in reports/seed-blog/
  evictsim run scenarios/seed-blog.toml --policy allkeys-lru --policy noeviction --maxmemory 48mb
  evictsim run scenarios/pure-cache.toml --format json > results.json
  evictsim run scenarios/seed-blog.toml --emit-trace seed-blog.csv.gz
  evictsim replay capture.log --trace-format monitor --maxmemory 64mb
      --class sessions='session:*' --critical sessions
  evictsim replay w01.oracleGeneral.zst --trace-format oracle-general
      --maxmemory 1gb --read-through --memory-model raw --sample-rate 0.1
  evictsim check scenarios/*.toml
  evictsim policies
  evictsim validate tests/fixtures/tiny.toml -p allkeys-lru -p noeviction
      replay into a fresh redis-server per policy, compare with the model
  evictsim calibrate
      used_memory per key on a real redis-server against the model's formula";

const VALIDATE_EXAMPLES: &str = "\
Examples:
  evictsim validate tests/fixtures/tiny.toml
      the scenario's Redis 7.0 policies, each on a fresh redis-server from PATH, in real time
  evictsim validate scenarios/seed-blog.toml --speed 10 -p allkeys-lru -p volatile-lru
      10 simulated minutes in one real minute per policy (TTLs and windows scaled too)
  evictsim validate scenarios/pure-cache.toml --redis redis://127.0.0.1:6380 --format json
      use a running server (it is flushed with FLUSHALL and reconfigured)
  evictsim validate --trace tests/fixtures/mixed-zeros.csv --trace-format csv --maxmemory 4mb
      --classes tests/fixtures/mixed-zeros.classes.toml -p allkeys-lru -p noeviction
      your own trace (csv or a MONITOR capture) into real Redis, beside the model

Exit status: 0 when every figure agrees within tolerance, 2 when some does not,
1 on an error (no server, bad scenario).";

/// Eviction-risk simulator for Redis: under this workload and this
/// maxmemory, how many critical keys would each maxmemory-policy evict?
#[derive(Parser, Debug)]
#[command(name = "evictsim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario under each policy and report what each would lose.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Replay a trace (Redis MONITOR log, evictsim CSV, Twitter, CacheLib,
    /// libCacheSim oracleGeneral) under each policy.
    #[command(after_help = EXAMPLES)]
    Replay(ReplayArgs),
    /// Validate scenario files without running them.
    Check {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// List the policies evictsim models and when each is right.
    Policies,
    /// Replay a scenario into a real redis-server under each policy and
    /// compare what it evicted, lost and refused with the model.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Measure used_memory per key on a real redis-server and compare it
    /// with the model's memory formula.
    Calibrate(CalibrateArgs),
}

/// Which real server to use.
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// The redis-server executable to start, fresh for each run, on
    /// 127.0.0.1 on a free port (default: redis-server from PATH).
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    pub redis_server: Option<PathBuf>,
    /// Use the running server at this URL instead (redis://host:port). It is
    /// emptied (FLUSHALL) and reconfigured (CONFIG SET) before each run.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
}

/// Which keys belong to which class, for a trace.
#[derive(Args, Debug, Clone)]
pub struct ClassArgs {
    /// A key class as NAME=GLOB (repeat; first match wins; unmatched keys
    /// are class `other`).
    #[arg(long = "class", value_name = "NAME=GLOB")]
    pub classes: Vec<String>,
    /// Mark a class as critical (data with no other copy; repeat).
    #[arg(long = "critical", value_name = "NAME")]
    pub critical: Vec<String>,
    /// Class rules from a TOML file ([[class]] name, match, critical).
    #[arg(long = "classes", value_name = "FILE", conflicts_with = "classes")]
    pub classes_file: Option<PathBuf>,
}

/// Arguments of `validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The scenario file (TOML; see scenarios/); or give --trace instead.
    #[arg(required_unless_present = "trace", conflicts_with = "trace")]
    pub scenario: Option<PathBuf>,
    /// Validate a trace instead of a scenario: its own commands go to the
    /// server, paced by their timestamps (csv or monitor; needs --maxmemory).
    #[arg(long, value_name = "FILE", requires_all = ["trace_format", "maxmemory"])]
    pub trace: Option<PathBuf>,
    /// The trace's format: csv or monitor.
    #[arg(long, value_name = "csv|monitor", requires = "trace")]
    pub trace_format: Option<String>,
    /// Key classes of the trace.
    #[command(flatten)]
    pub class_args: ClassArgs,
    /// A trace read that misses writes the object back (SET) with its size.
    #[arg(long, requires = "trace")]
    pub read_through: bool,
    /// A policy to validate (the help names Redis 7.0's, from the policy table).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", help = format!(
        "A policy to validate (repeat for several; default: the scenario's list without the \
         ones Redis 7.0 lacks). Redis 7.0 has {}", PolicyKind::redis7_names()))]
    pub policies: Vec<String>,
    /// Which server to replay into.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Replay this many times faster than the scenario's clock; TTLs,
    /// windows and delays are divided by it too (what that distorts is
    /// printed).
    #[arg(long, default_value = "1", value_name = "X")]
    pub speed: f64,
    /// Override maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE")]
    pub maxmemory: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to print on stdout.
    #[arg(long, short = 'f', default_value = "table", value_name = "table|json")]
    pub format: String,
}

/// Arguments of `calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Which server to measure.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Keys loaded per cell of the grid.
    #[arg(long, default_value = "20000", value_name = "N")]
    pub keys: u32,
    /// What to print on stdout.
    #[arg(long, short = 'f', default_value = "table", value_name = "table|json")]
    pub format: String,
}

/// Arguments of `run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML; see scenarios/).
    pub scenario: PathBuf,
    /// A policy to run (the help names them all, from the policy table).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", help = format!(
        "A policy to run (repeat for several; default: the scenario's list, or all). {}",
        PolicyKind::names_by_origin()))]
    pub policies: Vec<String>,
    /// Override maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE")]
    pub maxmemory: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write the scenario's operation stream as an evictsim CSV trace
    /// (`.gz`/`.zst` compress), to replay elsewhere.
    #[arg(long, value_name = "FILE")]
    pub emit_trace: Option<PathBuf>,
}

/// Arguments of `replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The trace file (`.gz` and `.zst` are read transparently).
    pub trace: PathBuf,
    /// csv (evictsim's own: t_ms,op,key,value_bytes,ttl_ms), monitor
    /// (`redis-cli monitor` output), twitter, cachelib, oracle-general.
    #[arg(long, value_name = "FORMAT")]
    pub trace_format: String,
    /// maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE")]
    pub maxmemory: String,
    /// A policy to run (repeat for several; default: all).
    #[arg(long = "policy", short = 'p', value_name = "POLICY")]
    pub policies: Vec<String>,
    /// Key classes.
    #[command(flatten)]
    pub class_args: ClassArgs,
    /// A read that misses inserts the object with its size, as cache
    /// simulators do (for traces that hold only reads).
    #[arg(long)]
    pub read_through: bool,
    /// redis: Redis 7.0's used_memory formula; raw: a key costs its value's
    /// size and room is made before an insert (textbook byte-capacity cache).
    #[arg(long, default_value = "redis", value_name = "redis|raw")]
    pub memory_model: String,
    /// maxmemory-samples.
    #[arg(long, default_value_t = 5)]
    pub samples: u32,
    /// lfu-log-factor.
    #[arg(long, default_value_t = 10)]
    pub lfu_log_factor: u32,
    /// lfu-decay-time (minutes).
    #[arg(long, default_value_t = 1)]
    pub lfu_decay_time: u32,
    /// Seed of the instances' own randomness (sampling, LFU).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replay only this share of the keys (chosen by hash) with maxmemory
    /// scaled to match (SHARDS): for traces too big to replay whole. Ratios
    /// carry over; counts are the sample's.
    #[arg(long, value_name = "R")]
    pub sample_rate: Option<f64>,
    /// Stop at the first malformed line (FILE:LINE: reason) instead of
    /// skipping and counting it.
    #[arg(long)]
    pub strict: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where a run's results go, shared by `run` and `replay`.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// What to print on stdout.
    #[arg(
        long,
        short = 'f',
        default_value = "table",
        value_name = "table|json|csv|markdown|html"
    )]
    pub format: String,
    /// Where to write the report files (default: reports/<scenario or trace name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only; write no report files.
    #[arg(long, conflicts_with = "out")]
    pub no_report: bool,
    /// No progress bar (nor, for a trace, its summary).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
