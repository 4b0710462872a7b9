//! A real browser renders the HTML report: headless Chromium takes a
//! screenshot of `report.html` (opened from disk, with networking features
//! off), and the screenshot must not be blank.
//!
//! Chromium is optional on a developer's machine (the test prints
//! `SKIPPED: ...` and passes without it) but required in CI (`CI` set),
//! where `.ci/run` installs it. Chromium is killed after 60 s.
//!
//! Set `EVICTSIM_HTML_SAMPLE=/some/dir` to keep the report directory and the
//! screenshot (`shot.png`) there, to look at them.

#[path = "support/sample.rs"]
mod sample;

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use evictsim::model::PolicyKind;
use evictsim::report::write_dir;
use sample::rich;

const CHROMIUM: &str = "/usr/bin/chromium";
const TIMEOUT: Duration = Duration::from_secs(60);
const WINDOW: (u32, u32) = (1400, 2000);

/// Runs Chromium to screenshot `page` into `shot`, in its own process group
/// so that the whole group can be killed on timeout.
fn screenshot(page: &Path, shot: &Path, scratch: &Path) {
    let profile = scratch.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let log = std::fs::File::create(scratch.join("chromium.log")).unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = child.id();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Chromium's helpers share its process group: end them all, by its id.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let log = std::fs::read_to_string(scratch.join("chromium.log")).unwrap_or_default();
    match status {
        None => panic!("chromium did not finish within {TIMEOUT:?}; log:\n{log}"),
        Some(s) if !s.success() => panic!("chromium failed ({s}); log:\n{log}"),
        Some(_) => {}
    }
    assert!(shot.exists(), "chromium wrote no screenshot; log:\n{log}");
}

/// The size, distinct colours and share of non-white pixels of a PNG.
fn analyse(bytes: &[u8]) -> (u32, u32, usize, f64) {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let bpp = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(bpp).collect();
    let colours: HashSet<&[u8]> = pixels.iter().copied().collect();
    let ink = pixels
        .iter()
        .filter(|p| p.iter().take(3).any(|&v| v < 235))
        .count();
    (
        info.width,
        info.height,
        colours.len(),
        ink as f64 / pixels.len().max(1) as f64,
    )
}

#[test]
fn chromium_renders_the_report_and_the_screenshot_is_not_blank() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{CHROMIUM} is missing in CI (apt-get install -y chromium)");
        }
        println!("SKIPPED: chromium not installed (apt-get install -y chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = match std::env::var_os("EVICTSIM_HTML_SAMPLE") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => tmp.path().join("report"),
    };
    let run = rich(&[
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::AllKeysLfu,
        PolicyKind::VolatileLru,
        PolicyKind::VolatileTtl,
    ]);
    write_dir(&report, &run).unwrap();
    let shot = tmp.path().join("shot.png");
    screenshot(&report.join("report.html"), &shot, tmp.path());
    let (w, h, colours, ink) = analyse(&std::fs::read(&shot).unwrap());
    if std::env::var_os("EVICTSIM_HTML_SAMPLE").is_some() {
        std::fs::copy(&shot, report.join("shot.png")).unwrap();
    }
    println!(
        "screenshot {w}x{h}: {colours} colours, {:.1}% ink",
        ink * 100.0
    );
    assert_eq!((w, h), WINDOW, "screenshot size");
    assert!(
        colours > 200,
        "only {colours} distinct colours: blank page?"
    );
    assert!(
        ink > 0.03,
        "only {:.1}% of pixels are not white",
        ink * 100.0
    );
}
