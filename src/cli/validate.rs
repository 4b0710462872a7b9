//! `evictsim validate SCENARIO` or `evictsim validate --trace FILE`: replay
//! the operations into a real redis-server under each policy, run the model
//! on the same stream, and print both side by side with a verdict per
//! tolerance. Exit status 2 when a figure falls outside.

use super::common::{self, ClassArgs, ServerArgs, TextOrJson};
use anyhow::{bail, Context, Result};
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::report;
use evictsim::source::{ClassKind, QueueSpec, QueueStructure};
use evictsim::trace::{TraceFormat, TraceOptions};
use evictsim::validate::{
    self, PolicyValidation, ValidateOptions, ValidateSource, Validation, ValidationJson,
    ValidationTable,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit status of a validation whose model falls outside tolerance.
const EXIT_OUTSIDE_TOLERANCE: i32 = 2;

pub const EXAMPLES: &str = "\
Examples:
  evictsim validate tests/fixtures/tiny.toml
      the scenario's Redis 7.0 policies, each on a fresh redis-server from PATH, in real time
  evictsim validate scenarios/seed-blog.toml --speed 10 -p allkeys-lru -p volatile-lru
      10 simulated minutes in one real minute per policy (TTLs and windows scaled too)
  evictsim validate scenarios/pure-cache.toml --redis redis://127.0.0.1:6380 --format json
      use a running server (it is flushed with FLUSHALL and reconfigured)
  evictsim validate --trace tests/fixtures/mixed-zeros.csv --trace-format csv --maxmemory 3mb
      --classes tests/fixtures/mixed-zeros.classes.toml -p allkeys-lru -p noeviction
      your own trace (csv or a MONITOR capture) into real Redis, beside the model

Exit status: 0 when every figure agrees within tolerance, 2 when some does not,
1 on an error (no server, bad scenario or trace).";

/// Arguments of `validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (TOML; see scenarios/); or give --trace instead.
    #[arg(required_unless_present = "trace", conflicts_with = "trace")]
    scenario: Option<PathBuf>,
    /// Validate a trace instead of a scenario: its commands go to the
    /// server, paced by their timestamps (csv or monitor; needs --maxmemory).
    #[arg(long, value_name = "FILE", requires_all = ["trace_format", "maxmemory"])]
    trace: Option<PathBuf>,
    /// The trace's format: csv or monitor.
    #[arg(long, value_name = "csv|monitor", requires = "trace", value_parser = common::trace_format)]
    trace_format: Option<TraceFormat>,
    /// Key classes of the trace.
    #[command(flatten)]
    class_args: ClassArgs,
    /// A trace read that misses writes the object back (SET) with its size.
    #[arg(long, requires = "trace")]
    read_through: bool,
    /// A policy to validate (the help names Redis 7.0's, from the policy table).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy,
        help = format!(
            "A policy to validate (repeat for several; default: the scenario's list, or every \
             policy, without the ones Redis 7.0 lacks). Redis 7.0 has {}",
            PolicyKind::redis7_names()))]
    policies: Vec<PolicyKind>,
    /// Which server to replay into.
    #[command(flatten)]
    server: ServerArgs,
    /// Replay this many times faster than the scenario's clock; TTLs,
    /// windows and delays are divided by it too (what that distorts is
    /// printed).
    #[arg(long, default_value = "1", value_name = "X")]
    speed: f64,
    /// maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb): the
    /// scenario's override, or the trace's instance.
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    maxmemory: Option<u64>,
    /// Override the scenario's seed (for a trace: the model's own randomness).
    #[arg(long)]
    seed: Option<u64>,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Table)]
    format: TextOrJson,
}

pub fn exec(args: Args) -> Result<i32> {
    let format = args.format;
    let (opts, skipped) = options(args)?;
    let mut v = Validation::new(&opts);
    v.notes.extend(skipped);
    let mut stdout = std::io::stdout().lock();
    if format == TextOrJson::Table {
        stdout.write_all(ValidationTable::header(&v).as_bytes())?;
        stdout.flush()?;
    }
    for &policy in &opts.policies {
        eprintln!(
            "{policy}: replaying {} of {} into {}...",
            report::fmt::duration_ms(opts.real_duration_ms()),
            opts.source.name(),
            opts.target.describe()
        );
        let r: PolicyValidation = validate::validate_policy(&opts, policy)
            .with_context(|| format!("validating {policy}"))?;
        if format == TextOrJson::Table {
            stdout.write_all(ValidationTable::policy(&v, &r).as_bytes())?;
            stdout.flush()?;
        }
        v.policies.push(r);
    }
    match format {
        TextOrJson::Table => stdout.write_all(ValidationTable::footer(&v).as_bytes())?,
        TextOrJson::Json => stdout.write_all(&ValidationJson::render(&v)?)?,
    }
    stdout.flush()?;
    Ok(if v.ok() { 0 } else { EXIT_OUTSIDE_TOLERANCE })
}

