//! `evictsim check FILE...`: read and validate scenario files without
//! running them; one line per file, and a failure if any is invalid. A
//! file with a `[lesson]` table is checked as a lesson (`evictsim demo`).

use anyhow::{bail, Result};
use evictsim::report;
use evictsim::source::{Lesson, Scenario};
use std::path::{Path, PathBuf};

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario or lesson files (TOML); a directory stands for the `.toml`
    /// files in it and its subdirectories.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
}

pub fn exec(args: Args) -> Result<i32> {
    let mut bad = 0;
    let mut files = Vec::new();
    for p in &args.scenarios {
        expand(p, &mut files);
    }
    for p in &files {
        // Read once: a FIFO (or `<(...)`) gives its text only to the first reader.
        let text = std::fs::read_to_string(p);
        let name = p.display().to_string();
        let lesson = text.as_ref().is_ok_and(|t| Lesson::is_lesson(t));
        if lesson {
            let text = text.as_deref().unwrap_or_default();
            match Lesson::from_str(text, &name) {
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
        let scenario = match &text {
            Ok(t) => Scenario::from_str(t, &name),
            Err(_) => Scenario::from_path(p),
        };
        match &scenario {
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
        if let Ok(s) = &scenario {
            for line in understood_classes(s) {
                println!("     {line}");
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} scenario files are invalid", files.len());
    }
    Ok(0)
}

/// What a reader might take two ways, said back: how each queue holds its
/// jobs, and each hash session its fields.
fn understood_classes(s: &Scenario) -> Vec<String> {
    use evictsim::op::HashFields;
    use evictsim::source::{ClassKind, QueueStructure, SessionStructure, ValueDist};
    let fmt_ms = report::fmt::duration_ms;
    s.classes
        .iter()
        .filter_map(|c| match &c.kind {
            ClassKind::Session(ss) => match ss.structure {
                SessionStructure::String => None,
                SessionStructure::Hash { fields } => {
                    let w = usize::from(HashFields::new(fields, 1).field_len) - 1;
                    let names = match fields {
                        1 => "f0".to_string(),
                        n => format!("f{:0w$}..f{:0w$}", 0, n - 1),
                    };
                    let each = match ss.value {
                        ValueDist::Fixed { bytes } => {
                            format!("{} bytes each", (bytes / u32::from(fields)).max(1))
                        }
                        _ => format!("each 1/{fields} of the session's value"),
                    };
                    Some(format!(
                        "{}: each session a hash of {fields} fields ({names}, {each}), \
                         HSET then PEXPIRE at login, HGETALL on each request; \
                         evicting one loses all {fields} fields",
                        c.name
                    ))
                }
            },
            ClassKind::Queue(q) => Some(match q.structure {
                QueueStructure::Keys => format!(
                    "{}: one key per job ({}), SET then GETDEL {} to {} later",
                    c.name,
                    c.key.as_str(),
                    fmt_ms(q.delay_ms),
                    fmt_ms(q.delay_ms + q.delay_jitter_ms)
                ),
                QueueStructure::List { queues, sorted } => {
                    let (what, how, taken, held) = if sorted {
                        ("sorted set", "delayed jobs added to", "scored by their run time and taken", "scheduled")
                    } else {
                        ("list", "jobs pushed onto", "and popped", "pending")
                    };
                    format!(
                        "{}: {how} {} ({}) {taken} {} to {} later; evicting a {what} loses every job {held} in it",
                        c.name,
                        if queues == 1 {
                            format!("1 {what}")
                        } else {
                            format!("{queues} {what}s in turn")
                        },
                        c.key.as_str(),
                        fmt_ms(q.delay_ms),
                        fmt_ms(q.delay_ms + q.delay_jitter_ms)
                    )
                }
            }),
            _ => None,
        })
        .collect()
}

/// A file as given; a directory as the `.toml` files in it and in its
/// subdirectories (`scenarios/` includes the lessons in
/// `scenarios/teaching/`), sorted.
fn expand(p: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(p) else {
        out.push(p.to_path_buf());
        return;
    };
    let mut inside: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    inside.sort();
    for q in inside {
        if q.is_dir() {
            expand(&q, out);
        } else if q.extension().is_some_and(|x| x == "toml") {
            out.push(q);
        }
    }
}
