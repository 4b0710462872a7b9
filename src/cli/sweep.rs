//! `evictsim sweep SCENARIO --maxmemory FROM..TO` (or `--trace FILE`): run
//! the workload at every size of a range under each policy and seed, print
//! the table (or JSON, CSV), write the report directory, and with
//! `--find-safe` search each policy's smallest safe `maxmemory`.

use super::common::{self, ClassArgs, MemoryModelArg, ModelArgs, Progress};
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use evictsim::cluster::SlotMap;
use evictsim::model::{InstanceConfig, PolicyKind, DEFAULT_START_UNIX_MS};
use evictsim::op::Op;
use evictsim::provenance::{Provenance, TraceProvenance};
use evictsim::report::owner::Owner;
use evictsim::report::{self, SweepFormat};
use evictsim::sim::{RunSpec, ShardedOps};
use evictsim::sweep::{self, SizeGrid, SizeRange, Spacing, SweepPlan, SweepResult, SweepSource};
use evictsim::trace::{TraceFormat, TraceOptions, TraceReader};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  evictsim sweep scenarios/seed-blog.toml --maxmemory 16mb..160mb --steps 20
      every policy at 20 sizes; table on stdout, report in reports/seed-blog-sweep/
  evictsim sweep scenarios/seed-blog.toml --maxmemory 32mb..192mb --step 16mb
      -p allkeys-lru -p noeviction --seeds 3 --find-safe
      the smallest maxmemory at which each policy loses nothing, under 3 seeds
  evictsim sweep --trace capture.log --trace-format monitor --maxmemory 64mb..1gb
      --class sessions='session:*' --critical sessions --find-safe --resolution 8mb
  evictsim sweep scenarios/cluster-hot-tenant.toml --maxmemory 16mb..64mb --find-safe
      a Redis Cluster: every size is each shard's maxmemory
  evictsim sweep --trace capture.log --trace-format monitor --maxmemory 4mb..32mb
      -p allkeys-lfu --find-safe --phases 6
      safe only if safe at all 6 start phases of the minute (LFU decays on its minutes)";

/// The sizes' spacing when neither --steps nor --step is given.
const DEFAULT_STEPS: u32 = 10;
/// The --find-safe resolution when --resolution is not given (1 MiB).
const DEFAULT_RESOLUTION: u64 = 1 << 20;

/// What a sweep prints on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StdoutFormat {
    /// A table for a terminal, with where each policy becomes safe.
    Table,
    /// Pretty JSON: every point and the smallest safe sizes.
    Json,
    /// CSV, one row per (size, policy, seed) point.
    Csv,
}

impl From<StdoutFormat> for SweepFormat {
    fn from(f: StdoutFormat) -> SweepFormat {
        match f {
            StdoutFormat::Table => SweepFormat::Table,
            StdoutFormat::Json => SweepFormat::Json,
            StdoutFormat::Csv => SweepFormat::Csv,
        }
    }
}