/// The typed options, and a note for each policy left out.
fn options(args: Args) -> Result<(ValidateOptions, Vec<String>)> {
    let explicit = !args.policies.is_empty();
    let mut skipped = Vec::new();
    let (source, policies) = match (&args.scenario, &args.trace) {
        (Some(path), _) => {
            let scenario = common::scenario_with_overrides(
                path,
                None,
                &args.policies,
                args.maxmemory,
                args.seed,
            )?;
            if let Some(c) = &scenario.cluster {
                bail!(
                    "{}: validate replays into one redis-server, not a Redis Cluster of {} \
                     shards: remove [instance] cluster to validate one shard's model",
                    path.display(),
                    c.shards()
                );
            }
            if let Some(c) = scenario.classes.iter().find(|c| {
                matches!(
                    &c.kind,
                    ClassKind::Queue(QueueSpec {
                        structure: QueueStructure::List { sorted: true, .. },
                        ..
                    })
                )
            }) {
                bail!(
                    "{}: class {}: validate cannot send a structure = \"zset\" queue to \
                     redis-server yet (it sends every aggregate write as RPUSH); run, sweep \
                     and the rest model it, and `evictsim calibrate` checks its memory",
                    path.display(),
                    c.name
                );
            }
            // The scenario's list may hold policies Redis 7.0 lacks: leave them out.
            let policies = if explicit {
                scenario.policies.clone()
            } else {
                redis7_policies(&scenario.policies, &mut skipped)
            };
            (ValidateSource::Scenario(scenario), policies)
        }
        (None, Some(trace)) => {
            let policies = if explicit {
                common::policies_or(&args.policies, &[])
            } else {
                redis7_policies(&PolicyKind::ALL, &mut skipped)
            };
            (ValidateSource::Trace(load_trace(&args, trace)?), policies)
        }
        (None, None) => bail!("give a scenario file or --trace FILE"),
    };
    let opts = ValidateOptions {
        source,
        policies,
        target: args.server.target(),
        speed: args.speed,
    };
    opts.check()?;
    if opts.policies.is_empty() {
        bail!("no Redis 7.0 policy to validate ({})", skipped.join("; "));
    }
    Ok((opts, skipped))
}

/// The Redis 7.0 policies of a list, and a note for each left out.
fn redis7_policies(list: &[PolicyKind], skipped: &mut Vec<String>) -> Vec<PolicyKind> {
    list.iter()
        .copied()
        .filter(|&p| match p.redis7_reason() {
            Some(why) => {
                skipped.push(format!("{p} skipped: {why}"));
                false
            }
            None => true,
        })
        .collect()
}

/// Reads the whole trace into memory, and says what was understood.
fn load_trace(args: &Args, trace: &Path) -> Result<validate::TraceInput> {
    let format = args
        .trace_format
        .context("--trace needs --trace-format (csv or monitor)")?;
    if !matches!(format, TraceFormat::Csv | TraceFormat::Monitor) {
        bail!(
            "validate --trace takes csv or monitor traces (got {format}): the others are \
             anonymised cache traces with no Redis commands to send"
        );
    }
    let maxmemory = args.maxmemory.context("--trace needs --maxmemory")?;
    let mut opts = TraceOptions::new(format);
    opts.classes = args.class_args.rules()?;
    opts.read_through = args.read_through;
    let instance = InstanceConfig {
        maxmemory,
        seed: args.seed.unwrap_or(0),
        ..Default::default()
    };
    let (input, stats) = validate::load_trace(trace, opts, instance)?;
    let file = trace.display().to_string();
    eprint!("{}", common::trace_summary(&file, &stats, &input.classes));
    Ok(input)
}
