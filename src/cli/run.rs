//! `evictsim run SCENARIO`: generate a scenario's workload, replay it under
//! each policy, print the table (or JSON, CSV...) and write the report
//! directory; optionally also write the operation stream as a trace.

use super::common::{self, ModelArgs, OutputArgs, Progress};
use anyhow::{Context, Result};
use evictsim::cluster::SlotMap;
use evictsim::model::{PolicyKind, DEFAULT_START_UNIX_MS};
use evictsim::provenance::Provenance;
use evictsim::sim::RunSpec;
use evictsim::source::{Scenario, Workload};
use evictsim::trace::CsvWriter;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  evictsim run scenarios/seed-blog.toml
      every policy on the seed scenario; table on stdout, report in reports/seed-blog/
  evictsim run scenarios/seed-blog.toml --policy allkeys-lru --policy noeviction --maxmemory 48mb
  evictsim run scenarios/pure-cache.toml --format json > results.json
  evictsim run scenarios/seed-blog.toml --emit-trace seed-blog.csv.gz
      also write the operation stream, to replay elsewhere
  evictsim run scenarios/seed-blog.toml --server valkey-9.1
      the same workload on Valkey 9.1's memory layout and hashtable sampling
  evictsim run scenarios/cluster-hot-tenant.toml --shards 6
      a Redis Cluster of 6 shards, each with the scenario's maxmemory
  evictsim run scenarios/pure-cache.toml --phases 6
      every policy at 6 start phases of the minute: each figure as median (lowest-highest)";

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (TOML; see scenarios/).
    scenario: PathBuf,
    /// A policy to run (the help names them all, from the policy table).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy,
        help = format!(
            "A policy to run (repeat for several; default: the scenario's list, or all). {}",
            PolicyKind::names_by_origin()))]
    policies: Vec<PolicyKind>,
    /// Override maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    maxmemory: Option<u64>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Run on a Redis Cluster of N shards (1 to 255), slots split evenly as
    /// `redis-cli --cluster create` does, each shard with its own
    /// maxmemory (replaces the scenario's [instance] cluster).
    #[arg(long, value_name = "N", value_parser = common::shards)]
    shards: Option<SlotMap>,
    /// The server the model follows.
    #[command(flatten)]
    model: ModelArgs,
    /// Run every policy at N start phases spread evenly over the minute
    /// (phase k starts k*60/N s after the scenario's start), in parallel,
    /// and report each figure as its median (lowest-highest): LFU decays
    /// on the wall clock's minutes, so a short run depends on where in the
    /// minute it starts. 1 is a plain run.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = common::phases)]
    phases: u32,
    /// Output options.
    #[command(flatten)]
    output: OutputArgs,
    /// Also write the scenario's operation stream as an evictsim CSV trace
    /// (`.gz`/`.zst` compress), to replay elsewhere.
    #[arg(long, value_name = "FILE")]
    emit_trace: Option<PathBuf>,
}

pub fn exec(args: Args) -> Result<i32> {
    let mut sc = common::scenario_with_overrides(
        &args.scenario,
        args.shards,
        &args.policies,
        args.maxmemory,
        args.seed,
    )?;
    args.model
        .apply_to_scenario(&mut sc, &args.scenario, &args.policies)?;
    let output = args
        .output
        .output("run", &sc.name, || PathBuf::from("reports").join(&sc.name))?;
    if let Some(path) = &args.emit_trace {
        emit_trace(&sc, path)?;
    }
    let spec = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Provenance::Scenario {
            path: args.scenario.display().to_string(),
        },
    };
    super::interrupt::install()?;
    if !output.quiet && sc.instance.start_unix_ms != DEFAULT_START_UNIX_MS {
        eprintln!(
            "clock starts at {}",
            spec.source.describe_start(sc.instance.start_unix_ms)
        );
    }
    let progress = Progress::new("simulating", Some(sc.duration_ms), output.quiet);
    let update = |ops, t| progress.update(ops, t);
    let mut result = common::simulate(
        &spec,
        sc.cluster.as_ref(),
        args.phases,
        Workload::new(&sc),
        update,
    );
    progress.finish();
    // The crash answer under the scenario's persistence, with the run's
    // first policy (one instance; a cluster's shards crash one by one).
    // (Not for a run stopped early: the crash is at the planned end.)
    if let (None, None, Some(&policy)) = (&result.partial, &sc.cluster, sc.policies.first()) {
        result.crash = Some(evictsim::crash::at_end(&sc, policy));
    }
    common::finish(&result, &output)?;
    common::lfu_note(&result, args.phases, output.quiet);
    Ok(common::exit_status(&result))
}

/// Writes the scenario's operation stream as an evictsim CSV trace, to a
/// temporary name first, renamed when complete.
fn emit_trace(sc: &Scenario, path: &Path) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("--emit-trace {}: not a file name", path.display()))?;
    // The temporary name ends like the real one: the extension picks the compression.
    let tmp = path.with_file_name(format!(
        ".tmp{}-{}",
        std::process::id(),
        name.to_string_lossy()
    ));
    let write = || -> Result<()> {
        let mut w = CsvWriter::create(&tmp)?;
        let mut workload = Workload::new(sc);
        let mut key = String::new();
        while let Some(op) = workload.next() {
            key.clear();
            workload.write_key_name(op.key, &mut key);
            w.write_op(&op, key.as_bytes())?;
        }
        w.close()?;
        Ok(())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.context(format!("cannot write trace {}", path.display())));
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot write trace {}", path.display()))?;
    Ok(())
}
