//! The `evictsim` command: parse arguments, build the library's typed
//! options, run, export. Errors are printed once, with their causes.

mod cli;

use anyhow::{bail, Context, Result};
use clap::Parser;
use cli::{CalibrateArgs, ClassArgs, Cli, Command, ReplayArgs, RunArgs, ServerArgs, ValidateArgs};
use evictsim::model::{InstanceConfig, MemoryModel, PolicyKind};
use evictsim::provenance::{Provenance, TraceProvenance};
use evictsim::report::{self, Format};
use evictsim::shards::SpatialSample;
use evictsim::sim::ClassInfo;
use evictsim::sim::{self, RunResult, RunSpec};
use evictsim::source::{Scenario, Workload};
use evictsim::trace::TraceStats;
use evictsim::trace::{ClassRules, CsvWriter, TraceFormat, TraceOptions, TraceReader};
use evictsim::units;
use evictsim::validate::{
    self, PolicyValidation, Target, TraceInput, ValidateOptions, ValidateSource, Validation,
    ValidationJson, ValidationTable,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Exit status of a validation whose model falls outside tolerance.
const EXIT_OUTSIDE_TOLERANCE: i32 = 2;

fn main() {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::exit(1);
        }
    }
}

/// Runs the command; the exit status on success.
fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run_scenario(args).map(|_| 0),
        Command::Replay(args) => replay(args).map(|_| 0),
        Command::Check { scenarios } => check(&scenarios).map(|_| 0),
        Command::Policies => {
            print!("{}", policies_help());
            Ok(0)
        }
        Command::Validate(args) => run_validate(args),
        Command::Calibrate(args) => run_calibrate(args).map(|_| 0),
    }
}

/// Reads a scenario and applies the command line's overrides.
fn scenario_with_overrides(
    path: &std::path::Path,
    policies: &[String],
    maxmemory: Option<&str>,
    seed: Option<u64>,
) -> Result<Scenario> {
    let mut scenario = Scenario::from_path(path)?;
    if !policies.is_empty() {
        scenario.policies = parse_policies(policies)?;
    }
    if let Some(m) = maxmemory {
        scenario.instance.maxmemory =
            units::parse_memory(m).with_context(|| format!("--maxmemory '{m}'"))?;
    }
    if let Some(seed) = seed {
        scenario.seed = seed;
        scenario.instance.seed = seed;
    }
    Ok(scenario)
}

/// Typed options of `run`, with nothing of clap left in them.
struct RunOptions {
    path: PathBuf,
    scenario: Scenario,
    output: Output,
    emit_trace: Option<PathBuf>,
}

/// Where a finished run goes: stdout in one format, and a report directory.
struct Output {
    format: Format,
    out: Option<PathBuf>,
    quiet: bool,
}

fn parse_policies(names: &[String]) -> Result<Vec<PolicyKind>> {
    let mut ps = Vec::new();
    for p in names {
        let p: PolicyKind = p.parse()?;
        if !ps.contains(&p) {
            ps.push(p);
        }
    }
    Ok(ps)
}

fn run_options(args: RunArgs) -> Result<RunOptions> {
    let scenario = scenario_with_overrides(
        &args.scenario,
        &args.policies,
        args.maxmemory.as_deref(),
        args.seed,
    )?;
    let format: Format = args.output.format.parse()?;
    let out = if args.output.no_report {
        None
    } else {
        Some(
            args.output
                .out
                .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name)),
        )
    };
    Ok(RunOptions {
        path: args.scenario,
        scenario,
        output: Output {
            format,
            out,
            quiet: args.output.quiet,
        },
        emit_trace: args.emit_trace,
    })
}

fn progress_bar(total_ms: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating {bar:30} {percent:>3}% of simulated time  {msg}  eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb
}

