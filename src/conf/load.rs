//! Reading the files: lines, comments, directives by kind, `include` in
//! place (relative to the directory redis-server runs in, wildcards, loops
//! refused) and `dir`, which moves that directory for later includes.

use std::path::{Path, PathBuf};

use super::args::split_args;
use super::names::{self, DEPRECATED, SPECIAL};
use super::settings::Settings;
use super::{ConfError, Directive, DirectiveKind, Origin, RedisConf, Warning, REWRITE_SIGNATURE};

/// Includes nested deeper than this are refused (a loop through paths
/// that do not canonicalize alike would otherwise never end).
const MAX_INCLUDE_DEPTH: usize = 32;

/// How to read a config file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The directory redis-server would be started in, against which it
    /// resolves a relative `include` (until a `dir` directive moves it).
    /// Default (`None`): the current directory.
    pub cwd: Option<PathBuf>,
}

/// Reads the config file at `path` and everything it includes.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<RedisConf, ConfError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|reason| ConfError::Read {
        file: shown.clone(),
        reason,
    })?;
    let mut l = Loader::new(opts);
    l.push_file(path, &shown);
    l.text(&bytes, &shown)?;
    l.finish(shown)
}

/// Reads a config from `text`; `name` stands for its file in messages.
/// Its includes are read from disk as [`load`] reads them.
pub fn load_str(text: &str, name: &str, opts: &LoadOptions) -> Result<RedisConf, ConfError> {
    let mut l = Loader::new(opts);
    l.files.push(name.to_string());
    l.text(text.as_bytes(), name)?;
    l.finish(name.to_string())
}

struct Loader {
    /// Where relative includes resolve now (`None`: the current directory).
    cwd: Option<PathBuf>,
    /// The files being read, outermost first: (canonical path, as shown).
    stack: Vec<(PathBuf, String)>,
    files: Vec<String>,
    directives: Vec<Directive>,
    warnings: Vec<Warning>,
    rewrite_block: Option<Origin>,
    settings: Settings,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `line` without leading and trailing spaces, tabs, CR and LF (`sdstrim`).
fn trim(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

impl Loader {
    fn new(opts: &LoadOptions) -> Loader {
        Loader {
            cwd: opts.cwd.clone(),
            stack: Vec::new(),
            files: Vec::new(),
            directives: Vec::new(),
            warnings: Vec::new(),
            rewrite_block: None,
            settings: Settings::default(),
        }
    }

    fn push_file(&mut self, path: &Path, shown: &str) {
        let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.stack.push((canon, shown.to_string()));
        self.files.push(shown.to_string());
    }

    fn warn(&mut self, origin: Option<&Origin>, message: impl Into<String>) {
        self.warnings.push(Warning {
            origin: origin.cloned(),
            message: message.into(),
        });
    }

    fn finish(mut self, path: String) -> Result<RedisConf, ConfError> {
        let max = &self.settings.maxmemory;
        if max.value > 0 && max.value < 1 << 20 {
            let (v, at) = (max.value, max.origin.clone());
            self.warn(
                at.as_ref(),
                format!(
                    "maxmemory {v} bytes is less than 1MB: redis-server asks at start whether \
                     this is what you really want"
                ),
            );
        }
        Ok(RedisConf {
            path,
            files: self.files,
            directives: self.directives,
            settings: self.settings,
            rewrite_block: self.rewrite_block,
            warnings: self.warnings,
        })
    }

    /// Reads the text of one file, line by line.
    fn text(&mut self, mut bytes: &[u8], file: &str) -> Result<(), ConfError> {
        // A byte-order mark (Notepad, "UTF-8 with BOM"): the person meant
        // the directive after it, but redis-server reads it as part of the
        // name and refuses the file; read it as meant, and say so.
        if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
            bytes = rest;
            let origin = Origin {
                file: file.to_string(),
                line: 1,
            };
            self.warn(
                Some(&origin),
                "a UTF-8 byte-order mark before the first directive: read as if absent, but \
                 redis-server 7.0 takes it as part of the name and refuses to start ('Bad \
                 directive'); save the file without it",
            );
        }
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let origin = Origin {
                file: file.to_string(),
                line: i + 1,
            };
            let raw = match raw.iter().position(|&b| b == 0) {
                Some(nul) => {
                    self.warn(
                        Some(&origin),
                        "a NUL byte: redis-server ignores the rest of this line",
                    );
                    &raw[..nul]
                }
                None => raw,
            };
            let line = trim(raw);
            if line.is_empty() {
                continue;
            }
            if line[0] == b'#' {
                self.comment(line, &origin);
                continue;
            }
            let argv = split_args(line).map_err(|e| ConfError::at(&origin, e.to_string()))?;
            if argv.is_empty() {
                continue;
            }
            self.directive(argv, origin)?;
        }
        Ok(())
    }

