//! `evictsim compare-servers SCENARIO`: the same workload on Redis 7.0,
//! Redis 8.2, Valkey 8.1 and Valkey 9.1 (or the servers asked for), side
//! by side: memory to lose nothing, losses at the scenario's maxmemory,
//! each policy's smallest safe maxmemory, a chart, and the sentence a
//! planner takes to a meeting.

use super::common::{self, AllocatorArg, Progress, ServerArg};
use anyhow::{Context, Result};
use evictsim::model::{Layout, PolicyKind, Server};
use evictsim::provenance::Provenance;
use evictsim::report::{charts::servers as chart, servers as text};
use evictsim::servers::{self, ComparePlan};
use evictsim::sim::RunSpec;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  evictsim compare-servers scenarios/seed-blog.toml
      the seed on all four servers; report in reports/seed-blog-servers/
  evictsim compare-servers scenarios/seed-blog.toml --server redis-7.0 --server valkey-9.1
  evictsim compare-servers scenarios/seed-blog.toml -p allkeys-lru --resolution 512kb";

/// Arguments of `compare-servers`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// A server to compare (repeat; the first is the one the others are
    /// measured against; default: redis-7.0, redis-8.2, valkey-8.1, valkey-9.1).
    #[arg(long = "server", value_enum, value_name = "SERVER")]
    servers: Vec<ServerArg>,
    /// The allocator for every server (default: each server's own build).
    #[arg(long, value_enum, value_name = "ALLOCATOR")]
    allocator: Option<AllocatorArg>,
    /// A policy to compare (repeat; default: the scenario's that every
    /// server has).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy)]
    policies: Vec<PolicyKind>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// How fine the smallest safe maxmemory is searched.
    #[arg(long, value_name = "SIZE", value_parser = common::size, default_value = "1mb")]
    resolution: u64,
    /// Where to write the report (default: reports/<scenario>-servers/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print JSON on stdout instead of the tables.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, help = common::FORCE_HELP)]
    force: bool,
}

pub fn exec(args: Args) -> Result<i32> {
    super::interrupt::install_whole()?;
    let sc = common::scenario_with_overrides(&args.scenario, None, &[], None, args.seed)?;
    if sc.cluster.is_some() {
        anyhow::bail!(
            "{}: compare-servers runs one instance per server; run it without [instance] cluster",
            args.scenario.display()
        );
    }
    let list: Vec<Server> = if args.servers.is_empty() {
        Server::ALL.to_vec()
    } else {
        args.servers.iter().map(|&s| s.into()).collect()
    };
    let layouts: Vec<Layout> = list
        .iter()
        .map(|&s| match args.allocator {
            Some(a) => Layout::new(s, a.into()),
            None => Layout::of(s),
        })
        .collect();
    for p in &args.policies {
        if let Some(s) = list.iter().find(|s| !s.has_policy(*p)) {
            anyhow::bail!("--policy {p}: {s} has no {p}");
        }
    }
    let base = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: common::policies_or(&args.policies, &sc.policies),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Provenance::Scenario {
            path: args.scenario.display().to_string(),
        },
    };
    let plan = ComparePlan {
        servers: layouts,
        resolution: args.resolution,
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-servers", sc.name)));
    let owner = common::claim_out(&dir, "compare-servers", &sc.name, args.force)?;
    let progress = Progress::points("comparing", args.quiet);
    let c = servers::compare_servers(&sc, &base, &plan, &|d, p| progress.points_done(d, p))
        .with_context(|| format!("{}: the size range", args.scenario.display()))?;
    progress.finish();
    let table = text::render_text(&c);
    let json = text::render_json(&c);
    let files: [(String, Vec<u8>); 5] = [
        ("table.txt".into(), table.clone().into_bytes()),
        ("results.json".into(), json.clone().into_bytes()),
        ("report.md".into(), text::render_markdown(&c).into_bytes()),
        (
            format!("{}.svg", text::CHART_STEM),
            chart::render_servers_svg(&c)?.into_bytes(),
        ),
        (
            format!("{}.png", text::CHART_STEM),
            chart::render_servers_png(&c)?,
        ),
    ];
    common::write_report(&dir, &owner, &files)?;
    print!("{}", if args.json { json } else { table });
    if !args.quiet {
        eprintln!("report: {}", dir.display());
    }
    Ok(0)
}
