//! A report directory written into a temporary directory: every expected
//! file and nothing else (no temporary file left), PNGs that decode at
//! 1600x900, a Markdown report whose images all exist, and charts of an
//! earlier run removed when the new run has no data for them.

#[path = "support/sample.rs"]
mod sample;

use std::collections::BTreeSet;
use std::path::Path;

use evictsim::model::PolicyKind;
use evictsim::report::charts::{all_charts, Chart, HEIGHT, WIDTH};
use evictsim::report::write_dir;
use sample::{rich, sample};

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn expected(charts: &[Chart]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = [
        "report.md",
        "report.html",
        "results.json",
        "results.csv",
        "table.txt",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for c in charts {
        names.insert(format!("{}.png", c.file_stem()));
        names.insert(format!("{}.svg", c.file_stem()));
    }
    names
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(bytes).read_info().expect("PNG header");
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn writes_every_file_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("reports").join("web-sessions");
    let run = rich(&[
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::VolatileTtl,
    ]);
    let charts = all_charts(&run);
    assert_eq!(charts, Chart::ALL.to_vec());
    let written = write_dir(&dir, &run).unwrap();
    let names: BTreeSet<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, expected(&charts));
    assert_eq!(written.len(), names.len(), "a file written twice");
    // Nothing but the report: no temporary file left behind.
    assert_eq!(entries(&dir), expected(&charts));
    for c in &charts {
        let png = std::fs::read(dir.join(format!("{}.png", c.file_stem()))).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{c:?}");
        assert_eq!((WIDTH, HEIGHT), (1600, 900));
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", c.file_stem()))).unwrap();
        assert!(svg.starts_with("<svg"), "{c:?}");
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for c in &charts {
        assert!(md.contains(&format!("]({}.png)", c.file_stem())), "{c:?}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), charts.len());
}

#[test]
fn rewriting_with_fewer_charts_removes_the_stale_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    write_dir(dir, &rich(&[PolicyKind::AllKeysLru])).unwrap();
    let fewer = sample();
    let charts = all_charts(&fewer);
    assert!(charts.len() < Chart::ALL.len());
    write_dir(dir, &fewer).unwrap();
    let mut want = expected(&charts);
    want.insert("notes.txt".into());
    assert_eq!(entries(dir), want);
}

#[test]
fn a_run_with_no_policies_still_writes_the_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let mut run = sample();
    run.results.clear();
    write_dir(tmp.path(), &run).unwrap();
    assert_eq!(entries(tmp.path()), expected(&[]));
}

#[test]
fn a_file_in_the_way_of_the_directory_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("report");
    std::fs::write(&blocker, "not a directory").unwrap();
    let err = write_dir(&blocker, &sample()).unwrap_err();
    assert!(err.to_string().contains("report"), "{err}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a directory");
}