    fn comment(&mut self, line: &[u8], origin: &Origin) {
        if line == REWRITE_SIGNATURE.as_bytes() {
            if self.rewrite_block.is_none() {
                self.rewrite_block = Some(origin.clone());
            }
        } else if let Some(rest) = line.strip_prefix(b"# ??? ") {
            self.warn(
                Some(origin),
                format!(
                    "CONFIG REWRITE could not parse '{}' and commented it out: it has no effect",
                    lossy(rest)
                ),
            );
        }
    }

    /// One directive: checked as Redis 7.0 checks it, then kept.
    fn directive(&mut self, mut argv: Vec<Vec<u8>>, origin: Origin) -> Result<(), ConfError> {
        let written = lossy(&argv[0]);
        let name = written.to_ascii_lowercase();
        let given = argv.len() - 1;
        let (name, kind) = if let Some(known) = names::lookup(&name) {
            if !known.multi && given != 1 {
                return Err(ConfError::at(
                    &origin,
                    format!(
                        "{name} takes one argument, not {given}: Redis 7.0 stops at \
                         'wrong number of arguments'"
                    ),
                ));
            }
            if known.multi && given == 1 && !argv[1].is_empty() {
                // `save "900 1 300 10"`: the one argument is split again.
                let inner = split_args(&argv[1])
                    .map_err(|e| ConfError::at(&origin, format!("{name}'s argument: {e}")))?;
                argv.truncate(1);
                argv.extend(inner);
            }
            if known.name == "dir" {
                // Redis changes directory at once: later relative includes
                // resolve from here.
                let to = PathBuf::from(lossy(&argv[1]));
                self.cwd = Some(match &self.cwd {
                    Some(c) => c.join(to),
                    None => to,
                });
            }
            (known.name.to_string(), DirectiveKind::Config)
        } else if let Some(&(_, min, max)) = SPECIAL.iter().find(|(n, ..)| *n == name) {
            if given < min || max.is_some_and(|m| given > m) {
                let want = match (min, max) {
                    (a, Some(b)) if a == b => format!("{a}"),
                    (a, _) => format!("at least {a}"),
                };
                return Err(ConfError::at(
                    &origin,
                    format!(
                        "{name} takes {want} argument{}, not {given}: Redis 7.0 stops at \
                         'Bad directive or wrong number of arguments'",
                        if want == "1" { "" } else { "s" }
                    ),
                ));
            }
            let kind = match name.as_str() {
                "include" => DirectiveKind::Include,
                "rename-command" => DirectiveKind::RenameCommand,
                "user" => DirectiveKind::User,
                "loadmodule" => DirectiveKind::LoadModule,
                _ => {
                    if given > 0 {
                        self.warn(
                            Some(&origin),
                            "a Sentinel directive: redis-server refuses it unless started \
                             as a Sentinel (this looks like a Sentinel's config)",
                        );
                    }
                    DirectiveKind::Sentinel
                }
            };
            (name, kind)
        } else if DEPRECATED.contains(&name.as_str()) && given == 1 {
            self.warn(
                Some(&origin),
                format!("{name} is deprecated: Redis 7.0 ignores it"),
            );
            (name, DirectiveKind::Deprecated)
        } else if name.contains('.') {
            if given == 0 {
                return Err(ConfError::at(
                    &origin,
                    format!("module setting {name} has no value: Redis 7.0 stops here"),
                ));
            }
            (name, DirectiveKind::ModuleConfig)
        } else {
            let hint = names::closest(&name)
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            self.warn(
                Some(&origin),
                format!(
                    "unknown directive '{written}'{hint}: kept, but redis-server 7.0 refuses \
                     to start with it ('Bad directive or wrong number of arguments')"
                ),
            );
            (name, DirectiveKind::Unknown)
        };
        let include = (kind == DirectiveKind::Include).then(|| argv[1].clone());
        let d = Directive {
            name,
            args: argv[1..].iter().map(|a| lossy(a)).collect(),
            kind,
            origin: origin.clone(),
        };
        self.settings.apply(&d, &mut self.warnings)?;
        self.directives.push(d);
        match include {
            Some(arg) => self.include(&arg, &origin),
            None => Ok(()),
        }
    }

    /// Where `arg` points from the directory redis-server runs in.
    fn resolve(&self, arg: &Path) -> PathBuf {
        match &self.cwd {
            Some(c) => c.join(arg),
            None => arg.to_path_buf(),
        }
    }

