//! The `evictsim` command: parse arguments, build the library's typed
//! options, run, export. Errors are printed once, with their causes.

mod cli;

use anyhow::{bail, Context, Result};
use clap::Parser;
use cli::{CalibrateArgs, Cli, Command, RunArgs, ServerArgs, ValidateArgs};
use evictsim::model::PolicyKind;
use evictsim::report::{self, Format};
use evictsim::sim::{self, RunSpec};
use evictsim::source::{Scenario, Workload};
use evictsim::units;
use evictsim::validate::{
    self, PolicyValidation, Target, ValidateOptions, Validation, ValidationJson, ValidationTable,
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
        let mut ps = Vec::new();
        for p in policies {
            let p: PolicyKind = p.parse()?;
            if !ps.contains(&p) {
                ps.push(p);
            }
        }
        scenario.policies = ps;
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
    scenario: Scenario,
    format: Format,
    out: Option<PathBuf>,
    quiet: bool,
}

fn run_options(args: RunArgs) -> Result<RunOptions> {
    let scenario = scenario_with_overrides(
        &args.scenario,
        &args.policies,
        args.maxmemory.as_deref(),
        args.seed,
    )?;
    let format: Format = args.format.parse()?;
    let out = if args.no_report {
        None
    } else {
        Some(
            args.out
                .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name)),
        )
    };
    Ok(RunOptions {
        scenario,
        format,
        out,
        quiet: args.quiet,
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
    let spec = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
    };
    let pb = progress_bar(sc.duration_ms, opts.quiet);
    let started = std::time::Instant::now();
    let result = sim::simulate(&spec, Workload::new(sc), |ops, t_ms| {
        pb.set_position(t_ms);
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        pb.set_message(format!(
            "{} ops, {}/s",
            report::fmt::thousands(ops),
            report::fmt::thousands((ops as f64 / secs) as u64)
        ));
    });
    pb.finish_and_clear();
    let bytes = report::export(opts.format, &result)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    if let Some(dir) = &opts.out {
        let files = report::write_dir(dir, &result)?;
        if !opts.quiet {
            eprintln!(
                "report written to {}/ ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    Ok(())
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

/// Typed options of `validate`.
fn validate_options(args: ValidateArgs) -> Result<(ValidateOptions, TextOrJson, Vec<String>)> {
    let explicit = !args.policies.is_empty();
    let scenario = scenario_with_overrides(
        &args.scenario,
        &args.policies,
        args.maxmemory.as_deref(),
        args.seed,
    )?;
    let format = text_or_json(&args.format)?;
    let mut skipped = Vec::new();
    let mut policies = scenario.policies.clone();
    if !explicit {
        // The scenario's list may hold policies Redis 7.0 lacks: leave them out.
        policies.retain(|&p| match validate::not_in_redis7(p) {
            Some(why) => {
                skipped.push(format!("{p} skipped: {why}"));
                false
            }
            None => true,
        });
    }
    let opts = ValidateOptions {
        scenario,
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
            opts.scenario.name,
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
        let what = match p {
            PolicyKind::NoEviction => {
                "never evict; refuse DENYOOM writes over maxmemory (data stores)"
            }
            PolicyKind::AllKeysLru => "sampled LRU over every key (pure caches)",
            PolicyKind::AllKeysLfu => "sampled LFU over every key (caches with a stable hot set)",
            PolicyKind::AllKeysRandom => "a random key, databases in turn",
            PolicyKind::VolatileLru => "sampled LRU over keys with a TTL; others are never evicted",
            PolicyKind::VolatileLfu => "sampled LFU over keys with a TTL; others are never evicted",
            PolicyKind::VolatileRandom => "a random key with a TTL",
            PolicyKind::VolatileTtl => "the sampled key with a TTL that expires soonest",
            PolicyKind::AllKeysLrm => "Redis 8.6: least recently modified (reads don't count)",
            PolicyKind::VolatileLrm => "Redis 8.6: least recently modified among keys with a TTL",
            PolicyKind::ExactLru => "reference: exact LRU, no sampling (not in Redis)",
        };
        s += &format!("{:<16} {what}\n", p.name());
    }
    s
}
