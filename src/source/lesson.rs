//! A lesson for `evictsim demo`: a small scenario (its instance, its key
//! classes with readable names) plus a `[lesson]` table with what a teacher
//! says around it and the variants it compares. A lesson is also a valid
//! scenario (`run` ignores `[lesson]`), and reading one checks both parts
//! with the file, line and field of any mistake.
//!
//! ```toml
//! [lesson]
//! title = "Eighteen months later"
//! intro = "Sessions and jobs now share the cache's instance."
//! moral = "allkeys-lru cannot tell a session from a page."
//! compare = ["allkeys-lru", { policy = "allkeys-lru", maxmemory_samples = 10 }]
//! crash_at = "50s"                              # optional: a crash ends the lesson
//! names = { pages = ["cache:/home", "cache:/blog"] }  # optional, per class
//! ```

use super::error::ScenarioError;
use super::fields::{Field, Table};
use super::scenario::{read_persistence, read_scenario, Scenario};
use super::tree;
use crate::model::PolicyKind;
use crate::persistence::Persistence;
use std::path::Path;

/// A validated lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The scenario the lesson replays (its `[lesson]` table read below).
    pub scenario: Scenario,
    /// The lesson's title.
    pub title: String,
    /// What to say before the first command.
    pub intro: String,
    /// What to say after the last one.
    pub moral: String,
    /// The variants the lesson compares, in order; the first is the default.
    pub variants: Vec<Variant>,
    /// When set, the instance crashes at this moment (ms) and the lesson
    /// ends with what each variant's persistence lost.
    pub crash_at_ms: Option<u64>,
    /// Per class (by index), readable names for its keys by their number
    /// within the class; a key past the list keeps its template's name.
    pub names: Vec<Vec<String>>,
}

/// One way of running a lesson's commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// What the page and the transcript call it.
    pub label: String,
    /// The policy (of the cache instance, for a split).
    pub policy: PolicyKind,
    /// `maxmemory-samples`, when not the scenario's.
    pub samples: Option<u32>,
    /// Split the instance: critical classes go to a `noeviction` store of
    /// this many bytes, the rest to a cache with the remaining memory.
    pub store_bytes: Option<u64>,
    /// Persistence, when not the scenario's (`save`, `appendonly`,
    /// `appendfsync`).
    pub persistence: Option<Persistence>,
}

/// Fields of a `[lesson]` table.
const LESSON_FIELDS: [&str; 6] = ["title", "intro", "moral", "compare", "crash_at", "names"];

/// Fields of a variant given as a table.
const VARIANT_FIELDS: [&str; 7] = [
    "policy",
    "label",
    "maxmemory_samples",
    "store_maxmemory",
    "save",
    "appendonly",
    "appendfsync",
];

/// The most variants a lesson compares (a page shows one switch each).
const MAX_VARIANTS: usize = 6;

impl Lesson {
    /// Reads and validates the lesson file at `path`.
    pub fn from_path(path: &Path) -> Result<Lesson, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|reason| ScenarioError::Read {
            file: file.clone(),
            reason,
        })?;
        Lesson::from_str(&text, &file)
    }

    /// Reads and validates a lesson from `text`; `display_name` appears in
    /// errors and its stem becomes the scenario's name.
    pub fn from_str(text: &str, display_name: &str) -> Result<Lesson, ScenarioError> {
        let root = tree::parse(text, display_name)?;
        let name = Path::new(display_name).file_stem().map_or_else(
            || display_name.to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let field = Field::root(display_name, &root);
        let scenario = read_scenario(&field, name, None)?;
        let top = field.table_unchecked()?;
        let lf = top.require(
            "lesson",
            "a [lesson] table with at least a title and what it compares",
        )?;
        read_lesson(&lf.table(&LESSON_FIELDS)?, scenario)
    }

    /// Whether `text` has a `[lesson]` table (then [`Lesson::from_str`]
    /// reads it; `Scenario::from_str` reads the rest either way).
    pub fn is_lesson(text: &str) -> bool {
        text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("[lesson]") || l.starts_with("[lesson.") || l.starts_with("[[lesson.")
        })
    }
}

/// Reads `[lesson]` against its scenario.
fn read_lesson(t: &Table, scenario: Scenario) -> Result<Lesson, ScenarioError> {
    let text = |key: &str, what: &str| -> Result<String, ScenarioError> {
        Ok(t.require(key, what)?.str()?.trim().to_string())
    };
    let title = text("title", "the lesson's title")?;
    let intro = text("intro", "what to say before the first command")?;
    let moral = text("moral", "what to say after the last command")?;
    let cf = t.require("compare", "the policies the lesson compares")?;
    let mut variants = Vec::new();
    for item in cf.array()? {
        variants.push(read_variant(&item, &scenario)?);
    }
    if variants.is_empty() {
        return Err(cf.err("list at least one policy"));
    }
    if variants.len() > MAX_VARIANTS {
        return Err(cf.err(format!(
            "{} variants, more than the {MAX_VARIANTS} a page can switch between",
            variants.len()
        )));
    }
    for (i, v) in variants.iter().enumerate() {
        if variants[..i].iter().any(|w| w.label == v.label) {
            return Err(cf.err(format!(
                "two variants are called {:?}: give one a label",
                v.label
            )));
        }
    }
    let crash_at_ms = match t.get("crash_at") {
        Some(f) => {
            let ms = f.duration_ms()?;
            if ms == 0 || ms > scenario.duration_ms {
                return Err(f.err(format!(
                    "must be within the run (0 < crash_at <= {} ms)",
                    scenario.duration_ms
                )));
            }
            Some(ms)
        }
        None => None,
    };
    let mut names = vec![Vec::new(); scenario.classes.len()];
    if let Some(nf) = t.get("names") {
        let nt = nf.table_unchecked()?;
        let known: Vec<&str> = scenario.classes.iter().map(|c| c.name.as_str()).collect();
        nt.deny_unknown(&known, "the names of a class")?;
        for (i, class) in known.iter().enumerate() {
            if let Some(list) = nt.get(class) {
                for item in list.array()? {
                    let n = item.str()?;
                    if n.is_empty() || n.len() > 200 {
                        return Err(item.err("a key name of 1 to 200 bytes"));
                    }
                    names[i].push(n.to_string());
                }
            }
        }
    }
    Ok(Lesson {
        scenario,
        title,
        intro,
        moral,
        variants,
        crash_at_ms,
        names,
    })
}

