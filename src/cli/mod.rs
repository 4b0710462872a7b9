//! The command line: one file per subcommand, each with its clap arguments,
//! their translation into the library's typed options, and the call into
//! the library (the shape of cargo's `commands/`). This file lists the
//! subcommands once; `main` only parses and dispatches. Nothing below the
//! CLI sees a clap type.

mod audit;
mod calibrate;
mod check;
mod common;
mod compare_servers;
mod crash;
mod demo;
mod inspect;
mod interrupt;
mod policies;
mod replay;
mod run;
mod split;
mod sweep;
mod validate;

use anyhow::Result;
use clap::{Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  evictsim run scenarios/seed-blog.toml
      every policy on the seed scenario; table on stdout, report in reports/seed-blog/
  evictsim run scenarios/seed-blog.toml --policy allkeys-lru --policy noeviction --maxmemory 48mb
  evictsim run scenarios/pure-cache.toml --format json > results.json
  evictsim run scenarios/seed-blog.toml --emit-trace seed-blog.csv.gz
  evictsim replay capture.log --trace-format monitor --maxmemory 64mb
      --class sessions='session:*' --critical sessions
  evictsim replay w01.oracleGeneral.zst --trace-format oracle-general
      --maxmemory 1gb --read-through --memory-model raw --sample-rate 0.1
  evictsim replay capture.log --trace-format monitor --maxmemory 8mb --phases 6
      at 6 start phases of the minute: each figure as median (lowest-highest)
  evictsim sweep scenarios/seed-blog.toml --maxmemory 16mb..160mb --steps 20 --find-safe
      every policy at 20 sizes, and the smallest maxmemory at which each loses nothing
  evictsim compare-servers scenarios/seed-blog.toml
      the seed on Redis 7.0, Redis 8.2, Valkey 8.1 and 9.1: what an upgrade changes
  evictsim check scenarios/*.toml
  evictsim policies
  evictsim demo 2 --step
      a lesson, command by command: which key Redis evicts and why
  evictsim validate tests/fixtures/tiny.toml -p allkeys-lru -p noeviction
      replay into a fresh redis-server per policy, compare with the model
  evictsim calibrate
      used_memory per key on a real redis-server against the model's formula
  evictsim audit /etc/redis/redis.conf --scenario scenarios/seed-blog.toml
      this redis.conf's posture for the seed's data; exit 3 when something is flagged";

/// Eviction-risk simulator for Redis: under this workload and this
/// maxmemory, how many critical keys would each maxmemory-policy evict?
#[derive(Parser, Debug)]
#[command(name = "evictsim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, once.
#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario under each policy and report what each would lose.
    #[command(after_help = run::EXAMPLES)]
    Run(run::Args),
    /// Replay a trace (Redis MONITOR log, evictsim CSV, Twitter, CacheLib,
    /// libCacheSim oracleGeneral) under each policy.
    #[command(after_help = replay::EXAMPLES)]
    Replay(replay::Args),
    /// Run a scenario or a trace at every maxmemory of a range under each
    /// policy, and find the smallest size at which nothing critical is lost.
    #[command(after_help = sweep::EXAMPLES)]
    Sweep(sweep::Args),
    /// The same scenario on Redis 7.0, Redis 8.2, Valkey 8.1 and Valkey 9.1:
    /// memory to lose nothing, losses at its maxmemory, each policy's
    /// smallest safe maxmemory, and what an upgrade saves.
    #[command(after_help = compare_servers::EXAMPLES)]
    CompareServers(compare_servers::Args),
    /// Validate scenario files without running them.
    Check(check::Args),
    /// List the policies evictsim models and when each is right.
    Policies(policies::Args),
    /// Replay a scenario or a trace into a real redis-server under each
    /// policy and compare what it evicted, lost and refused with the model.
    #[command(after_help = validate::EXAMPLES)]
    Validate(validate::Args),
    /// Measure used_memory per key on a real redis-server and compare it
    /// with the model's memory formula.
    Calibrate(calibrate::Args),
    /// One instance or two: the mixed instance against a store (noeviction,
    /// AOF) for the critical classes and a cache for the rest; writes
    /// store.conf and cache.conf.
    #[command(after_help = split::EXAMPLES)]
    Split(split::Args),
    /// What a crash (kill -9, a power loss) at a moment of the run would
    /// lose for good under the instance's persistence, per class.
    #[command(after_help = crash::EXAMPLES)]
    Crash(crash::Args),
    /// A read-only look at a live instance: its settings, its keys grouped
    /// into patterns, and a scenario skeleton to run.
    #[command(after_help = inspect::EXAMPLES)]
    Inspect(inspect::Args),
    /// Play a lesson (scenarios/teaching/) command by command: what Redis
    /// does and why, and what it costs; as text, a GIF, frames or a page.
    #[command(after_help = demo::EXAMPLES)]
    Demo(demo::Args),
    /// Read a redis.conf by Redis 7.0's rules and judge its eviction and
    /// durability posture for the critical classes; flag the dangerous
    /// combinations (exit 3) and write store.conf and cache.conf.
    #[command(after_help = audit::EXAMPLES)]
    Audit(audit::Args),
}

impl Cli {
    /// Runs the command; the process's exit status on success.
    pub fn exec(self) -> Result<i32> {
        match self.command {
            Command::Run(a) => run::exec(a),
            Command::Replay(a) => replay::exec(a),
            Command::Sweep(a) => sweep::exec(a),
            Command::CompareServers(a) => compare_servers::exec(a),
            Command::Check(a) => check::exec(a),
            Command::Policies(a) => policies::exec(a),
            Command::Validate(a) => validate::exec(a),
            Command::Calibrate(a) => calibrate::exec(a),
            Command::Split(a) => split::exec(a),
            Command::Crash(a) => crash::exec(a),
            Command::Inspect(a) => inspect::exec(a),
            Command::Demo(a) => demo::exec(a),
            Command::Audit(a) => audit::exec(a),
        }
    }
}