/// Arguments of `sweep`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["scenario", "trace"])))]
pub struct Args {
    /// The scenario file (TOML; see scenarios/).
    scenario: Option<PathBuf>,
    /// Sweep a trace instead of a scenario (`.gz` and `.zst` are read
    /// transparently); it is read once and its operations kept in memory.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "scenario",
        requires = "trace_format"
    )]
    trace: Option<PathBuf>,
    /// The trace's format.
    #[arg(long, value_name = "FORMAT", value_parser = common::trace_format, requires = "trace",
        help = format!("The trace's format: {}", common::trace_format_names()))]
    trace_format: Option<TraceFormat>,
    /// The sizes: FROM..TO with Redis's units (1k = 1000, 1kb = 1024, mb,
    /// gb), both included, e.g. 16mb..160mb.
    #[arg(long, value_name = "FROM..TO", value_parser = size_range)]
    maxmemory: SizeRange,
    /// How many sizes, evenly spaced from FROM to TO [default: 10].
    #[arg(long, value_name = "N", conflicts_with = "step")]
    steps: Option<u32>,
    /// Walk up from FROM by SIZE instead (TO is always included).
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    step: Option<u64>,
    /// A policy to run (the help names them all, from the policy table).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy,
        help = format!(
            "A policy to run (repeat for several; default: the scenario's list, or all). {}",
            PolicyKind::names_by_origin()))]
    policies: Vec<PolicyKind>,
    /// The base seed: overrides the scenario's (for a trace, the instance's
    /// own randomness; default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Run every point under N seeds: the base seed and the N-1 after it
    /// (a scenario's seed changes its workload and instance; a trace's only
    /// the instance).
    #[arg(long, value_name = "N", default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=1000))]
    seeds: u32,
    /// Search, per policy, the smallest maxmemory in the range at which no
    /// critical key is evicted while live and no write to a critical class
    /// is refused, under every seed.
    #[arg(long)]
    find_safe: bool,
    /// Run every point at N start phases spread evenly over the minute
    /// (phase k starts k*60/N s later): a size is safe only if safe at
    /// every phase, as under every seed. LFU decays on the wall clock's
    /// minutes, so a short run's losses depend on where in the minute it starts.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = common::phases)]
    phases: u32,
    /// The wall-clock time of a trace's first operation, as unix ms or RFC
    /// 3339 (a MONITOR capture starts at its first timestamp unless given;
    /// other formats at 2023-11-14T22:13:20Z).
    #[arg(long, value_name = "MS", value_parser = common::start_unix_ms, requires = "trace")]
    start_unix_ms: Option<u64>,
    /// How fine --find-safe searches [default: 1mb].
    #[arg(long, value_name = "SIZE", value_parser = common::size, requires = "find_safe")]
    resolution: Option<u64>,
    /// Sweep a Redis Cluster of N shards (1 to 255), slots split evenly as
    /// `redis-cli --cluster create` does; every size is each shard's
    /// maxmemory (replaces a scenario's [instance] cluster).
    #[arg(long, value_name = "N", value_parser = common::shards)]
    shards: Option<SlotMap>,
    /// Key classes of a trace.
    #[command(flatten)]
    class_args: ClassArgs,
    /// A trace's read that misses inserts the object with its size.
    #[arg(long, requires = "trace")]
    read_through: bool,
    /// How a trace's key memory is counted (redis: Redis 7.0's formula;
    /// raw: a key costs its value's size).
    #[arg(long, value_enum, requires = "trace")]
    memory_model: Option<MemoryModelArg>,
    /// maxmemory-samples, for a trace [default: 5].
    #[arg(long, requires = "trace")]
    samples: Option<u32>,
    /// lfu-log-factor, for a trace [default: 10].
    #[arg(long, requires = "trace")]
    lfu_log_factor: Option<u32>,
    /// lfu-decay-time (minutes), for a trace [default: 1].
    #[arg(long, requires = "trace")]
    lfu_decay_time: Option<u32>,
    /// Stop at a trace's first malformed line instead of skipping it.
    #[arg(long, requires = "trace")]
    strict: bool,
    /// The server the model follows.
    #[command(flatten)]
    model: ModelArgs,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    format: StdoutFormat,
    /// Where to write the report files (default: reports/<name>-sweep/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only; write no report files.
    #[arg(long, conflicts_with = "out")]
    no_report: bool,
    /// No progress bar (nor, for a trace, its summary).
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, help = common::FORCE_HELP)]
    force: bool,
}

