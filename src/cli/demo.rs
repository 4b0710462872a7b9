//! `evictsim demo LESSON`: play a lesson from `scenarios/teaching/` command
//! by command, saying what Redis does and why (the sampled keys and their
//! scores, the pool, the victim) and what it costs; optionally as a GIF,
//! PNG frames for slides, or a page students step through.

use anyhow::{bail, Context, Result};
use evictsim::model::PolicyKind;
use evictsim::source::{Lesson, Variant};
use evictsim::teach::{self, Line, Style, Tape};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const EXAMPLES: &str = "\
Examples:
  evictsim demo 2
      lesson 2 of scenarios/teaching/ (eighteen months later), in colour on a terminal
  evictsim demo scenarios/teaching/03-noeviction.toml --step
      wait for Enter between commands (q and Enter stops)
  evictsim demo 6 --policy exact-lru --no-color
  evictsim demo 2 --gif lesson2.gif --frames slides/ --html lesson2.html
      the animation, 1600x900 PNG frames and a page with every variant";

/// The folder lessons are looked up in by number or name.
const TEACHING: &str = "scenarios/teaching";

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A lesson: its file, or its number or name in scenarios/teaching/
    /// (`2`, `02-eighteen-months-later`).
    lesson: String,
    /// The variant to play: a policy or a variant's label from the lesson's
    /// `compare` list (default: the lesson's first); another policy runs
    /// the lesson under it.
    #[arg(long = "policy", short = 'p', value_name = "P")]
    policy: Option<String>,
    /// Wait for Enter between commands (from a terminal or a pipe; `q`
    /// stops).
    #[arg(long)]
    step: bool,
    /// No colour (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long)]
    no_color: bool,
    /// Override the lesson's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated seconds per real second between commands (default: 4 on a
    /// terminal, 0 = no pause otherwise); a pause never exceeds 2 s.
    #[arg(long, value_name = "X")]
    speed: Option<f64>,
    /// Write the played variant as an animated GIF (one frame per command).
    #[arg(long, value_name = "FILE")]
    gif: Option<PathBuf>,
    /// Write the played variant's frames as 1600x900 PNGs into DIR.
    #[arg(long, value_name = "DIR")]
    frames: Option<PathBuf>,
    /// Write one self-contained page with every variant of the lesson.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

pub fn exec(args: Args) -> Result<i32> {
    let path = find_lesson(&args.lesson)?;
    let mut lesson = Lesson::from_path(&path)?;
    if let Some(seed) = args.seed {
        lesson.scenario.seed = seed;
        lesson.scenario.instance.seed = seed;
    }
    let variant = choose(&lesson, args.policy.as_deref())?;
    let tape = teach::record(&lesson, &variant);
    let out = std::io::stdout();
    let colour = !args.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && out.is_terminal();
    let speed = args
        .speed
        .unwrap_or(if out.is_terminal() { 4.0 } else { 0.0 });
    if !speed.is_finite() || speed < 0.0 {
        bail!("--speed {speed}: must be 0 or more");
    }
    play(&lesson, &tape, colour, args.step, speed)?;
    if let Some(gif) = &args.gif {
        let bytes = teach::gif::tape_gif(&tape)?;
        write(gif, &bytes)?;
        eprintln!("wrote {} ({} frames)", gif.display(), tape.steps.len());
    }
    if let Some(dir) = &args.frames {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..tape.steps.len() {
            let png = teach::draw::step_png(&tape, i)?;
            write(&dir.join(format!("step-{:03}.png", i + 1)), &png)?;
        }
        eprintln!(
            "wrote {} frames (1600x900 PNG) to {}",
            tape.steps.len(),
            dir.display()
        );
    }
    if let Some(html) = &args.html {
        let tapes: Vec<Tape> = lesson
            .variants
            .iter()
            .map(|v| {
                if v.label == variant.label {
                    tape.clone()
                } else {
                    teach::record(&lesson, v)
                }
            })
            .collect();
        let page = teach::page::lesson_page(&tapes, &lesson.intro, &lesson.moral)?;
        write(html, page.as_bytes())?;
        eprintln!("wrote {} ({} variants)", html.display(), tapes.len());
    }
    Ok(0)
}

/// Writes a file through a temporary name, renamed when complete.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(
        ".tmp{}-{}",
        std::process::id(),
        name.to_string_lossy()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The lesson file named by `arg`: a path, or a number or name in