fn run_scenario(args: RunArgs) -> Result<()> {
    let opts = run_options(args)?;
    let sc = &opts.scenario;
    if let Some(path) = &opts.emit_trace {
        emit_trace(sc, path)?;
    }
    let spec = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Provenance::Scenario {
            path: opts.path.display().to_string(),
        },
    };
    let pb = progress_bar(sc.duration_ms, opts.output.quiet);
    let started = std::time::Instant::now();
    let result = sim::simulate(&spec, Workload::new(sc), |ops, t_ms| {
        pb.set_position(t_ms);
        pb.set_message(rate(ops, started));
    });
    pb.finish_and_clear();
    finish(&result, &opts.output)
}

fn rate(ops: u64, started: std::time::Instant) -> String {
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    format!(
        "{} ops, {}/s",
        report::fmt::thousands(ops),
        report::fmt::thousands((ops as f64 / secs) as u64)
    )
}

/// Prints the run in the chosen format, then writes the report directory.
fn finish(result: &RunResult, output: &Output) -> Result<()> {
    let bytes = report::export(output.format, result)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    if let Some(dir) = &output.out {
        let files = report::write_dir(dir, result)?;
        if !output.quiet {
            eprintln!(
                "report written to {}/ ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    Ok(())
}

/// Writes the scenario's operation stream as an evictsim CSV trace, to a
/// temporary name first, renamed when complete.
fn emit_trace(sc: &Scenario, path: &std::path::Path) -> Result<()> {
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

/// Class rules from `--class`/`--critical` or `--classes FILE`.
fn class_rules(args: &ClassArgs) -> Result<ClassRules> {
    let mut classes = match &args.classes_file {
        Some(f) => ClassRules::from_toml_file(f)?,
        None => ClassRules::from_cli(&args.classes, &[] as &[&str])?,
    };
    for c in &args.critical {
        classes.mark_critical(c)?;
    }
    Ok(classes)
}

fn replay(args: ReplayArgs) -> Result<()> {
    let format: TraceFormat = args.trace_format.parse()?;
    let classes = class_rules(&args.class_args)?;
    let memory_model = match args.memory_model.as_str() {
        "redis" => MemoryModel::Redis,
        "raw" => MemoryModel::Raw,
        other => bail!("--memory-model '{other}': expected redis or raw"),
    };
    let maxmemory = units::parse_memory(&args.maxmemory)
        .with_context(|| format!("--maxmemory '{}'", args.maxmemory))?;
    let policies = if args.policies.is_empty() {
        PolicyKind::ALL.to_vec()
    } else {
        parse_policies(&args.policies)?
    };
    let output = Output {
        format: args.output.format.parse()?,
        out: if args.output.no_report {
            None
        } else {
            Some(
                args.output
                    .out
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("reports").join(trace_stem(&args.trace))),
            )
        },
        quiet: args.output.quiet,
    };
    let mut opts = TraceOptions::new(format);
    opts.classes = classes;
    opts.read_through = args.read_through;
    opts.strict = args.strict;
    let provenance = TraceProvenance::new(
        args.trace.display().to_string(),
        &opts,
        args.class_args
            .classes_file
            .as_ref()
            .map(|f| f.display().to_string()),
        args.sample_rate,
        maxmemory,
    );
    let mut reader = TraceReader::open(&args.trace, opts)?;
    let sample = match args.sample_rate {
        Some(r) => Some(SpatialSample::new(r, args.seed).context("--sample-rate")?),
        None => None,
    };
    let mut spec = RunSpec {
        scenario: args
            .trace
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        seed: args.seed,
        instance: InstanceConfig {
            maxmemory,
            samples: args.samples,
            lfu_log_factor: args.lfu_log_factor,
            lfu_decay_time: args.lfu_decay_time,
            memory_model,
            seed: args.seed,
            ..Default::default()
        },
        policies,
        classes: reader.class_infos(),
        duration_ms: 0,
        source: Provenance::Library,
    };
    if let Some(s) = &sample {
        spec.instance = s.scale(&spec.instance);
        if !args.output.quiet {
            eprintln!(
                "sampling {:.2}% of the keys; maxmemory scaled to {} (counts below are the sample's)",
                s.rate() * 100.0,
                report::fmt::bytes(spec.instance.maxmemory)
            );
        }
    }
    let pb = spinner(args.output.quiet);
    let started = std::time::Instant::now();
    let ops = reader
        .by_ref()
        .filter(|op| sample.as_ref().is_none_or(|s| s.keeps(op)));
    let mut result = sim::simulate(&spec, ops, |ops, _| pb.set_message(rate(ops, started)));
    pb.finish_and_clear();
    let stats = reader.finish()?;
    if !args.output.quiet {
        eprint!(
            "{}",
            trace_summary(&args.trace.display().to_string(), &stats, &spec.classes)
        );
    }
    result.source = Provenance::Trace(provenance.with_stats(&stats));
    finish(&result, &output)
}

/// What the reader saw and understood of a trace, for stderr.
fn trace_summary(file: &str, stats: &TraceStats, classes: &[ClassInfo]) -> String {
    use report::fmt::thousands;
    let mut s = format!(
        "{file}: {} lines, {} operations, {} distinct keys, {} malformed lines skipped, {} refused as Redis refuses them\n",
        thousands(stats.lines),
        thousands(stats.ops),
        thousands(stats.distinct_keys),
        thousands(stats.skipped_malformed),
        thousands(stats.rejected),
    );
    for (line, why) in &stats.first_errors {
        s += &format!("  line {line}: {why}\n");
    }
    if !stats.unknown_commands.is_empty() {
        let list: Vec<String> = stats
            .unknown_commands
            .iter()
            .map(|(c, n)| format!("{c} x{n}"))
            .collect();
        s += &format!("  commands not modelled (skipped): {}\n", list.join(", "));
    }
    let table = report::understood::text(classes, &stats.understood, "  ");
    if !table.is_empty() {
        s += "  understood as:\n";
        s += &table;
    }
    s
}

fn trace_stem(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trace".into());
    let mut stem = name.as_str();
    for ext in [".gz", ".zst", ".csv", ".log", ".txt"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    stem.to_string()
}

fn spinner(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} replaying  {msg}  {elapsed}")
            .expect("static template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// The server the validate and calibrate commands use.
fn target(args: ServerArgs) -> Target {
    match (args.redis, args.redis_server) {
        (Some(url), _) => Target::Url(url),
        (None, Some(path)) => Target::Spawn(path),
        (None, None) => Target::Spawn(PathBuf::from("redis-server")),
    }
}

/// What `validate` and `calibrate` print.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextOrJson {
    Table,
    Json,
}

fn text_or_json(s: &str) -> Result<TextOrJson> {
    match s.trim().to_ascii_lowercase().as_str() {
        "table" => Ok(TextOrJson::Table),
        "json" => Ok(TextOrJson::Json),
        _ => bail!("unknown format '{s}' (expected table or json)"),
    }
}

/// The Redis 7.0 policies of a list, and a note for each left out.
fn redis7_policies(list: &[PolicyKind], skipped: &mut Vec<String>) -> Vec<PolicyKind> {
    list.iter()
        .copied()
        .filter(|&p| match validate::not_in_redis7(p) {
            Some(why) => {
                skipped.push(format!("{p} skipped: {why}"));
                false
            }
            None => true,
        })
        .collect()
}

/// Typed options of `validate`.
fn validate_options(args: ValidateArgs) -> Result<(ValidateOptions, TextOrJson, Vec<String>)> {
    let explicit = !args.policies.is_empty();
    let format = text_or_json(&args.format)?;
    let mut skipped = Vec::new();
    let (source, policies) = match (&args.scenario, &args.trace) {
        (Some(path), _) => {
            let scenario = scenario_with_overrides(
                path,
                &args.policies,
                args.maxmemory.as_deref(),
                args.seed,
            )?;
            // The scenario's list may hold policies Redis 7.0 lacks: leave them out.
            let policies = if explicit {
                scenario.policies.clone()
            } else {
                redis7_policies(&scenario.policies, &mut skipped)
            };
            (ValidateSource::Scenario(scenario), policies)
        }
        (None, Some(trace)) => {
            let (input, stats) = load_trace_for_validate(&args, trace)?;
            eprint!(
                "{}",
                trace_summary(&trace.display().to_string(), &stats, &input.classes)
            );
            let policies = if explicit {
                parse_policies(&args.policies)?
            } else {
                redis7_policies(&PolicyKind::ALL, &mut skipped)
            };
            (ValidateSource::Trace(input), policies)
        }
        (None, None) => bail!("give a scenario file or --trace FILE"),
    };
    let opts = ValidateOptions {
        source,
        policies,
        target: target(args.server),
        speed: args.speed,
    };
    opts.check()?;
    if opts.policies.is_empty() {
        bail!("no Redis 7.0 policy to validate ({})", skipped.join("; "));
    }
    Ok((opts, format, skipped))
}

/// Reads the whole trace of `validate --trace` into memory.
fn load_trace_for_validate(
    args: &ValidateArgs,
    trace: &std::path::Path,
) -> Result<(TraceInput, TraceStats)> {
    let format: TraceFormat = args
        .trace_format
        .as_deref()
        .context("--trace needs --trace-format (csv or monitor)")?
        .parse()?;
    if !matches!(format, TraceFormat::Csv | TraceFormat::Monitor) {
        bail!("validate --trace takes csv or monitor traces (got {format}): the others are anonymised cache traces with no Redis commands to send");
    }
    let maxmemory = args
        .maxmemory
        .as_deref()
        .context("--trace needs --maxmemory")?;
    let maxmemory =
        units::parse_memory(maxmemory).with_context(|| format!("--maxmemory '{maxmemory}'"))?;
    let mut opts = TraceOptions::new(format);
    opts.classes = class_rules(&args.class_args)?;
    opts.read_through = args.read_through;
    let instance = InstanceConfig {
        maxmemory,
        seed: args.seed.unwrap_or(0),
        ..Default::default()
    };
    let (input, stats) = validate::load_trace(trace, opts, instance)?;
    Ok((input, stats))
}

fn run_validate(args: ValidateArgs) -> Result<i32> {
    let (opts, format, skipped) = validate_options(args)?;
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

fn run_calibrate(args: CalibrateArgs) -> Result<()> {
    let format = text_or_json(&args.format)?;
    let target = target(args.server);
    eprintln!(
        "calibrate: loading {} keys per cell into {}...",
        report::fmt::thousands(u64::from(args.keys)),
        target.describe()
    );
    let c = validate::calibrate(&target, &validate::calibrate::grid(), args.keys)?;
    let mut stdout = std::io::stdout().lock();
    match format {
        TextOrJson::Table => stdout.write_all(c.render().as_bytes())?,
        TextOrJson::Json => {
            let mut out = serde_json::to_vec_pretty(&c)?;
            out.push(b'\n');
            stdout.write_all(&out)?;
        }
    }
    stdout.flush()?;
    Ok(())
}

fn check(paths: &[PathBuf]) -> Result<()> {
    let mut bad = 0;
    for p in paths {
        match Scenario::from_path(p) {
            Ok(s) => println!(
                "ok   {}: {} classes, {} policies, {} simulated",
                p.display(),
                s.classes.len(),
                s.policies.len(),
                report::fmt::duration_ms(s.duration_ms)
            ),
            Err(e) => {
                bad += 1;
                println!("FAIL {e}");
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} scenario files are invalid", paths.len());
    }
    Ok(())
}

fn policies_help() -> String {
    let mut s = String::new();
    for p in PolicyKind::ALL {
        s += &format!("{:<16} {}\n", p.name(), p.help());
    }
    s
}
