//! What several subcommands share: argument groups (output, key classes,
//! the real server), the value parsers that turn words into the library's
//! types (policies, sizes, formats), the progress display, and printing a
//! finished run.

use anyhow::{Context, Result};
use clap::ValueEnum;
use evictsim::cluster::SlotMap;
use evictsim::model::{Allocator, InstanceConfig, MemoryModel, PolicyKind, Server};
use evictsim::phase;
use evictsim::report::owner::{self, Owner};
use evictsim::report::{self, Format};
use evictsim::sim::{self, ClassInfo, RunResult, RunSpec};
use evictsim::source::Scenario;
use evictsim::trace::{ClassRules, TraceFormat, TraceStats};
use evictsim::units;
use evictsim::validate::Target;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A policy by its Redis name (clap value parser).
pub fn policy(s: &str) -> Result<PolicyKind, String> {
    s.parse::<PolicyKind>().map_err(|e| e.to_string())
}

/// A size in Redis's units, in bytes (clap value parser).
pub fn size(s: &str) -> Result<u64, String> {
    units::parse_memory(s).map_err(|e| e.to_string())
}

/// A trace format by name (clap value parser; `oracleGeneral` too).
pub fn trace_format(s: &str) -> Result<TraceFormat, String> {
    s.parse::<TraceFormat>().map_err(|e| e.to_string())
}

/// The trace formats' names, for help texts.
pub fn trace_format_names() -> String {
    TraceFormat::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The policies asked for, each once, in order; `default` when none.
pub fn policies_or(asked: &[PolicyKind], default: &[PolicyKind]) -> Vec<PolicyKind> {
    let mut out = Vec::new();
    for &p in if asked.is_empty() { default } else { asked } {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A report format on the command line: the library's [`Format`], with
/// its names and help, so a new format needs no edit here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportFormat(pub Format);

impl ValueEnum for ReportFormat {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<ReportFormat>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| Format::ALL.iter().map(|&f| ReportFormat(f)).collect())
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(
            clap::builder::PossibleValue::new(self.0.name())
                .aliases(self.0.aliases().iter().copied())
                .help(self.0.help()),
        )
    }
}

/// What `validate` and `calibrate` print on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// Tables for a terminal.
    Table,
    /// Pretty JSON.
    Json,
}

/// How key memory is counted (`--memory-model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MemoryModelArg {
    /// Redis 7.0's used_memory formula.
    Redis,
    /// A key costs its value's size; room is made before an insert.
    Raw,
}

impl From<MemoryModelArg> for MemoryModel {
    fn from(m: MemoryModelArg) -> MemoryModel {
        match m {
            MemoryModelArg::Redis => MemoryModel::Redis,
            MemoryModelArg::Raw => MemoryModel::Raw,
        }
    }
}

/// A server on the command line (`--server`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServerArg {
    /// Redis 7.0 (the default; validated on 7.0.15).
    #[value(name = "redis-7.0")]
    Redis70,
    /// Redis 8.2: keys embedded in their value objects (checked on 8.2.3).
    #[value(name = "redis-8.2")]
    Redis82,
    /// Valkey 8.1: embedded keys, open hashtable (checked on 8.1.8).
    #[value(name = "valkey-8.1")]
    Valkey81,
    /// Valkey 9.1: as 8.1, values embedded up to 128 bytes (checked on 9.1.2).
    #[value(name = "valkey-9.1")]
    Valkey91,
}

impl From<ServerArg> for Server {
    fn from(s: ServerArg) -> Server {
        match s {
            ServerArg::Redis70 => Server::Redis70,
            ServerArg::Redis82 => Server::Redis82,
            ServerArg::Valkey81 => Server::Valkey81,
            ServerArg::Valkey91 => Server::Valkey91,
        }
    }
}

/// An allocator on the command line (`--allocator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AllocatorArg {
    /// jemalloc's size classes.
    Jemalloc,
    /// glibc's malloc_usable_size.
    Libc,
}

impl From<AllocatorArg> for Allocator {
    fn from(a: AllocatorArg) -> Allocator {
        match a {
            AllocatorArg::Jemalloc => Allocator::Jemalloc,
            AllocatorArg::Libc => Allocator::Libc,
        }
    }
}

/// Which server the model follows, shared by the model commands.
#[derive(clap::Args, Debug, Default)]
pub struct ModelArgs {
    /// The server whose memory layout, hash tables, eviction sampling and
    /// policies the model follows (default: the scenario's `server`, else
    /// redis-7.0).
    #[arg(long, value_enum, value_name = "SERVER")]
    pub server: Option<ServerArg>,
    /// The allocator whose sizes used_memory counts (default: the server's
    /// own build, as its INFO mem_allocator says: jemalloc for Redis, libc
    /// for the Valkey builds checked).
    #[arg(long, value_enum, value_name = "ALLOCATOR")]
    pub allocator: Option<AllocatorArg>,
}

