//! The `evictsim` command: parse arguments, build the library's typed
//! options, run, export. Errors are printed once, with their causes.

mod cli;

use anyhow::{bail, Context, Result};
use clap::Parser;
use cli::{Cli, Command, RunArgs};
use evictsim::model::PolicyKind;
use evictsim::report::{self, Format};
use evictsim::sim::{self, RunSpec};
use evictsim::source::{Scenario, Workload};
use evictsim::units;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_scenario(args),
        Command::Check { scenarios } => check(&scenarios),
        Command::Policies => {
            print!("{}", policies_help());
            Ok(())
        }
    }
}

/// Typed options of `run`, with nothing of clap left in them.
struct RunOptions {
    scenario: Scenario,
    format: Format,
    out: Option<PathBuf>,
    quiet: bool,
}

fn run_options(args: RunArgs) -> Result<RunOptions> {
    let mut scenario = Scenario::from_path(&args.scenario)?;
    if !args.policies.is_empty() {
        let mut ps = Vec::new();
        for p in &args.policies {
            let p: PolicyKind = p.parse()?;
            if !ps.contains(&p) {
                ps.push(p);
            }
        }
        scenario.policies = ps;
    }
    if let Some(m) = &args.maxmemory {
        scenario.instance.maxmemory =
            units::parse_memory(m).with_context(|| format!("--maxmemory '{m}'"))?;
    }
    if let Some(seed) = args.seed {
        scenario.seed = seed;
        scenario.instance.seed = seed;
    }
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
