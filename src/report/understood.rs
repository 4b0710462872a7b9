//! What a trace reader understood, per class, as rows of a table: shared by
//! the replay's summary on stderr and the report's settings section, so a
//! trace read differently than its writer meant (reads that fill, INCRs that
//! open a window, writes with a TTL) shows at once in both.

use super::fmt::thousands;
use crate::sim::ClassInfo;
use crate::trace::Understood;

/// The columns of [`rows`].
pub const HEAD: [&str; 12] = [
    "class",
    "GETs",
    "fill on a miss",
    "slide the TTL",
    "INCRs",
    "open a window",
    "SETs",
    "with a TTL",
    "EXPIREs",
    "of 0 (delete)",
    "pushes",
    "pops",
];

/// One row per class that had an operation counted, in class order.
pub fn rows(classes: &[ClassInfo], understood: &[Understood]) -> Vec<[String; 12]> {
    understood
        .iter()
        .enumerate()
        .filter(|(_, u)| !u.is_empty())
        .map(|(i, u)| {
            let name = classes
                .get(i)
                .map_or_else(|| format!("class {i}"), |c| c.name.clone());
            [
                name,
                thousands(u.reads),
                thousands(u.reads_with_fill),
                thousands(u.reads_sliding),
                thousands(u.incrs),
                thousands(u.incrs_with_window),
                thousands(u.sets),
                thousands(u.sets_with_ttl),
                thousands(u.expires),
                thousands(u.expire_deletes),
                thousands(u.pushes),
                thousands(u.pops),
            ]
        })
        .collect()
}

/// The rows as aligned plain text, each line indented by `indent`; empty
/// when nothing was counted.
pub fn text(classes: &[ClassInfo], understood: &[Understood], indent: &str) -> String {
    let rows = rows(classes, understood);
    if rows.is_empty() {
        return String::new();
    }
    let mut width = HEAD.map(str::len);
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 12]| {
        let mut s = indent.to_string();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i == 0 {
                s += &format!("{cell:<w$}");
            } else {
                s += &format!("  {cell:>w$}");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(HEAD);
    for r in &rows {
        out += &line(r.each_ref().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Cmd, ReadSpec, Value};

    #[test]
    fn only_classes_with_operations_show() {
        let classes = vec![
            ClassInfo {
                name: "cache".into(),
                critical: false,
            },
            ClassInfo {
                name: "sessions".into(),
                critical: true,
            },
        ];
        let mut u = vec![Understood::default(); 2];
        u[1].count(
            &Cmd::Read(ReadSpec {
                fill: Some(Value::bytes(3)),
                ..ReadSpec::default()
            }),
            1200,
        );
        u[1].count(&Cmd::Expire { ttl_ms: 0 }, 2);
        let r = rows(&classes, &u);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0][0], "sessions");
        assert_eq!(r[0][1], "1,200");
        assert_eq!(r[0][2], "1,200");
        assert_eq!(r[0][8], "2");
        assert_eq!(r[0][9], "2");
        let t = text(&classes, &u, "  ");
        assert!(t.starts_with("  class"), "{t}");
        assert!(t.contains("sessions"), "{t}");
        assert!(!t.contains("cache"), "{t}");
        assert_eq!(text(&classes, &[], ""), "");
    }
}
