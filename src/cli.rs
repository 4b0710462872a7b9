//! The command line, declared with clap. Nothing below `main.rs` sees these
//! types: `main` turns them into the library's own options.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  evictsim run scenarios/seed-blog.toml
      every policy on the seed scenario; table on stdout, report in reports/seed-blog/
  evictsim run scenarios/seed-blog.toml --policy allkeys-lru --policy noeviction --maxmemory 48mb
  evictsim run scenarios/pure-cache.toml --format json > results.json
  evictsim check scenarios/*.toml
  evictsim policies";

/// Eviction-risk simulator for Redis: under this workload and this
/// maxmemory, how many critical keys would each maxmemory-policy evict?
#[derive(Parser, Debug)]
#[command(name = "evictsim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario under each policy and report what each would lose.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Validate scenario files without running them.
    Check {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// List the policies evictsim models and when each is right.
    Policies,
}

/// Arguments of `run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML; see scenarios/).
    pub scenario: PathBuf,
    /// A policy to run (repeat for several; default: the scenario's list,
    /// or all). Redis names: noeviction, allkeys-lru, allkeys-lfu,
    /// allkeys-random, volatile-lru, volatile-lfu, volatile-random,
    /// volatile-ttl; Redis 8.6: allkeys-lrm, volatile-lrm; reference: exact-lru.
    #[arg(long = "policy", short = 'p', value_name = "POLICY")]
    pub policies: Vec<String>,
    /// Override maxmemory, with Redis's units (1k = 1000, 1kb = 1024, mb, gb).
    #[arg(long, value_name = "SIZE")]
    pub maxmemory: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to print on stdout.
    #[arg(
        long,
        short = 'f',
        default_value = "table",
        value_name = "table|json|csv|markdown|html"
    )]
    pub format: String,
    /// Where to write the report files (default: reports/<scenario>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only; write no report files.
    #[arg(long, conflicts_with = "out")]
    pub no_report: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
