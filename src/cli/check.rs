//! `evictsim check FILE...`: read and validate scenario files without
//! running them; one line per file, and a failure if any is invalid. A
//! file with a `[lesson]` table is checked as a lesson (`evictsim demo`).

use anyhow::{bail, Result};
use evictsim::report;
use evictsim::source::{Lesson, Scenario};
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
        let lesson = std::fs::read_to_string(p).is_ok_and(|t| Lesson::is_lesson(&t));
        if lesson {
            match Lesson::from_path(p) {
                Ok(l) => println!(
                    "ok   {}: lesson \"{}\", {} classes, {} variants, {} simulated",
                    p.display(),
                    l.title,
                    l.scenario.classes.len(),
                    l.variants.len(),
                    report::fmt::duration_ms(l.scenario.duration_ms)
                ),
                Err(e) => {
                    bad += 1;
                    println!("FAIL {e}");
                }
            }
            continue;
        }
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
        bail!(
            "{bad} of {} scenario files are invalid",
            args.scenarios.len()
        );
    }
    Ok(0)
}
