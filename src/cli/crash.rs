//! `evictsim crash SCENARIO`: what a crash at a moment of the run would
//! lose for good under the scenario's persistence settings (or those given
//! here), per class, for a process crash and for a power loss; over many
//! random moments, the spread; and a chart of the keys at risk over time.

use super::common::{self, TextOrJson};
use anyhow::{Context, Result};
use evictsim::crash::{self, CrashPoint};
use evictsim::model::PolicyKind;
use evictsim::persistence::{parse_save, Fsync};
use evictsim::report::crash as show;
use std::io::Write;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  evictsim crash scenarios/seed-blog.toml
      a crash at the end of the run and at 1,000 random moments, under the
      scenario's persistence (Redis 7.0's defaults: RDB snapshots, no AOF)
  evictsim crash scenarios/seed-blog.toml --at 5m --at 9m30s --appendonly yes
  evictsim crash scenarios/seed-blog.toml --save '' --appendonly no --samples 0";

/// Arguments of `crash`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (TOML; see scenarios/).
    scenario: PathBuf,
    /// A moment of the run to crash at (repeat; e.g. 90s, 5m; default: the
    /// end of the run).
    #[arg(long = "at", value_name = "TIME", value_parser = duration)]
    at: Vec<u64>,
    /// Random moments to crash at for the spread (0: none).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    samples: usize,
    /// Seed of the random moments and an override of the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// The policy the instance runs (default: the scenario's first; keys it
    /// evicts are not crash losses).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy)]
    policy: Option<PolicyKind>,
    /// Override the scenario's maxmemory, with Redis's units.
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    maxmemory: Option<u64>,
    /// Override `save` (pairs of SECONDS CHANGES, '' for none).
    #[arg(long, value_name = "POINTS")]
    save: Option<String>,
    /// Override `appendonly` (yes or no).
    #[arg(long, value_name = "yes|no", value_parser = yes_no)]
    appendonly: Option<bool>,
    /// Override `appendfsync` (always, everysec, no).
    #[arg(long, value_name = "MODE", value_parser = fsync)]
    appendfsync: Option<Fsync>,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Table)]
    format: TextOrJson,
    /// Where to write the report (default: reports/<scenario>-crash/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No summary of the files written on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, help = common::FORCE_HELP)]
    force: bool,
    /// The server the model follows.
    #[command(flatten)]
    model: super::common::ModelArgs,
}

fn duration(s: &str) -> Result<u64, String> {
    evictsim::units::parse_duration(s).map_err(|e| e.to_string())
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("'{s}': expected yes or no")),
    }
}

fn fsync(s: &str) -> Result<Fsync, String> {
    match s.to_ascii_lowercase().as_str() {
        "always" => Ok(Fsync::Always),
        "everysec" => Ok(Fsync::EverySec),
        "no" => Ok(Fsync::No),
        _ => Err(format!("'{s}': expected always, everysec or no")),
    }
}

pub fn exec(args: Args) -> Result<i32> {
    super::interrupt::install_whole()?;
    let mut sc =
        common::scenario_with_overrides(&args.scenario, None, &[], args.maxmemory, args.seed)?;
    args.model.apply_to_scenario(&mut sc, &args.scenario, &[])?;
    if sc.cluster.is_some() {
        anyhow::bail!(
            "{}: crash models one instance; a cluster's shards crash one by one (run it without [instance] cluster)",
            args.scenario.display()
        );
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-crash", sc.name)));
    let owner = common::claim_out(&dir, "crash", &sc.name, args.force)?;
    let mut persistence = sc.persistence.clone();
    if let Some(s) = &args.save {
        persistence.save = parse_save(s)
            .map_err(anyhow::Error::msg)
            .context("--save")?;
    }
    if let Some(a) = args.appendonly {
        persistence.appendonly = a;
    }
    if let Some(f) = args.appendfsync {
        persistence.appendfsync = f;
    }
    let policy = args
        .policy
        .or_else(|| sc.policies.first().copied())
        .unwrap_or(PolicyKind::NoEviction);
    let at: Vec<u64> = if args.at.is_empty() {
        vec![sc.duration_ms]
    } else {
        args.at.clone()
    };
    const TIMELINE: usize = 200;
    let timeline = crash::spread(sc.duration_ms, TIMELINE);
    let samples = crash::random_moments(sc.duration_ms, args.samples, sc.seed);
    let mut moments: Vec<u64> = at
        .iter()
        .chain(&timeline)
        .chain(&samples)
        .copied()
        .collect();
    moments.sort_unstable();
    moments.dedup();
    let r = crash::crash(&sc, policy, &persistence, &moments);
    let find = |ts: &[u64]| -> Vec<CrashPoint> {
        ts.iter()
            .filter_map(|&t| {
                let t = t.min(sc.duration_ms);
                r.points.iter().find(|p| p.t_ms == t).cloned()
            })
            .collect()
    };
    let (at_points, sample_points, timeline_points) = (find(&at), find(&samples), find(&timeline));
    let text = show::table(&r, &at_points, &sample_points);
    let json = show::json(&r, &at_points, &sample_points)?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        TextOrJson::Table => stdout.write_all(text.as_bytes())?,
        TextOrJson::Json => stdout.write_all(&json)?,
    }
    stdout.flush()?;
    let (svg, png) = show::chart(&r, &timeline_points)?;
    let files: [(&str, Vec<u8>); 4] = [
        ("results.json", json),
        ("table.txt", text.into_bytes()),
        ("keys-at-risk.svg", svg.into_bytes()),
        ("keys-at-risk.png", png),
    ];
    common::write_report(&dir, &owner, &files)?;
    if !args.quiet {
        eprintln!(
            "report written to {}/ ({} files)",
            dir.display(),
            files.len()
        );
    }
    Ok(0)
}