impl ModelArgs {
    /// Applies the choice to an instance (a trace's, built from flags).
    pub fn apply(&self, cfg: &mut InstanceConfig) {
        if let Some(s) = self.server {
            cfg.set_server(s.into());
        }
        if let Some(a) = self.allocator {
            cfg.allocator = a.into();
        }
    }

    /// Applies the choice to a scenario loaded from `path`, and fits its
    /// policies to the server: the default list becomes the server's; a
    /// policy asked for (`asked`, or the scenario's own list) that the
    /// server lacks is an error naming it.
    pub fn apply_to_scenario(
        &self,
        sc: &mut Scenario,
        path: &Path,
        asked: &[PolicyKind],
    ) -> Result<()> {
        let before = sc.instance.server;
        self.apply(&mut sc.instance);
        let server = sc.instance.server;
        if server == before {
            return Ok(());
        }
        if asked.is_empty() && sc.policies == before.policies() {
            sc.policies = server.policies();
            return Ok(());
        }
        if let Some(p) = sc.policies.iter().find(|p| !server.has_policy(**p)) {
            anyhow::bail!(
                "{}: {server} has no {p} ({} lists it); its policies: {}",
                path.display(),
                if asked.is_empty() {
                    "the scenario"
                } else {
                    "--policy"
                },
                server
                    .policies()
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(())
    }
}

/// Where a run's results go, shared by `run` and `replay`.
#[derive(clap::Args, Debug)]
pub struct OutputArgs {
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Where to write the report files (default: reports/<scenario or trace name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only; write no report files.
    #[arg(long, conflicts_with = "out")]
    pub no_report: bool,
    /// No progress bar (nor, for a trace, its summary).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[arg(long, help = FORCE_HELP)]
    pub force: bool,
}

/// `--force`, on every command that writes a report directory.
pub const FORCE_HELP: &str = "Write the report into its directory even if it holds another \
     command's or input's report, or files evictsim did not write";

/// Where a finished run goes: stdout in one format, and a report directory
/// with who writes it.
pub struct Output {
    pub format: Format,
    pub out: Option<(PathBuf, Owner)>,
    pub quiet: bool,
}

impl OutputArgs {
    /// The output, with `default_dir` as the report directory unless told
    /// otherwise, claimed for `command` of `subject` (see [`claim_out`]).
    pub fn output(
        &self,
        command: &str,
        subject: &str,
        default_dir: impl FnOnce() -> PathBuf,
    ) -> Result<Output> {
        let out = if self.no_report {
            None
        } else {
            let dir = self.out.clone().unwrap_or_else(default_dir);
            let owner = claim_out(&dir, command, subject, self.force)?;
            Some((dir, owner))
        };
        Ok(Output {
            format: self.format.0,
            out,
            quiet: self.quiet,
        })
    }
}

/// Claims the report directory `dir` for `command` of `subject` before the
/// work starts: refused if it holds another report or files evictsim did
/// not write, unless `force`. Returns the owner to [`mark_out`] it with
/// once the files are written.
pub fn claim_out(dir: &Path, command: &str, subject: &str, force: bool) -> Result<Owner> {
    let owner = Owner::new(command, subject);
    if !force {
        owner::claim(dir, &owner)?;
    }
    Ok(owner)
}

/// Writes `files` into the report directory `dir` and leaves `owner`'s
/// marker (see [`write_claimed`]).
pub fn write_report<N: AsRef<Path>>(
    dir: &Path,
    owner: &Owner,
    files: &[(N, Vec<u8>)],
) -> Result<Vec<PathBuf>> {
    write_claimed(dir, owner, || Ok(report::write_files(dir, files)?))
}

/// Runs `write` (which writes the report's files into `dir`), then leaves
/// `owner`'s marker, a signal held back until both are done (see
/// [`super::interrupt::shielded`]): the directory holds one report whole
/// with its marker, never parts of two.
pub fn write_claimed(
    dir: &Path,
    owner: &Owner,
    write: impl FnOnce() -> Result<Vec<PathBuf>>,
) -> Result<Vec<PathBuf>> {
    super::interrupt::shielded(|| {
        let written = write()?;
        mark_out(dir, owner)?;
        Ok(written)
    })
}

/// Leaves `owner`'s marker in the report directory `dir` it has written.
pub fn mark_out(dir: &Path, owner: &Owner) -> Result<()> {
    owner::mark(dir, owner)
        .with_context(|| format!("cannot write {}", dir.join(owner::MARKER).display()))
}

/// Which keys belong to which class, for a trace.
#[derive(clap::Args, Debug, Clone)]
pub struct ClassArgs {
    /// A key class as NAME=GLOB (repeat; first match wins; unmatched keys
    /// are class `other`).
    #[arg(long = "class", value_name = "NAME=GLOB")]
    pub classes: Vec<String>,
    /// Mark a class as critical (data with no other copy; repeat).
    #[arg(long = "critical", value_name = "NAME")]
    pub critical: Vec<String>,
    /// Class rules from a TOML file ([[class]] name, match, critical).
    #[arg(long = "classes", value_name = "FILE", conflicts_with = "classes")]
    pub classes_file: Option<PathBuf>,
}

impl ClassArgs {
    /// The rules, from `--class`/`--critical` or `--classes FILE`.
    pub fn rules(&self) -> Result<ClassRules> {
        let mut rules = match &self.classes_file {
            Some(f) => ClassRules::from_toml_file(f)?,
            None => ClassRules::from_cli(&self.classes, &[] as &[&str])?,
        };
        for c in &self.critical {
            rules.mark_critical(c)?;
        }
        Ok(rules)
    }
}

/// Which real server to use.
#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// The redis-server executable to start, fresh for each run, on
    /// 127.0.0.1 on a free port (default: redis-server from PATH).
    #[arg(long, value_name = "PATH", conflicts_with = "redis")]
    pub redis_server: Option<PathBuf>,
    /// Use the running server at this URL instead (redis://host:port). It is
    /// emptied (FLUSHALL) and reconfigured (CONFIG SET) before each run.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
}

impl ServerArgs {
    /// The server the command uses.
    pub fn target(self) -> Target {
        match (self.redis, self.redis_server) {
            (Some(url), _) => Target::Url(url),
            (None, Some(path)) => Target::Spawn(path),
            (None, None) => Target::Spawn(PathBuf::from("redis-server")),
        }
    }
}

/// `--phases N`: how many start phases of the minute, 1 to
/// [`phase::MAX_PHASES`] (clap value parser).
pub fn phases(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=phase::MAX_PHASES).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of start phases from 1 to {} (got {s:?})",
            phase::MAX_PHASES
        )),
    }
}

