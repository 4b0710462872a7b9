//! Headless Chromium for the page tests, included with
//! `#[path = "support/chromium.rs"] mod chromium;`: run it with the flags
//! that keep it off the network, in its own process group (killed after
//! 60 s), and return what it printed.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
const TIMEOUT: Duration = Duration::from_secs(60);

/// Whether Chromium is there; outside CI a missing one prints `SKIPPED`
/// and the caller returns, in CI it fails the test.
pub fn available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{CHROMIUM} is missing in CI (apt-get install -y chromium)");
    }
    println!("SKIPPED: chromium not installed (apt-get install -y chromium)");
    false
}

/// Runs Chromium headless on `url` with `extra` flags; returns its stdout
/// and its log (stderr, with the pages' console messages).
pub fn run(url: &str, extra: &[String], scratch: &Path) -> (String, String) {
    let profile = scratch.join(format!("profile-{}", extra.len()));
    std::fs::create_dir_all(&profile).unwrap();
    let out_path = scratch.join("chromium.out");
    let log_path = scratch.join("chromium.log");
    let out = std::fs::File::create(&out_path).unwrap();
    let log = std::fs::File::create(&log_path).unwrap();
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
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out)
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
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        None => panic!("chromium did not finish within {TIMEOUT:?}; log:\n{log}"),
        Some(s) if !s.success() => panic!("chromium failed ({s}); log:\n{log}"),
        Some(_) => {}
    }
    (out, log)
}

/// The size, distinct colours and share of non-white pixels of a PNG.
pub fn analyse(bytes: &[u8]) -> (u32, u32, usize, f64) {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let bpp = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(bpp).collect();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
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