/// scenarios/teaching/.
fn find_lesson(arg: &str) -> Result<PathBuf> {
    let p = PathBuf::from(arg);
    if p.is_file() {
        return Ok(p);
    }
    let dir = Path::new(TEACHING);
    let prefix = match arg.parse::<u32>() {
        Ok(n) => format!("{n:02}-"),
        Err(_) => arg.trim_end_matches(".toml").to_string(),
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{arg}: no such file, and no {TEACHING}/ to look in"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    found.sort();
    match found.len() {
        0 => bail!("{arg}: no such file, and no lesson {prefix}* in {TEACHING}/"),
        1 => Ok(found.remove(0)),
        _ => bail!(
            "{arg}: several lessons match: {}",
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The variant `--policy` names: a label, else the first with that policy,
/// else the lesson run under that policy.
fn choose(lesson: &Lesson, want: Option<&str>) -> Result<Variant> {
    let Some(want) = want else {
        return Ok(lesson.variants[0].clone());
    };
    if let Some(v) = lesson.variants.iter().find(|v| v.label == want) {
        return Ok(v.clone());
    }
    let policy: PolicyKind = want.parse().map_err(|e| anyhow::anyhow!("--policy: {e}"))?;
    if let Some(v) = lesson.variants.iter().find(|v| v.policy == policy) {
        return Ok(v.clone());
    }
    Ok(Variant {
        label: policy.name().to_string(),
        policy,
        samples: None,
        store_bytes: None,
        persistence: None,
    })
}

/// A line with ANSI colours, or plain.
fn render(l: &Line, colour: bool) -> String {
    if !colour {
        return l.plain();
    }
    let mut out = String::new();
    for s in &l.spans {
        let code = match s.style {
            Style::Plain => "",
            Style::Critical => "1;38;5;208",
            Style::Cache => "38;5;39",
            Style::Bad => "1;31",
            Style::Good => "32",
            Style::Dim => "2",
            Style::Strong => "1",
        };
        if code.is_empty() {
            out.push_str(&s.text);
        } else {
            out.push_str(&format!("\x1b[{code}m{}\x1b[0m", s.text));
        }
    }
    out
}

/// Prints the tape, pausing or waiting between steps.
fn play(lesson: &Lesson, tape: &Tape, colour: bool, step: bool, speed: f64) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let heading = Line::new().with(Style::Strong, format!("{} ({})", tape.title, tape.variant));
    writeln!(out, "{}", render(&heading, colour))?;
    for l in teach::wrap(&lesson.intro, 76) {
        writeln!(out, "{l}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        render(&Line::new().with(Style::Dim, &tape.settings), colour)
    )?;
    let mut legend = Line::new().with(Style::Dim, "classes: ");
    for (i, c) in tape.classes.iter().enumerate() {
        if i > 0 {
            legend.push(Style::Dim, ", ");
        }
        legend.push(
            if c.critical {
                Style::Critical
            } else {
                Style::Cache
            },
            &c.name,
        );
        legend.push(
            Style::Dim,
            if c.critical {
                " (critical: no other copy)"
            } else {
                " (cache: rebuilt on a miss)"
            },
        );
    }
    writeln!(out, "{}", render(&legend, colour))?;
    writeln!(out)?;
    let mut waiting = step;
    let n = tape.steps.len();
    for (i, s) in tape.steps.iter().enumerate() {
        for l in &s.lines {
            writeln!(out, "{}", render(l, colour))?;
        }
        out.flush()?;
        if i + 1 == n {
            break;
        }
        if waiting {
            let prompt = Line::new().with(
                Style::Dim,
                format!("-- step {} of {n}: Enter for the next, q to stop --", i + 1),
            );
            writeln!(out, "{}", render(&prompt, colour))?;
            out.flush()?;
            let mut answer = String::new();
            if input.read_line(&mut answer)? == 0 {
                waiting = false; // end of input: play the rest
            } else if answer.trim().eq_ignore_ascii_case("q") {
                writeln!(out, "stopped after step {} of {n}", i + 1)?;
                return Ok(());
            }
        } else if speed > 0.0 {
            let gap = tape.steps[i + 1].t_ms.saturating_sub(s.t_ms) as f64 / 1000.0;
            let pause = (gap / speed).min(2.0);
            std::thread::sleep(Duration::from_secs_f64(pause));
        }
    }
    writeln!(out)?;
    for l in &tape.summary {
        writeln!(out, "{}", render(l, colour))?;
    }
    writeln!(out)?;
    for l in teach::wrap(&lesson.moral, 76) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}
