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

#[path = "support/chromium.rs"]
mod chromium;
#[path = "support/sample.rs"]
mod sample;

use evictsim::model::PolicyKind;
use evictsim::report::write_dir;
use sample::rich;

const WINDOW: (u32, u32) = (1400, 2000);

/// Screenshots `page` into `shot` with the shared headless Chromium.
fn screenshot(page: &std::path::Path, shot: &std::path::Path, scratch: &std::path::Path) {
    let (_, log) = chromium::run(
        &format!("file://{}", page.display()),
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
        ],
        scratch,
    );
    assert!(shot.exists(), "chromium wrote no screenshot; log:\n{log}");
}

#[test]
fn chromium_renders_the_report_and_the_screenshot_is_not_blank() {
    if !chromium::available() {
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
    let (w, h, colours, ink) = chromium::analyse(&std::fs::read(&shot).unwrap());
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