/// Reads one variant: a policy name, or a table with a policy and what
/// else changes.
fn read_variant(f: &Field, scenario: &Scenario) -> Result<Variant, ScenarioError> {
    let policy_of = |f: &Field| -> Result<PolicyKind, ScenarioError> {
        f.str()?.parse().map_err(|e| f.err(format!("{e}")))
    };
    if !f.is_table() {
        let policy = policy_of(f)?;
        return Ok(Variant {
            label: policy.name().to_string(),
            policy,
            samples: None,
            store_bytes: None,
            persistence: None,
        });
    }
    let t = f.table(&VARIANT_FIELDS)?;
    let policy = policy_of(&t.require("policy", "the policy this variant runs")?)?;
    let samples = match t.get("maxmemory_samples") {
        Some(sf) => {
            let v = sf.uint(64)?;
            if v == 0 {
                return Err(sf.err("must be from 1 to 64 (got 0)"));
            }
            Some(v as u32)
        }
        None => None,
    };
    let store_bytes = match t.get("store_maxmemory") {
        Some(sf) => {
            let v = sf.memory()?;
            if v == 0 || v >= scenario.instance.maxmemory {
                return Err(sf.err(format!(
                    "the store's share must be above 0 and below maxmemory ({} bytes)",
                    scenario.instance.maxmemory
                )));
            }
            if !scenario.classes.iter().any(|c| c.critical) {
                return Err(sf.err("no class is critical: there is nothing to store"));
            }
            Some(v)
        }
        None => None,
    };
    let persistence = if ["save", "appendonly", "appendfsync"]
        .iter()
        .any(|k| t.get(k).is_some())
    {
        let mut p = read_persistence(&t)?;
        if t.get("save").is_none() {
            p.save = scenario.persistence.save.clone();
        }
        Some(p)
    } else {
        None
    };
    let label = match t.get("label") {
        Some(lf) => lf.str()?.to_string(),
        None => {
            let mut l = policy.name().to_string();
            if let Some(s) = samples {
                l.push_str(&format!(", {s} samples"));
            }
            if store_bytes.is_some() {
                l = format!("split: store + {l} cache");
            }
            if let Some(p) = &persistence {
                l.push_str(&format!(", {}", p.describe()));
            }
            l
        }
    };
    Ok(Variant {
        label,
        policy,
        samples,
        store_bytes,
        persistence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[instance]
maxmemory = "4kb"
memory_model = "raw"
[run]
duration = "1m"
seed = 1
[[class]]
name = "pages"
kind = "cache"
key = "cache:{id}"
keys = 10
reads_per_sec = 1
value = { dist = "fixed", bytes = 300 }
"#;

    #[test]
    fn reads_variants_given_as_names_or_tables() {
        let text = format!(
            "{BASE}\n[lesson]\ntitle = \"t\"\nintro = \"i\"\nmoral = \"m\"\ncompare = [\"allkeys-lru\", {{ policy = \"allkeys-lru\", maxmemory_samples = 10 }}]\nnames = {{ pages = [\"cache:/home\"] }}\n"
        );
        let l = Lesson::from_str(&text, "x.toml").unwrap();
        assert_eq!(l.variants.len(), 2);
        assert_eq!(l.variants[1].label, "allkeys-lru, 10 samples");
        assert_eq!(l.names[0], ["cache:/home"]);
        // The same file is a scenario too.
        assert!(Scenario::from_str(&text, "x.toml").is_ok());
        assert!(Lesson::is_lesson(&text));
    }

    #[test]
    fn a_mistake_in_the_lesson_names_its_line_and_field() {
        let text = format!(
            "{BASE}\n[lesson]\ntitle = \"t\"\nintro = \"i\"\nmoral = \"m\"\ncompare = [\"allkeys-lur\"]\n"
        );
        let e = Lesson::from_str(&text, "x.toml").unwrap_err().to_string();
        assert!(
            e.contains("x.toml:") && e.contains("lesson.compare[0]"),
            "{e}"
        );
        let text = format!("{BASE}\n[lesson]\ntitel = \"t\"\n");
        let e = Lesson::from_str(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("did you mean `title`"), "{e}");
    }
}
