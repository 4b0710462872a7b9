//! `evictsim replay TRACE`: stream a recorded trace once through one model
//! instance per policy, say what the reader saw and understood, then print
//! and write the report as `run` does.

use super::common::{self, ClassArgs, MemoryModelArg, ModelArgs, OutputArgs, Progress};
use anyhow::{Context, Result};
use evictsim::cluster::SlotMap;
use evictsim::model::{InstanceConfig, PolicyKind, DEFAULT_START_UNIX_MS};
use evictsim::provenance::{Provenance, TraceProvenance};
use evictsim::report;
use evictsim::shards::{Sampled, SpatialSample};
use evictsim::sim::RunSpec;
use evictsim::trace::{TraceFormat, TraceOptions, TraceReader};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  evictsim replay capture.log --trace-format monitor --maxmemory 64mb
      --class sessions='session:*' --critical sessions
  evictsim replay trace.csv --trace-format csv --maxmemory 3mb --classes classes.toml
  evictsim replay w01.oracleGeneral.zst --trace-format oracle-general
      --maxmemory 1gb --read-through --memory-model raw --sample-rate 0.1
  evictsim replay capture.log --trace-format monitor --maxmemory 64mb --shards 3
      a Redis Cluster of 3 shards, 64mb each; commands on db != 0 are refused
  evictsim replay capture.log --trace-format monitor --maxmemory 8mb -p allkeys-lfu --phases 6
      at 6 start phases of the minute: how much the figures move with it
  evictsim replay trace.csv --trace-format csv --maxmemory 3mb --start-unix-ms 2026-12-04T10:00:20Z
      the clocks start at that instant (a MONITOR capture starts at its first timestamp)";

/// Arguments of `replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The trace file (`.gz` and `.zst` are read transparently).
    trace: PathBuf,
    /// The trace's format (the help lists them, from the library's table).
    #[arg(long, value_name = "FORMAT", value_parser = common::trace_format,
        help = format!("The trace's format: {}", common::trace_format_names()))]
    trace_format: TraceFormat,
    /// maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    maxmemory: u64,
    /// A policy to run (repeat for several; default: all).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy)]
    policies: Vec<PolicyKind>,
    /// Key classes.
    #[command(flatten)]
    class_args: ClassArgs,
    /// A read that misses inserts the object with its size, as cache
    /// simulators do (for traces that hold only reads).
    #[arg(long)]
    read_through: bool,
    /// redis: Redis 7.0's used_memory formula; raw: a key costs its value's
    /// size and room is made before an insert (textbook byte-capacity cache).
    #[arg(long, value_enum, default_value_t = MemoryModelArg::Redis)]
    memory_model: MemoryModelArg,
    /// The server the model follows.
    #[command(flatten)]
    model: ModelArgs,
    /// maxmemory-samples.
    #[arg(long, default_value_t = 5)]
    samples: u32,
    /// lfu-log-factor.
    #[arg(long, default_value_t = 10)]
    lfu_log_factor: u32,
    /// lfu-decay-time (minutes).
    #[arg(long, default_value_t = 1)]
    lfu_decay_time: u32,
    /// Seed of the instances' own randomness (sampling, LFU).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Replay only this share of the keys (chosen by hash) with maxmemory
    /// scaled to match (SHARDS): for traces too big to replay whole. Ratios
    /// carry over; counts are the sample's.
    #[arg(long, value_name = "R")]
    sample_rate: Option<f64>,
    /// Replay on a Redis Cluster of N shards (1 to 255), slots split evenly
    /// as `redis-cli --cluster create` does, each shard with its own
    /// maxmemory; commands on a database other than 0 are refused, as a
    /// cluster refuses SELECT.
    #[arg(long, value_name = "N", value_parser = common::shards)]
    shards: Option<SlotMap>,
    /// Stop at the first malformed line, or an op the format does not know
    /// (FILE:LINE: reason), instead of skipping and counting it.
    #[arg(long)]
    strict: bool,
    /// The wall-clock time of the trace's first operation, as unix ms or
    /// RFC 3339 (2026-12-04T10:00:20Z): where the 1-second LRU clock and
    /// the LFU minute clock tick. A MONITOR capture starts at its first
    /// timestamp unless this is given; other formats at a fixed instant,
    /// 2023-11-14T22:13:20Z.
    #[arg(long, value_name = "MS", value_parser = common::start_unix_ms)]
    start_unix_ms: Option<u64>,
    /// Run every policy at N start phases spread evenly over the minute
    /// (phase k starts k*60/N s after the trace's start), in parallel, and
    /// report each figure as its median (lowest-highest): LFU decays on
    /// the wall clock's minutes, so a short trace depends on where in the
    /// minute it starts. 1 is a plain run.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = common::phases)]
    phases: u32,
    /// Output options.
    #[command(flatten)]
    output: OutputArgs,
}

