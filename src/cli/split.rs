//! `evictsim split SCENARIO`: the mixed instance as configured against two
//! instances, a store for the critical classes and a cache for the rest;
//! prints both side by side and writes `store.conf` and `cache.conf`.

use super::common::{self, TextOrJson};
use anyhow::{Context, Result};
use evictsim::model::PolicyKind;
use evictsim::provenance::Provenance;
use evictsim::report::split as show;
use evictsim::split::{self, SplitOptions};
use std::io::Write;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  evictsim split scenarios/seed-blog.toml
      the seed's one instance against a store (noeviction, AOF) and a cache
      of the same total memory; writes reports/seed-blog-split/{store,cache}.conf
  evictsim split scenarios/seed-blog.toml --store-headroom 50 --cache-maxmemory 48mb
  redis-server reports/seed-blog-split/store.conf";

/// Arguments of `split`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (TOML; see scenarios/).
    scenario: PathBuf,
    /// Headroom over the store's peak, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 25)]
    store_headroom: u32,
    /// The cache's maxmemory (default: the scenario's maxmemory minus the
    /// store's, the same total memory).
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    cache_maxmemory: Option<u64>,
    /// The cache's policy (default: the best cache hit ratio of allkeys-lru
    /// and allkeys-lfu at the cache's size).
    #[arg(long, value_name = "POLICY", value_parser = common::policy)]
    cache_policy: Option<PolicyKind>,
    /// The mixed instance's policies to compare (repeat; default: the
    /// scenario's list, or all).
    #[arg(long = "policy", short = 'p', value_name = "POLICY", value_parser = common::policy)]
    policies: Vec<PolicyKind>,
    /// Override the scenario's maxmemory, with Redis's units.
    #[arg(long, value_name = "SIZE", value_parser = common::size)]
    maxmemory: Option<u64>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Table)]
    format: TextOrJson,
    /// Where to write store.conf, cache.conf and the report (default:
    /// reports/<scenario>-split/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No summary of the files written on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, help = common::FORCE_HELP)]
    force: bool,
    /// The server the model follows.
    #[command(flatten)]
    model: common::ModelArgs,
}

pub fn exec(args: Args) -> Result<i32> {
    super::interrupt::install_whole()?;
    let mut sc = common::scenario_with_overrides(
        &args.scenario,
        None,
        &args.policies,
        args.maxmemory,
        args.seed,
    )?;
    args.model
        .apply_to_scenario(&mut sc, &args.scenario, &args.policies)?;
    if sc.cluster.is_some() {
        anyhow::bail!(
            "{}: split compares one instance with two; run it without [instance] cluster",
            args.scenario.display()
        );
    }
    let opts = SplitOptions {
        store_headroom_pct: args.store_headroom,
        cache_maxmemory: args.cache_maxmemory,
        cache_policy: args.cache_policy,
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-split", sc.name)));
    let owner = common::claim_out(&dir, "split", &sc.name, args.force)?;
    let path = args.scenario.display().to_string();
    let plan = split::plan(&sc, &opts, Provenance::Scenario { path: path.clone() })
        .with_context(|| format!("cannot split {path}"))?;
    let command = command(&args, &path);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        TextOrJson::Table => stdout.write_all(show::table(&plan).as_bytes())?,
        TextOrJson::Json => stdout.write_all(&show::json(&plan, Some(command.clone()))?)?,
    }
    stdout.flush()?;
    let files: [(&str, Vec<u8>); 5] = [
        ("store.conf", plan.store_conf(&command).into_bytes()),
        ("cache.conf", plan.cache_conf(&command).into_bytes()),
        ("report.md", show::markdown(&plan, &command).into_bytes()),
        ("results.json", show::json(&plan, Some(command.clone()))?),
        ("table.txt", show::table(&plan).into_bytes()),
    ];
    common::write_report(&dir, &owner, &files)?;
    if !args.quiet {
        eprintln!(
            "wrote {}/store.conf, cache.conf and the report ({} files)",
            dir.display(),
            files.len()
        );
    }
    Ok(0)
}

/// The command that reruns this split.
fn command(args: &Args, path: &str) -> String {
    let mut c = format!("evictsim split {path}");
    if args.store_headroom != 25 {
        c += &format!(" --store-headroom {}", args.store_headroom);
    }
    if let Some(m) = args.cache_maxmemory {
        c += &format!(" --cache-maxmemory {m}");
    }
    if let Some(p) = args.cache_policy {
        c += &format!(" --cache-policy {p}");
    }
    for p in &args.policies {
        c += &format!(" -p {p}");
    }
    if let Some(m) = args.maxmemory {
        c += &format!(" --maxmemory {m}");
    }
    if let Some(s) = args.seed {
        c += &format!(" --seed {s}");
    }
    c
}