/// `--start-unix-ms MS`: a unix time in ms, or an RFC 3339 time (clap
/// value parser).
pub fn start_unix_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return s.parse().map_err(|_| format!("{s:?} is too large"));
    }
    units::parse_instant(s)
        .map_err(|e| format!("{e}; or a whole number of unix ms such as 1796378420000"))
}

/// Runs `spec` at `phases` start phases of the minute (one is a plain
/// run), on one instance per policy or on the cluster `cluster`.
pub fn simulate<S>(
    spec: &RunSpec,
    cluster: Option<&SlotMap>,
    phases: u32,
    ops: S,
    progress: impl FnMut(u64, u64),
) -> RunResult
where
    S: Iterator<Item = evictsim::op::Op> + evictsim::cluster::KeySlots + Send,
{
    let offsets = phase::offsets_ms(phases);
    let watch = sim::StopWhen {
        progress,
        stop: super::interrupt::stop_flag(),
    };
    let mut result = match cluster {
        Some(slots) => sim::simulate_cluster_phases(spec, slots, &offsets, ops, watch),
        None => sim::simulate_phases(spec, &offsets, ops, watch),
    };
    if let (Some(p), Some((signal, _))) = (&mut result.partial, super::interrupt::received()) {
        p.reason = format!("interrupted by {signal}");
    }
    result
}

/// The exit status of a finished run: 0, or 130/143 when a signal stopped
/// it (after saying so on stderr; the reports are already marked).
pub fn exit_status(result: &RunResult) -> i32 {
    match (&result.partial, super::interrupt::received()) {
        (Some(p), Some((_, code))) => {
            eprintln!("{}", p.line());
            code
        }
        (Some(p), None) => {
            eprintln!("{}", p.line());
            1
        }
        _ => 0,
    }
}

/// After a run: the LFU note on stderr when it applies (see
/// [`phase::lfu_note`]), unless quiet.
pub fn lfu_note(result: &RunResult, phases: u32, quiet: bool) {
    let policies: Vec<PolicyKind> = result.results.iter().map(|r| r.policy).collect();
    if let (false, Some(note)) = (
        quiet,
        phase::lfu_note(&policies, result.simulated_ms, phases),
    ) {
        eprintln!("{note}");
    }
}

/// `--shards N`: a Redis Cluster of N shards with even slot ranges (clap
/// value parser).
pub fn shards(s: &str) -> Result<SlotMap, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of shards, e.g. 3 (got {s:?})"))?;
    SlotMap::even(n).map_err(|e| e.to_string())
}