pub fn exec(args: Args) -> Result<i32> {
    let output = args
        .output
        .output("replay", &common::trace_name(&args.trace), || {
            PathBuf::from("reports").join(common::trace_stem(&args.trace))
        })?;
    let mut opts = TraceOptions::new(args.trace_format);
    opts.classes = args.class_args.rules()?;
    opts.read_through = args.read_through;
    opts.strict = args.strict;
    if args.shards.is_some() {
        // A cluster node has only database 0: the rest is refused, and counted.
        opts.databases = 1;
    }
    let provenance = TraceProvenance::new(
        args.trace.display().to_string(),
        &opts,
        args.class_args
            .classes_file
            .as_ref()
            .map(|f| f.display().to_string()),
        args.sample_rate,
        args.maxmemory,
    )
    .with_start(args.start_unix_ms);
    let sample = match args.sample_rate {
        Some(r) => Some(SpatialSample::new(r, args.seed).context("--sample-rate")?),
        None => None,
    };
    let asked = InstanceConfig {
        maxmemory: args.maxmemory,
        memory_model: args.memory_model.into(),
        ..Default::default()
    };
    if let Some(why) = asked.no_room() {
        anyhow::bail!("--maxmemory: {why}");
    }
    super::interrupt::install()?;
    let mut reader = TraceReader::open(&args.trace, opts)?;
    let start = args
        .start_unix_ms
        .or(reader.start_unix_ms())
        .unwrap_or(DEFAULT_START_UNIX_MS);
    let mut spec = RunSpec {
        scenario: args
            .trace
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        seed: args.seed,
        instance: InstanceConfig {
            maxmemory: args.maxmemory,
            samples: args.samples,
            lfu_log_factor: args.lfu_log_factor,
            lfu_decay_time: args.lfu_decay_time,
            memory_model: args.memory_model.into(),
            seed: args.seed,
            start_unix_ms: start,
            ..Default::default()
        },
        policies: Vec::new(),
        classes: reader.class_infos(),
        duration_ms: 0,
        source: Provenance::Library,
    };
    args.model.apply(&mut spec.instance);
    let server = spec.instance.server;
    if let Some(p) = args.policies.iter().find(|p| !server.has_policy(**p)) {
        anyhow::bail!("--policy {p}: {server} has no {p}");
    }
    spec.policies = common::policies_or(&args.policies, &server.policies());
    if let Some(s) = &sample {
        spec.instance = s.scale(&spec.instance);
        if !output.quiet {
            eprintln!(
                "sampling {:.2}% of the keys; maxmemory scaled to {} (counts below are the sample's)",
                s.rate() * 100.0,
                report::fmt::bytes(spec.instance.maxmemory)
            );
        }
    }
    if !output.quiet {
        let source = Provenance::Trace(provenance.clone());
        eprintln!("clock starts at {}", source.describe_start(start));
    }
    let progress = Progress::new("replaying", None, output.quiet);
    let ops = Sampled::new(reader.by_ref(), sample);
    let update = |ops, t| progress.update(ops, t);
    let mut result = common::simulate(&spec, args.shards.as_ref(), args.phases, ops, update);
    progress.finish();
    let stats = reader.finish()?;
    if !output.quiet {
        let file = args.trace.display().to_string();
        eprint!("{}", common::trace_summary(&file, &stats, &spec.classes));
    }
    result.source = Provenance::Trace(provenance.with_stats(&stats));
    common::finish(&result, &output)?;
    common::lfu_note(&result, args.phases, output.quiet);
    Ok(common::exit_status(&result))
}