/// The report directory, claimed for this sweep of `subject` before the
/// sweep starts (None with --no-report).
fn claim(args: &Args, subject: &str, name: &str) -> Result<Option<(PathBuf, Owner)>> {
    if args.no_report {
        return Ok(None);
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{name}-sweep")));
    let owner = common::claim_out(&dir, "sweep", subject, args.force)?;
    Ok(Some((dir, owner)))
}

/// `FROM..TO` (clap value parser).
fn size_range(s: &str) -> Result<SizeRange, String> {
    s.parse::<SizeRange>().map_err(|e| e.to_string())
}

pub fn exec(args: Args) -> Result<i32> {
    super::interrupt::install_whole()?;
    let spacing = match (args.steps, args.step) {
        (_, Some(step)) => Spacing::Step(step),
        (steps, None) => Spacing::Steps(steps.unwrap_or(DEFAULT_STEPS)),
    };
    let grid = SizeGrid::new(args.maxmemory, spacing)?;
    let resolution = args.resolution.unwrap_or(DEFAULT_RESOLUTION);
    if resolution == 0 {
        bail!("--resolution must be above 0");
    }
    let plan = SweepPlan {
        grid,
        seeds: args.seeds,
        find_safe: args.find_safe.then_some(resolution),
        phases: args.phases,
    };
    let started = Instant::now();
    let (result, out) = match (&args.scenario, &args.trace) {
        (Some(path), _) => sweep_scenario(&args, path, &plan)?,
        (None, Some(trace)) => sweep_trace(&args, trace, &plan)?,
        (None, None) => bail!("give a scenario file or --trace FILE"),
    };
    let elapsed = started.elapsed();
    finish(&result, &args, out)?;
    if !args.quiet {
        let extra: usize = result
            .find_safe
            .as_ref()
            .map_or(0, |fs| fs.policies.iter().map(|s| s.extra_sizes).sum());
        eprintln!(
            "swept {} sizes x {} {} x {} {}{} ({} runs{}) in {:.1} s",
            result.sizes.len(),
            result.policies.len(),
            if result.policies.len() == 1 {
                "policy"
            } else {
                "policies"
            },
            result.runs.len(),
            if result.runs.len() == 1 {
                "seed"
            } else {
                "seeds"
            },
            match result.phase_offsets_ms.len() {
                1 => String::new(),
                n => format!(" x {n} start phases"),
            },
            result.points.len() + result.runs.len() * result.phase_offsets_ms.len(),
            if extra > 0 {
                format!(", then {extra} more sizes searched")
            } else {
                String::new()
            },
            elapsed.as_secs_f64()
        );
    }
    Ok(0)
}

/// Refuses a range that starts at or below the empty server's memory, as
/// `run` refuses such a `maxmemory`: every point there would refuse or
/// evict every write at once (almost always a unit slip).
fn range_has_room(plan: &SweepPlan, instance: &InstanceConfig) -> Result<()> {
    let range = plan.grid.range;
    let at_from = InstanceConfig {
        maxmemory: range.from,
        ..instance.clone()
    };
    if let Some(why) = at_from.no_room() {
        bail!(
            "--maxmemory {}..{}: the range starts too low: {why}",
            evictsim::report::fmt::bytes(range.from),
            evictsim::report::fmt::bytes(range.to)
        );
    }
    Ok(())
}

/// Sweeps a scenario: each seed generates its own workload.
fn sweep_scenario(args: &Args, path: &Path, plan: &SweepPlan) -> Result<(SweepResult, Claimed)> {
    let c = &args.class_args;
    if !c.classes.is_empty() || !c.critical.is_empty() || c.classes_file.is_some() {
        bail!("--class, --critical and --classes are for a trace (--trace FILE); a scenario's classes are in its file");
    }
    let mut sc = common::scenario_with_overrides(
        path,
        args.shards.clone(),
        &args.policies,
        None,
        args.seed,
    )?;
    args.model
        .apply_to_scenario(&mut sc, path, &args.policies)?;
    range_has_room(plan, &sc.instance)?;
    let out = claim(args, &sc.name, &sc.name)?;
    let base = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Provenance::Scenario {
            path: path.display().to_string(),
        },
    };
    if !args.quiet && sc.instance.start_unix_ms != DEFAULT_START_UNIX_MS {
        eprintln!(
            "clock starts at {}",
            base.source.describe_start(sc.instance.start_unix_ms)
        );
    }
    let progress = Progress::points("sweeping", args.quiet);
    let result = sweep::sweep(&base, SweepSource::Scenario(&sc), plan, &|d, p| {
        progress.points_done(d, p)
    });
    progress.finish();
    Ok((result, out))
}

