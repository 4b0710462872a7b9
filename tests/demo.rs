//! `evictsim demo` as a teacher runs it: every lesson under
//! scenarios/teaching/ plays to the end with the same transcript every time
//! (golden files in tests/golden/demo/, rewritten with UPDATE_GOLDEN=1 and
//! explained in the commit), `--step` waits for Enter from a pipe and from
//! tmux, and the GIF and the PNG frames have one picture per command.

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lessons() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios/teaching"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

fn evictsim() -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(root());
    c
}

/// The transcript's commands: lines that start with the time.
fn steps(transcript: &str) -> usize {
    transcript.lines().filter(|l| l.starts_with('[')).count()
}

#[test]
fn every_lesson_plays_to_the_end_as_its_golden_transcript() {
    let all = lessons();
    assert_eq!(all.len(), 9, "nine lessons: {all:?}");
    let dir = root().join("tests/golden/demo");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for lesson in all {
        let rel = lesson.strip_prefix(root()).unwrap();
        let out = evictsim()
            .args(["demo", rel.to_str().unwrap(), "--no-color"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {out:?}", rel.display());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\x1b'), "--no-color printed a colour code");
        assert!(steps(&text) > 10, "{}: too few commands", rel.display());
        let stem = lesson.file_stem().unwrap().to_string_lossy().to_string();
        let golden = dir.join(format!("{stem}.txt"));
        if update {
            std::fs::write(&golden, &text).unwrap();
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{} missing (UPDATE_GOLDEN=1 writes it)", golden.display()));
        assert!(
            want == text,
            "{} differs from {}; if the change is intended, rerun with UPDATE_GOLDEN=1",
            rel.display(),
            golden.display()
        );
    }
}

#[test]
fn the_lessons_teach_what_they_say() {
    let play = |n: &str, policy: &str| -> String {
        let out = evictsim()
            .args(["demo", n, "--no-color", "--policy", policy])
            .output()
            .unwrap();
        assert!(out.status.success(), "demo {n} -p {policy}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // 1: a pure cache loses nothing that matters.
    let quiet = play("1", "allkeys-lru");
    assert!(quiet.contains("evicts cache:/") && !quiet.contains('✗'));
    // 2 and 4: allkeys-lru logs a user out, in DB 0 or DB 1.
    for n in ["2", "4"] {
        let t = play(n, "allkeys-lru");
        assert!(t.contains("is logged out"), "lesson {n}");
        assert!(
            t.contains("allkeys-lru samples ") && t.contains("pool ("),
            "lesson {n}"
        );
    }
    // 4: five keys from each database, pooled together.
    assert!(play("4", "allkeys-lru").contains("(5 from DB 0, 5 from DB 1)"));
    // 3: noeviction refuses loudly and evicts nothing.
    let no = play("3", "noeviction");
    assert!(no.contains("-OOM") && !no.contains("evicts "));
    // 5: split, no critical key is evicted.
    let split = play("5", "split: store noeviction + cache allkeys-lru");
    assert!(split.contains("(on the store)") && !split.contains("✗ user"));
    // 6: exact LRU takes the oldest of all keys; 10 samples are shown.
    assert!(play("6", "exact-lru").contains("least recently used of all keys"));
    assert!(play("6", "allkeys-lru, 10 samples").contains("samples 10 keys"));
    // 7: LFU shows counters.
    assert!(play("7", "allkeys-lfu").contains("counter "));
    // 8: the crash.
    assert!(play("8", "save \"\", appendonly no").contains("critical keys are gone for good"));
    assert!(play("8", "AOF, appendfsync everysec").contains("every critical key comes back"));
    // 9: one eviction of a list takes every job in it, and the worker
    // that comes back finds it gone; volatile-lru spares the list (no TTL).
    let queue = play("9", "allkeys-lru");
    assert!(
        queue.contains("evicts queue:exports") && queue.contains(" jobs in it"),
        "{queue}"
    );
    assert!(queue.contains("✗ the worker finds queue:exports gone: its "));
    assert!(queue.contains("jobs lost with it"));
    let spared = play("9", "volatile-lru");
    assert!(!spared.contains("evicts queue:") && !spared.contains('✗'));
}

#[test]
fn check_accepts_the_lessons_and_run_replays_one() {
    let mut args = vec!["check".to_string()];
    args.extend(
        lessons()
            .iter()
            .map(|p| p.strip_prefix(root()).unwrap().display().to_string()),
    );
    evictsim().args(&args).assert().success();
    evictsim()
        .args([
            "run",
            "scenarios/teaching/02-eighteen-months-later.toml",
            "--no-report",
            "-q",
        ])
        .assert()
        .success();
}

#[test]
fn a_bad_lesson_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/teaching/01-quiet-start.toml"))
        .unwrap()
        .replace(
            "compare = [\"allkeys-lru\", \"noeviction\"]",
            "compare = [\"allkeys-lur\"]",
        );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    let out = evictsim()
        .args(["check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("lesson.compare[0]"), "{said}");
}

/// Reads the child's stdout lines on a thread, so a test can wait for a
/// line with a deadline.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Lines up to and including the first that contains `marker`.
fn until(rx: &mpsc::Receiver<String>, marker: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                let done = l.contains(marker);
                got.push(l);
                if done {
                    return got;
                }
            }
            Err(e) => panic!("no line with {marker:?} ({e}); got {got:?}"),
        }
    }
}

#[test]
fn step_waits_for_enter_from_a_pipe() {
    let bin = assert_cmd::cargo::cargo_bin("evictsim");
    let mut child = std::process::Command::new(bin)
        .current_dir(root())
        .args(["demo", "2", "--step", "--no-color"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let first = until(&rx, "step 1 of");
    assert_eq!(steps(&first.join("\n")), 1, "one command before the prompt");
    // Nothing more until Enter.
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "printed on without Enter");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    let second = until(&rx, "step 2 of");
    assert_eq!(steps(&second.join("\n")), 1, "one more command per Enter");
    stdin.write_all(b"q\n").unwrap();
    drop(stdin);
    let rest = until(&rx, "stopped after step 2");
    assert_eq!(steps(&rest.join("\n")), 0);
    assert!(child.wait().unwrap().success());
}

#[test]
fn step_runs_to_the_end_when_the_pipe_closes() {
    let out = evictsim()
        .args(["demo", "8", "--step", "--no-color"])
        .write_stdin("\n\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CRASH"), "played to the end");
    // Three prompts: two answered, the third met the end of input.
    assert_eq!(text.matches("Enter for the next").count(), 3);
}

#[test]
fn step_works_in_tmux() {
    let Ok(tmux) = which("tmux") else {
        if std::env::var_os("CI").is_some() {
            panic!("tmux is missing in CI (apt-get install -y tmux)");
        }
        println!("SKIPPED: tmux not installed (apt-get install -y tmux)");
        return;
    };
    // A server of our own (-L), on a socket per session: the second one
    // must not meet the first one's server while it exits.
    let socket = std::cell::RefCell::new(format!("evictsim-test-{}", std::process::id()));
    let bin = assert_cmd::cargo::cargo_bin("evictsim");
    let tm = |args: &[&str]| {
        std::process::Command::new(&tmux)
            .arg("-L")
            .arg(socket.borrow().as_str())
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    };
    let cmd = format!(
        "cd {} && {} demo 2 --step; sleep 30",
        root().display(),
        bin.display()
    );
    let started = tm(&["new-session", "-d", "-x", "200", "-y", "60", &cmd]);
    assert!(started.status.success(), "tmux: {started:?}");
    let screen = || String::from_utf8_lossy(&tm(&["capture-pane", "-p"]).stdout).to_string();
    let wait_for = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = screen();
            if s.contains(what) {
                return s;
            }
            if Instant::now() > deadline {
                tm(&["kill-server"]);
                panic!("tmux screen never showed {what:?}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let first = wait_for("step 1 of");
    assert!(!first.contains("step 2 of"));
    // A terminal gets colour (critical keys, cache keys).
    let coloured = String::from_utf8_lossy(&tm(&["capture-pane", "-e", "-p"]).stdout).to_string();
    assert!(
        coloured.contains("\x1b["),
        "no colour on a terminal:\n{coloured}"
    );
    tm(&["send-keys", "Enter"]);
    let second = wait_for("step 2 of");
    assert!(second.contains("step 1 of"));
    tm(&["send-keys", "q", "Enter"]);
    wait_for("stopped after step 2");
    tm(&["kill-server"]);

    // NO_COLOR turns it off, on a terminal too.
    socket.borrow_mut().push_str("-no-color");
    let cmd = format!(
        "cd {} && NO_COLOR=1 {} demo 2 --step; sleep 30",
        root().display(),
        bin.display()
    );
    let started = tm(&["new-session", "-d", "-x", "200", "-y", "60", &cmd]);
    assert!(started.status.success(), "tmux: {started:?}");
    wait_for("step 1 of");
    let plain = String::from_utf8_lossy(&tm(&["capture-pane", "-e", "-p"]).stdout).to_string();
    tm(&["kill-server"]);
    assert!(
        !plain.contains("\x1b["),
        "NO_COLOR still coloured:\n{plain}"
    );
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|f| f.is_file())
        })
        .ok_or(())
}

/// Width and height of a PNG.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(bytes);
    let reader = decoder.read_info().unwrap();
    (reader.info().width, reader.info().height)
}

#[test]
fn the_gif_has_one_frame_per_step_and_the_frames_are_1600x900_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("lesson.gif");
    let frames = dir.path().join("frames");
    let out = evictsim()
        .args(["demo", "8", "--no-color", "--gif"])
        .arg(&gif)
        .arg("--frames")
        .arg(&frames)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let n = steps(&String::from_utf8(out.stdout).unwrap());
    // The GIF decodes, frame by frame.
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = opts
        .read_info(std::fs::File::open(&gif).unwrap())
        .expect("a GIF header");
    assert_eq!((decoder.width(), decoder.height()), (800, 450));
    let mut count = 0;
    while let Some(frame) = decoder.read_next_frame().expect("a GIF frame") {
        assert_eq!((frame.width, frame.height), (800, 450));
        assert!(frame.delay > 0);
        count += 1;
    }
    assert_eq!(count, n, "one frame per command");
    // The PNG frames.
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(&frames)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), n);
    assert!(pngs[0].ends_with("step-001.png"));
    for p in [&pngs[0], &pngs[n - 1]] {
        assert_eq!(png_size(&std::fs::read(p).unwrap()), (1600, 900));
    }
}

/// `evictsim demo 2 | head` stops quietly when the reader goes away.
#[test]
fn a_closed_pipe_ends_the_demo_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_evictsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["demo", "2", "--no-color"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the demo writes, as `head` does after
    // its lines.
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(err.is_empty(), "{err}");
}
