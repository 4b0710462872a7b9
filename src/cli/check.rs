//! `evictsim check FILE...`: read and validate scenario files without
//! running them; one line per file, and a failure if any is invalid.

use anyhow::{bail, Result};
use evictsim::report;
use evictsim::source::Scenario;
use std::path::PathBuf;

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
}

pub fn exec(args: Args) -> Result<i32> {
    let mut bad = 0;
    for p in &args.scenarios {
        match Scenario::from_path(p) {
            Ok(s) => println!(
                "ok   {}: {} classes, {} policies, {} simulated{}",
                p.display(),
                s.classes.len(),
                s.policies.len(),
                report::fmt::duration_ms(s.duration_ms),
                match &s.cluster {
                    Some(c) => format!(", a cluster of {} shards", c.shards()),
                    None => String::new(),
                }
            ),
            Err(e) => {
                bad += 1;
                println!("FAIL {e}");
            }
        }
    }
    if bad > 0 {
        bail!(
            "{bad} of {} scenario files are invalid",
            args.scenarios.len()
        );
    }
    Ok(0)
}