/// Where the report goes and who writes it, once claimed.
type Claimed = Option<(PathBuf, Owner)>;

/// Sweeps a trace: read once, its operations kept in memory for every point.
fn sweep_trace(args: &Args, trace: &Path, plan: &SweepPlan) -> Result<(SweepResult, Claimed)> {
    let format = args
        .trace_format
        .context("--trace needs --trace-format FORMAT")?;
    let mut opts = TraceOptions::new(format);
    opts.classes = args.class_args.rules()?;
    opts.read_through = args.read_through;
    opts.strict = args.strict;
    let provenance = TraceProvenance::new(
        trace.display().to_string(),
        &opts,
        args.class_args
            .classes_file
            .as_ref()
            .map(|f| f.display().to_string()),
        None,
        0,
    )
    .with_start(args.start_unix_ms);
    let seed = args.seed.unwrap_or(0);
    let defaults = InstanceConfig::default();
    let mut instance = InstanceConfig {
        samples: args.samples.unwrap_or(defaults.samples),
        lfu_log_factor: args.lfu_log_factor.unwrap_or(defaults.lfu_log_factor),
        lfu_decay_time: args.lfu_decay_time.unwrap_or(defaults.lfu_decay_time),
        memory_model: args.memory_model.unwrap_or(MemoryModelArg::Redis).into(),
        seed,
        ..defaults
    };
    args.model.apply(&mut instance);
    let server = instance.server;
    if let Some(p) = args.policies.iter().find(|p| !server.has_policy(**p)) {
        bail!("--policy {p}: {server} has no {p}");
    }
    let mut reader = TraceReader::open(trace, opts)?;
    let instance = InstanceConfig {
        start_unix_ms: args
            .start_unix_ms
            .or(reader.start_unix_ms())
            .unwrap_or(instance.start_unix_ms),
        ..instance
    };
    range_has_room(plan, &instance)?;
    let out = claim(args, &common::trace_name(trace), &common::trace_stem(trace))?;
    if !args.quiet {
        let source = Provenance::Trace(provenance.clone());
        eprintln!(
            "clock starts at {}",
            source.describe_start(instance.start_unix_ms)
        );
    }
    let reading = Progress::new("reading", None, args.quiet);
    // A cluster's operations are routed to their shards as they are read.
    let (ops, sharded): (Vec<Op>, Option<ShardedOps>) = match &args.shards {
        Some(slots) => (Vec::new(), Some(ShardedOps::route(&mut reader, slots))),
        None => (reader.by_ref().collect(), None),
    };
    reading.finish();
    let classes = reader.class_infos();
    let stats = reader.finish()?;
    if !args.quiet {
        let file = trace.display().to_string();
        eprint!("{}", common::trace_summary(&file, &stats, &classes));
    }
    let base = RunSpec {
        scenario: trace
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        seed,
        instance,
        policies: common::policies_or(&args.policies, &server.policies()),
        classes,
        duration_ms: 0,
        source: Provenance::Trace(provenance.with_stats(&stats)),
    };
    let progress = Progress::points("sweeping", args.quiet);
    let source = match (&sharded, &args.shards) {
        (Some(sharded), Some(slots)) => SweepSource::Sharded(sharded, slots),
        _ => SweepSource::Ops(&ops),
    };
    let result = sweep::sweep(&base, source, plan, &|d, p| progress.points_done(d, p));
    progress.finish();
    Ok((result, out))
}

/// Prints the sweep in the chosen format, then writes the report directory.
fn finish(result: &SweepResult, args: &Args, out: Claimed) -> Result<()> {
    let bytes = report::export_sweep(args.format.into(), result)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    if let Some((dir, owner)) = out {
        // A signal while the files are renamed into place waits for the
        // last one (before that, it exits and leaves the old report).
        let files = common::write_claimed(&dir, &owner, || {
            report::write_sweep_dir(&dir, result)
                .with_context(|| format!("cannot write the report to {}", dir.display()))
        })?;
        if !args.quiet {
            eprintln!(
                "report written to {}/ ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    Ok(())
}
