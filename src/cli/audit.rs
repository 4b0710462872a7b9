//! `evictsim audit CONFIG`: reads a redis.conf by Redis 7.0's rules, says
//! its eviction and durability posture and what memory pressure and a
//! crash would cost the critical classes (from a scenario run under the
//! file's settings, or from class rules), flags the dangerous combinations
//! (exit status 3, for CI), and writes the store.conf and cache.conf the
//! split recommends.

use super::common::{self, ClassArgs, TextOrJson};
use anyhow::{Context, Result};
use evictsim::audit::{self, AuditOptions, Classes, FlagId, Layout};
use evictsim::conf::{self, write, LoadOptions};
use evictsim::report::audit as show;
use evictsim::source::Scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  evictsim audit /etc/redis/redis.conf --scenario scenarios/seed-blog.toml
      the seed's workload under this file's maxmemory, policy and persistence
  evictsim audit redis.conf --class sessions='session:*' --class cache='cache:*' --critical sessions
  evictsim audit redis.conf --scenario s.toml --accept oom-unhandled --format json
Exit status: 0 nothing flagged, 3 something flagged (flags: no-maxmemory,
allkeys-critical, volatile-critical-ttl, critical-not-durable, oom-unhandled),
1 a file that cannot be read or that redis-server 7.0 would refuse.";

/// Arguments of `audit`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The redis.conf to audit.
    config: PathBuf,
    /// A scenario (TOML): its classes and which are critical, run through
    /// the model under the file's settings.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["classes", "critical", "classes_file"])]
    scenario: Option<PathBuf>,
    #[command(flatten)]
    classes: ClassArgs,
    /// The directory redis-server starts in: a relative include resolves
    /// against it (default: this one).
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// A flag known and handled (repeat): still listed, but it does not
    /// fail the file.
    #[arg(long, value_name = "FLAG", value_parser = flag)]
    accept: Vec<FlagId>,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Table)]
    format: TextOrJson,
    /// Where to write store.conf, cache.conf and the report (default:
    /// reports/<config name>-audit/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No summary of the files written on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, help = common::FORCE_HELP)]
    force: bool,
}

fn flag(s: &str) -> Result<FlagId, String> {
    s.parse::<FlagId>().map_err(|e| e.to_string())
}

pub fn exec(args: Args) -> Result<i32> {
    super::interrupt::install_whole()?;
    let opts = LoadOptions {
        cwd: args.cwd.clone(),
    };
    let conf = conf::load(&args.config, &opts)?;
    let classes = match &args.scenario {
        Some(path) => {
            let scenario = Scenario::from_path(path)?;
            if scenario.cluster.is_some() {
                anyhow::bail!(
                    "{}: audit judges one instance's config; run it on the scenario without [instance] cluster",
                    path.display()
                );
            }
            Classes::Scenario {
                scenario: Box::new(scenario),
                path: path.display().to_string(),
            }
        }
        None if args.classes.classes.is_empty() && args.classes.classes_file.is_none() => {
            if let Some(c) = args.classes.critical.first() {
                anyhow::bail!(
                    "--critical {c} names a class, but no --class or --classes gives any"
                );
            }
            Classes::None
        }
        None => Classes::Rules(args.classes.rules()?),
    };
    let command = command(&args);
    let audit_opts = AuditOptions {
        command: command.clone(),
        accept: args.accept.clone(),
        ..AuditOptions::default()
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .map_or_else(|| "redis".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("reports").join(format!("{stem}-audit"))
    });
    let owner = common::claim_out(&dir, "audit", &common::trace_name(&args.config), args.force)?;
    let a = audit::audit(conf, classes, &audit_opts)
        .with_context(|| format!("cannot audit {}", args.config.display()))?;
    let shown = dir.display().to_string();
    let text = show::table(&a, matches!(a.layout, Layout::Split(_)).then_some(&*shown));
    let json = show::json(&a, Some(command))?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        TextOrJson::Table => stdout.write_all(text.as_bytes())?,
        TextOrJson::Json => stdout.write_all(&json)?,
    }
    stdout.flush()?;
    let mut files: Vec<(&str, Vec<u8>)> =
        vec![("results.json", json), ("table.txt", text.into_bytes())];
    match &a.layout {
        Layout::Split(l) => {
            for spec in [&l.store, &l.cache] {
                files.push((spec.role.file_name(), write::redis_conf(spec).into_bytes()));
            }
        }
        Layout::None(_) => {
            // A layout from an earlier audit would no longer be this one's.
            for old in ["store.conf", "cache.conf"] {
                let _ = std::fs::remove_file(dir.join(old));
            }
        }
    }
    common::write_report(&dir, &owner, &files)?;
    if !args.quiet {
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        eprintln!("wrote {} in {shown}/", names.join(", "));
    }
    Ok(a.exit_status())
}

/// The command that reruns this audit.
fn command(args: &Args) -> String {
    let q = |p: &Path| p.display().to_string();
    let mut c = format!("evictsim audit {}", q(&args.config));
    if let Some(s) = &args.scenario {
        c += &format!(" --scenario {}", q(s));
    }
    for r in &args.classes.classes {
        c += &format!(" --class '{r}'");
    }
    if let Some(f) = &args.classes.classes_file {
        c += &format!(" --classes {}", q(f));
    }
    for k in &args.classes.critical {
        c += &format!(" --critical {k}");
    }
    if let Some(d) = &args.cwd {
        c += &format!(" --cwd {}", q(d));
    }
    for f in &args.accept {
        c += &format!(" --accept {f}");
    }
    c
}
