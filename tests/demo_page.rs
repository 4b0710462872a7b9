//! The page `evictsim demo --html` writes, in a real browser: headless
//! Chromium loads it with no console message, a click on Step shows the
//! next frame and its narration, the switch shows the other variant, and a
//! screenshot is not blank. Skips (`SKIPPED`) without Chromium outside CI.
//!
//! Set `EVICTSIM_DEMO_SAMPLE=/some/dir` to keep the page and the screenshot
//! there, to look at them.

#[path = "support/chromium.rs"]
mod chromium;

use assert_cmd::Command;

/// Loads the page in an iframe, reads which frame and narration show,
/// clicks Step, reads again, clicks the second variant, reads again.
const DRIVER: &str = r#"<!doctype html><html><body><pre id="result">pending</pre>
<iframe id="f" src="lesson.html" width="1400" height="900"></iframe>
<script>
const f = document.getElementById('f');
f.addEventListener('load', () => {
  const d = f.contentDocument;
  const shown = sel => {
    const e = [...d.querySelectorAll(sel)].filter(x => !x.hidden);
    return e.length === 1 ? e[0].dataset.v + '/' + e[0].dataset.s + ' ' + e[0].textContent.length : 'shown: ' + e.length;
  };
  const look = () => [shown('#picture .frame'), shown('#narration .say'), d.getElementById('where').textContent];
  const out = {first: look()};
  d.getElementById('step').click();
  out.stepped = look();
  d.getElementById('back').click();
  out.back = look();
  d.querySelectorAll('.variant')[1].click();
  out.other = look();
  // The narration sits beside the picture, not below a gap.
  const said = [...d.querySelectorAll('#narration .say')].find(x => !x.hidden);
  out.gap = Math.round(said.getBoundingClientRect().top - d.getElementById('picture').getBoundingClientRect().top);
  out.buttons = ['play', 'pause', 'step', 'back'].map(id => !!d.getElementById(id));
  out.external = d.querySelectorAll('script[src], link[href], img[src], iframe').length;
  document.getElementById('result').textContent = 'RESULT' + JSON.stringify(out) + 'END';
});
</script></body></html>"#;

#[test]
fn the_lesson_page_steps_in_chromium_with_no_console_message() {
    if !chromium::available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = match std::env::var_os("EVICTSIM_DEMO_SAMPLE") {
        Some(d) => std::path::PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("lesson.html");
    Command::cargo_bin("evictsim")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["demo", "8", "--no-color", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // Links only as XML namespaces (`xmlns="http://www.w3.org/2000/svg"`).
    for link in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "@font-face",
    ] {
        assert!(!html.contains(link), "the page loads {link}...");
    }
    std::fs::write(dir.join("driver.html"), DRIVER).unwrap();

    // Step, Back and the variant switch, through the page's own buttons.
    let (dom, log) = chromium::run(
        &format!("file://{}", dir.join("driver.html").display()),
        &[
            "--allow-file-access-from-files".into(),
            "--virtual-time-budget=10000".into(),
            "--dump-dom".into(),
        ],
        tmp.path(),
    );
    let result = dom
        .split("RESULT")
        .nth(1)
        .and_then(|r| r.split("END").next())
        .unwrap_or_else(|| panic!("the driver saw no page; log:\n{log}"));
    let r: serde_json::Value = serde_json::from_str(&result.replace("&quot;", "\"")).unwrap();
    let at = |k: &str, i: usize| r[k][i].as_str().unwrap().to_string();
    let frame = |k: &str| at(k, 0).split(' ').next().unwrap().to_string();
    let said = |k: &str| at(k, 1);
    assert_eq!(frame("first"), "0/0", "{r}");
    assert_eq!(frame("stepped"), "0/1", "Step shows the next frame: {r}");
    assert!(said("stepped").starts_with("0/1"), "and its narration: {r}");
    assert_ne!(said("first"), said("stepped"));
    assert_eq!(at("stepped", 2), "step 2 of 31");
    assert_eq!(frame("back"), "0/0", "Back: {r}");
    assert_eq!(
        frame("other"),
        "1/0",
        "the switch shows the other variant: {r}"
    );
    assert_eq!(r["buttons"], serde_json::json!([true, true, true, true]));
    assert_eq!(r["external"], 0, "nothing loaded from outside");
    let gap = r["gap"].as_i64().unwrap();
    assert!(
        gap.abs() < 60,
        "the narration is {gap} px below the picture's top"
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") && l.contains("lesson.html"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");

    // The page as a student first sees it.
    let shot = dir.join("shot.png");
    chromium::run(
        &format!("file://{}", page.display()),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".into(),
        ],
        tmp.path(),
    );
    let (w, h, colours, ink) = chromium::analyse(&std::fs::read(&shot).unwrap());
    println!(
        "screenshot {w}x{h}: {colours} colours, {:.1}% ink",
        ink * 100.0
    );
    assert_eq!((w, h), (1400, 1000));
    assert!(colours > 200, "only {colours} colours: blank page?");
    assert!(
        ink > 0.02,
        "only {:.1}% of pixels are not white",
        ink * 100.0
    );
}
