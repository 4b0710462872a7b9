//! `evictsim inspect --redis URL`: a read-only look at a live instance
//! (its settings, a sampled SCAN with each key's type, memory and TTL),
//! keys grouped into patterns, and a scenario skeleton `run` accepts.

use anyhow::{Context, Result};
use evictsim::inspect::{self, guess, InspectOptions};
use evictsim::report;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  evictsim inspect --redis redis://127.0.0.1:6379
      sample 2,000 keys at most 1,000 commands/s; write inspected.toml
  evictsim inspect --redis redis://10.0.0.5:6379/0 --sample 20000 --out prod.toml
  evictsim run prod.toml
      then confirm each class's kind, criticality and rates";

/// Arguments of `inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The instance (redis://host:port); only read commands are sent.
    #[arg(long, value_name = "URL")]
    redis: String,
    /// Keys to sample at most.
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    sample: u64,
    /// Commands a second at most (the inspection's own load).
    #[arg(long, default_value_t = 1_000, value_name = "OPS")]
    rate: u64,
    /// Where to write the scenario skeleton.
    #[arg(long, value_name = "FILE", default_value = "inspected.toml")]
    out: PathBuf,
}

pub fn exec(args: Args) -> Result<i32> {
    let opts = InspectOptions {
        sample: args.sample.max(1),
        rate: args.rate.max(1),
    };
    let ins = inspect::inspect(&args.redis, &opts)?;
    let f = &ins.facts;
    println!(
        "Redis {} at {}: maxmemory {}, {}, save {:?}, appendonly {}",
        f.version,
        ins.url,
        if f.maxmemory == 0 {
            "none".to_string()
        } else {
            report::fmt::bytes(f.maxmemory)
        },
        f.policy,
        f.save,
        if f.appendonly { "yes" } else { "no" }
    );
    println!(
        "{} keys sampled of {}, {} commands sent",
        report::fmt::thousands(ins.keys.len() as u64),
        report::fmt::thousands(f.keys.values().sum()),
        report::fmt::thousands(ins.commands)
    );
    for p in &ins.patterns {
        let (kind, critical, _) = guess(p);
        println!(
            "  {:<40} db {:<2} ~{:>9} keys  {:<6} {:>6} B  ttl {:>3.0}%  -> {kind}{}",
            p.template,
            p.db,
            report::fmt::thousands(p.estimated),
            p.kind,
            p.memory.0,
            p.with_ttl * 100.0,
            if critical { ", critical?" } else { "" }
        );
    }
    let command = format!(
        "evictsim inspect --redis {} --sample {} --out {}",
        args.redis,
        args.sample,
        args.out.display()
    );
    let toml = inspect::scenario_toml(&ins, &command);
    report::write_atomic(&args.out, toml.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {}: check each class, then `evictsim run {}`",
        args.out.display(),
        args.out.display()
    );
    Ok(0)
}
