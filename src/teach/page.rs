//! A lesson as one self-contained page students step through: every step
//! of every variant as inline SVG, the narration of the step beside it,
//! Play, Pause, Step and Back buttons, and a switch between the variants
//! the lesson compares. No network, no external script or font: the page
//! works from a file on a laptop in a classroom.

use super::draw::step_svg;
use super::tape::Tape;
use super::text::{wrap, Line, Style};
use crate::report::charts::ChartError;
use std::fmt::Write;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A narration line as HTML spans.
fn line_html(l: &Line) -> String {
    let mut out = String::new();
    for s in &l.spans {
        let class = match s.style {
            Style::Plain => "",
            Style::Critical => "crit",
            Style::Cache => "cache",
            Style::Bad => "bad",
            Style::Good => "good",
            Style::Dim => "dim",
            Style::Strong => "strong",
        };
        if class.is_empty() {
            out.push_str(&esc(&s.text));
        } else {
            let _ = write!(out, "<span class=\"{class}\">{}</span>", esc(&s.text));
        }
    }
    out
}

/// Paragraphs of plain text.
fn paras(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", esc(&wrap(p, usize::MAX).join(" "))))
        .collect()
}

/// The page for `tapes` (one per variant, in the lesson's order), with the
/// lesson's `intro` and `moral`.
pub fn lesson_page(tapes: &[Tape], intro: &str, moral: &str) -> Result<String, ChartError> {
    let title = tapes
        .first()
        .map_or("evictsim lesson", |t| t.title.as_str());
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n<div class=\"intro\">{}</div>\n",
        esc(title),
        esc(title),
        paras(intro)
    );
    h.push_str(
        "<div class=\"controls\">\n<div class=\"variants\" role=\"group\" aria-label=\"policy\">",
    );
    for (v, t) in tapes.iter().enumerate() {
        let _ = write!(
            h,
            "<button type=\"button\" class=\"variant{}\" data-v=\"{v}\">{}</button>",
            if v == 0 { " on" } else { "" },
            esc(&t.variant)
        );
    }
    h.push_str("</div>\n<div class=\"buttons\"><button type=\"button\" id=\"back\">Back</button><button type=\"button\" id=\"play\">Play</button><button type=\"button\" id=\"pause\">Pause</button><button type=\"button\" id=\"step\">Step</button><span id=\"where\"></span></div>\n</div>\n");
    h.push_str("<div class=\"main\">\n<div id=\"picture\">\n");
    for (v, t) in tapes.iter().enumerate() {
        for i in 0..t.steps.len() {
            let svg = step_svg(t, i)?;
            let svg = svg.replacen("<svg ", "<svg viewBox=\"0 0 1600 900\" ", 1);
            let _ = writeln!(
                h,
                "<div class=\"frame\" data-v=\"{v}\" data-s=\"{i}\" hidden>{svg}</div>"
            );
        }
    }
    h.push_str("</div>\n<div id=\"narration\">\n");
    for (v, t) in tapes.iter().enumerate() {
        for (i, s) in t.steps.iter().enumerate() {
            let _ = write!(
                h,
                "<div class=\"say{}\" data-v=\"{v}\" data-s=\"{i}\" hidden><p class=\"settings\">{}</p>",
                if s.alarm { " alarm" } else { "" },
                esc(&t.settings)
            );
            for l in &s.lines {
                let _ = write!(h, "<div class=\"l\">{}</div>", line_html(l));
            }
            if i + 1 == t.steps.len() {
                for l in &t.summary {
                    let _ = write!(h, "<div class=\"l sum\">{}</div>", line_html(l));
                }
            }
            h.push_str("</div>\n");
        }
    }
    let counts: Vec<String> = tapes.iter().map(|t| t.steps.len().to_string()).collect();
    let _ = write!(
        h,
        "</div>\n</div>\n<div class=\"moral\">{}</div>\n<script>\nconst STEPS = [{}];\n{JS}\n</script>\n</body>\n</html>\n",
        paras(moral),
        counts.join(",")
    );
    Ok(h)
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em auto;max-width:1500px;padding:0 1em;color:#222}
h1{font-size:1.6em;margin:.2em 0}
.intro p,.moral p{max-width:60em;line-height:1.45}
.moral{border-top:1px solid #ddd;margin-top:1em;padding-top:.5em;font-weight:600}
.controls{display:flex;flex-wrap:wrap;gap:1em;align-items:center;margin:.8em 0}
button{font:inherit;padding:.35em .9em;border:1px solid #888;border-radius:4px;background:#f6f6f6;cursor:pointer}
button.on{background:#222;color:#fff;border-color:#222}
.buttons button{margin-right:.3em}
.variants{display:flex;flex-wrap:wrap;gap:.3em}
#where{margin-left:.6em;color:#555}
.main{display:flex;gap:1.2em;align-items:flex-start}
#picture{flex:0 0 62%}
#picture svg{width:100%;height:auto;border:1px solid #ddd}
#narration{flex:1;font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.86em;line-height:1.4}
#narration .l{white-space:pre-wrap}
.settings{color:#555;font-family:system-ui,sans-serif;margin:0 0 .6em}
.crit{color:#b34700;font-weight:700}.cache{color:#0063a0}.bad{color:#c62828;font-weight:700}
.good{color:#1b7f3b}.dim{color:#666}.strong{font-weight:700}.sum{margin-top:.8em}
";

const JS: &str = r"
let v = 0, s = 0, timer = null;
const frames = document.querySelectorAll('#picture .frame');
const says = document.querySelectorAll('#narration .say');
function show() {
  frames.forEach(f => { f.hidden = !(+f.dataset.v === v && +f.dataset.s === s); });
  says.forEach(f => { f.hidden = !(+f.dataset.v === v && +f.dataset.s === s); });
  document.querySelectorAll('.variant').forEach(b => b.classList.toggle('on', +b.dataset.v === v));
  document.getElementById('where').textContent = 'step ' + (s + 1) + ' of ' + STEPS[v];
  history.replaceState(null, '', '#v' + v + '-s' + (s + 1));
}
// A step can be linked to: lesson.html#v1-s12 (variant 1, step 12).
const m = /^#v(\d+)-s(\d+)$/.exec(location.hash);
if (m && +m[1] < STEPS.length) { v = +m[1]; s = Math.max(0, Math.min(STEPS[v], +m[2]) - 1); }
function go(d) { s = Math.max(0, Math.min(STEPS[v] - 1, s + d)); show(); }
function pause() { if (timer) { clearInterval(timer); timer = null; } }
document.getElementById('step').addEventListener('click', () => { pause(); go(1); });
document.getElementById('back').addEventListener('click', () => { pause(); go(-1); });
document.getElementById('pause').addEventListener('click', pause);
document.getElementById('play').addEventListener('click', () => {
  pause();
  timer = setInterval(() => { if (s + 1 >= STEPS[v]) { pause(); } else { go(1); } }, 1200);
});
document.querySelectorAll('.variant').forEach(b => b.addEventListener('click', () => {
  v = +b.dataset.v; s = Math.min(s, STEPS[v] - 1); show();
}));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight' || e.key === ' ') { pause(); go(1); e.preventDefault(); }
  if (e.key === 'ArrowLeft') { pause(); go(-1); }
});
show();
";