/// Reads a scenario and applies the command line's overrides (`cluster`
/// replaces the scenario's `[instance] cluster`).
pub fn scenario_with_overrides(
    path: &Path,
    cluster: Option<SlotMap>,
    policies: &[PolicyKind],
    maxmemory: Option<u64>,
    seed: Option<u64>,
) -> Result<Scenario> {
    let mut scenario = match cluster {
        Some(c) => Scenario::from_path_in_cluster(path, c)?,
        None => Scenario::from_path(path)?,
    };
    if !policies.is_empty() {
        scenario.policies = policies_or(policies, &[]);
    }
    if let Some(m) = maxmemory {
        scenario.instance.maxmemory = m;
        if let Some(why) = scenario.instance.no_room() {
            anyhow::bail!("--maxmemory: {why}");
        }
    }
    if let Some(seed) = seed {
        scenario.seed = seed;
        scenario.instance.seed = seed;
    }
    Ok(scenario)
}

/// Progress on stderr, shown only on a terminal and when not quiet.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    /// A bar over `total` (simulated ms) labelled `what`, or a spinner when
    /// the total is unknown.
    pub fn new(what: &str, total: Option<u64>, quiet: bool) -> Progress {
        let started = Instant::now();
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                started,
            };
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = match total {
            Some(_) => format!(
                "{{spinner}} {what} {{bar:30}} {{percent:>3}}% of simulated time  {{msg}}  eta {{eta}}"
            ),
            None => format!("{{spinner}} {what}  {{msg}}  {{elapsed}}"),
        };
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("static template")
                .progress_chars("=> "),
        );
        if total.is_none() {
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        Progress { bar, started }
    }

    /// Reports `ops` done and simulated time `t_ms` reached.
    pub fn update(&self, ops: u64, t_ms: u64) {
        self.bar.set_position(t_ms);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!(
            "{} ops, {}/s",
            report::fmt::thousands(ops),
            report::fmt::thousands((ops as f64 / secs) as u64)
        ));
    }

    /// A bar over points of work (a sweep's runs) labelled `what`, whose
    /// total may grow as more work is planned.
    pub fn points(what: &str, quiet: bool) -> Progress {
        let started = Instant::now();
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                started,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {what} {{bar:30}} {{pos}}/{{len}} runs  {{elapsed}}  eta {{eta}}"
            ))
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress { bar, started }
    }

    /// Reports `done` points out of `planned` (callable from any thread).
    pub fn points_done(&self, done: u64, planned: u64) {
        self.bar.set_length(planned);
        self.bar.set_position(done);
    }

    /// Removes the display.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Prints the run in the chosen format, then writes the report directory.
pub fn finish(result: &RunResult, output: &Output) -> Result<()> {
    let bytes = report::export(output.format, result)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    if let Some((dir, owner)) = &output.out {
        let context = || format!("cannot write the report to {}", dir.display());
        let rendered = report::render_dir(result).with_context(context)?;
        // A second Ctrl-C while the files are renamed waits for the last
        // rename and the marker naming whose they are.
        let files = write_claimed(dir, owner, || rendered.write(dir).with_context(context))?;
        if !output.quiet {
            eprintln!(
                "report written to {}/ ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    Ok(())
}

/// What the reader saw and understood of a trace, for stderr.
pub fn trace_summary(file: &str, stats: &TraceStats, classes: &[ClassInfo]) -> String {
    use report::fmt::thousands;
    let mut s = format!(
        "{file}: {} lines, {} operations, {} distinct keys, {} malformed lines skipped, \
         {} refused as Redis refuses them\n",
        thousands(stats.lines),
        thousands(stats.ops),
        thousands(stats.distinct_keys),
        thousands(stats.skipped_malformed),
        thousands(stats.rejected),
    );
    for (line, why) in &stats.first_errors {
        s += &format!("  line {line}: {why}\n");
    }
    if !stats.unknown_commands.is_empty() {
        let list: Vec<String> = stats
            .unknown_commands
            .iter()
            .map(|(c, n)| format!("{c} x{n}"))
            .collect();
        s += &format!("  commands not modelled (skipped): {}\n", list.join(", "));
    }
    let table = report::understood::text(classes, &stats.understood, "  ");
    if !table.is_empty() {
        s += "  understood as:\n";
        s += &table;
    }
    s
}

/// A trace's file name, as a report's owner names it.
pub fn trace_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The trace's file name without its compression and format extensions.
pub fn trace_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trace".into());
    let mut stem = name.as_str();
    for ext in [".gz", ".zst", ".csv", ".log", ".txt"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    stem.to_string()
}