    fn include(&mut self, arg: &[u8], at: &Origin) -> Result<(), ConfError> {
        let arg_text = lossy(arg);
        let arg_path = path_of(arg);
        let target = self.resolve(&arg_path);
        if arg.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            let matches = glob(&target);
            if matches.is_empty() {
                self.warn(
                    Some(at),
                    format!("include {arg_text}: no file matches; Redis skips it"),
                );
            }
            let last = matches.len().saturating_sub(1);
            for (i, m) in matches.iter().enumerate() {
                let shown = m.display().to_string();
                let bytes = self.open(m, &shown, &arg_text, at)?;
                if i < last && !bytes.is_empty() && !bytes.ends_with(b"\n") {
                    self.warn(
                        None,
                        format!(
                            "{shown} does not end with a newline: redis-server reads the files \
                             {arg_text} matches as one text, so its last line runs into the \
                             next file's first"
                        ),
                    );
                }
                self.nested(m, &shown, &bytes, at)?;
            }
            return Ok(());
        }
        let shown = target.display().to_string();
        let bytes = self.open(&target, &shown, &arg_text, at)?;
        self.nested(&target, &shown, &bytes, at)
    }

    /// Reads an included file, or says why it cannot be read.
    fn open(&self, path: &Path, shown: &str, arg: &str, at: &Origin) -> Result<Vec<u8>, ConfError> {
        std::fs::read(path).map_err(|e| {
            let mut reason = format!("include {arg}: cannot open {shown}: {e}");
            if !Path::new(arg).is_absolute() {
                let beside = Path::new(&at.file)
                    .parent()
                    .map(|d| d.join(arg))
                    .filter(|p| p.is_file());
                let from = match &self.cwd {
                    Some(c) => c.display().to_string(),
                    None => "the current directory".to_string(),
                };
                reason += &format!(
                    " (a relative include is resolved against the directory redis-server runs \
                     in, here {from}, not the including file's"
                );
                if let Some(b) = beside {
                    reason += &format!("; there is a {} beside it", b.display());
                }
                reason.push(')');
            }
            ConfError::at(at, reason)
        })
    }

    /// Reads an included file's text in place, refusing loops.
    fn nested(
        &mut self,
        path: &Path,
        shown: &str,
        bytes: &[u8],
        at: &Origin,
    ) -> Result<(), ConfError> {
        let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = self.stack.iter().position(|(c, _)| *c == canon) {
            let chain: Vec<&str> = self.stack[i..]
                .iter()
                .map(|(_, s)| s.as_str())
                .chain(std::iter::once(shown))
                .collect();
            return Err(ConfError::at(
                at,
                format!(
                    "include loop: {} (redis-server would include forever and crash)",
                    chain.join(" includes ")
                ),
            ));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(ConfError::at(
                at,
                format!("includes nested more than {MAX_INCLUDE_DEPTH} deep"),
            ));
        }
        self.push_file(path, shown);
        let r = self.text(bytes, shown);
        self.stack.pop();
        r
    }
}

/// A path from an argument's bytes.
fn path_of(arg: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(arg))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(lossy(arg))
    }
}

/// The files a wildcard path matches, in byte order, as glob(3) finds
/// them: wildcards match within one path component, and a name starting
/// with `.` only when the pattern's component does too.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    use std::path::Component;
    let mut found: Vec<PathBuf> = vec![PathBuf::new()];
    for comp in pattern.components() {
        let part = comp.as_os_str();
        let text = part.to_string_lossy();
        let wild = matches!(comp, Component::Normal(_)) && text.contains(['*', '?', '[']);
        if !wild {
            for p in &mut found {
                p.push(part);
            }
            continue;
        }
        let Ok(m) = globset::GlobBuilder::new(&text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
        else {
            return Vec::new();
        };
        let m = m.compile_matcher();
        let mut next = Vec::new();
        for dir in &found {
            let list = if dir.as_os_str().is_empty() {
                Path::new(".").read_dir()
            } else {
                dir.read_dir()
            };
            let Ok(entries) = list else { continue };
            for e in entries.flatten() {
                let name = e.file_name();
                let hidden = name.to_string_lossy().starts_with('.');
                if (hidden && !text.starts_with('.')) || !m.is_match(&name) {
                    continue;
                }
                next.push(dir.join(name));
            }
        }
        found = next;
    }
    found.retain(|p| p.is_file());
    found.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_takes_what_sdstrim_takes() {
        assert_eq!(trim(b" \t x y \r\n"), b"x y");
        assert_eq!(trim(b" \t\r"), b"");
        assert_eq!(trim(b"\x0bx"), b"\x0bx");
    }

    #[test]
    fn wildcards_match_alphabetically_and_skip_hidden_files() {
        let d = tempfile::tempdir().unwrap();
        for f in ["b.conf", "a.conf", ".h.conf", "c.txt"] {
            std::fs::write(d.path().join(f), "").unwrap();
        }
        std::fs::create_dir(d.path().join("x.conf")).unwrap();
        let got = glob(&d.path().join("*.conf"));
        let names: Vec<String> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.conf", "b.conf"]);
        assert_eq!(glob(&d.path().join(".*.conf")).len(), 1);
        assert!(glob(&d.path().join("none/*.conf")).is_empty());
    }
}
