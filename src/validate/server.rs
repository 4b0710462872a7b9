//! The real redis-server a validation talks to: either one started here on
//! 127.0.0.1 on a free port (no persistence, the scenario's settings on its
//! command line, killed when dropped, also on an error or a panic), or an
//! existing one given by URL, which is flushed and reconfigured.

use crate::model::{Allocator, InstanceConfig, Layout, PolicyKind, Server};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started server gets to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one reply may take before the server is declared unresponsive.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the real Redis comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Start a fresh redis-server from this executable for every run.
    Spawn(PathBuf),
    /// Use the server at this URL (`redis://host:port`): it is flushed
    /// (`FLUSHALL`) and reconfigured (`CONFIG SET`) before every run.
    Url(String),
}

impl Target {
    /// What was tried, for messages: the executable's path or the URL.
    pub fn describe(&self) -> String {
        match self {
            Target::Spawn(p) => format!("redis-server '{}'", p.display()),
            Target::Url(u) => u.clone(),
        }
    }
}

/// Why no usable server could be had, or why it stopped answering.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The executable could not be started (missing, not executable).
    #[error("cannot start redis-server '{path}': {reason} (is redis-server installed? apt-get install redis-server)")]
    Spawn {
        /// The executable tried.
        path: String,
        /// Why the operating system refused.
        reason: std::io::Error,
    },
    /// The server exited before it accepted connections.
    #[error("redis-server '{path}' exited before accepting connections ({status}){log}")]
    Exited {
        /// The executable.
        path: String,
        /// Its exit status.
        status: String,
        /// The end of its log, if it wrote one.
        log: String,
    },
    /// The server did not accept connections in time.
    #[error(
        "redis-server '{path}' did not accept connections on 127.0.0.1:{port} within {secs} s"
    )]
    Timeout {
        /// The executable.
        path: String,
        /// The port it was told to listen on.
        port: u16,
        /// The time it was given.
        secs: u64,
    },
    /// No connection could be opened.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The server's URL.
        url: String,
        /// The client's error.
        reason: redis::RedisError,
    },
    /// A command failed or the connection broke.
    #[error("{url}: {what}: {reason}")]
    Command {
        /// The server's URL.
        url: String,
        /// What was being done.
        what: String,
        /// The client's error.
        reason: redis::RedisError,
    },
    /// The server has fewer databases than the scenario uses (`databases`
    /// cannot be changed at run time).
    #[error("{url} has {have} databases, but the scenario needs {need} (start it with --databases {need})")]
    Databases {
        /// The server's URL.
        url: String,
        /// Databases the server has.
        have: u64,
        /// Databases the scenario needs.
        need: u64,
    },
    /// A reply was not what the command returns.
    #[error("{url}: unexpected reply to {what}")]
    Reply {
        /// The server's URL.
        url: String,
        /// The command.
        what: String,
    },
}

/// The settings a validated server runs with: the scenario's instance and
/// one policy, as `redis.conf` names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// Settings as (name, value) pairs, in the order they are applied.
    pub config: Vec<(&'static str, String)>,
    /// The `databases` setting (only settable at start).
    pub databases: u64,
}

impl ServerSettings {
    /// The settings mirroring `cfg` under `policy`, with evicted-key events
    /// published (`notify-keyspace-events Ee`).
    pub fn for_instance(cfg: &InstanceConfig, policy: PolicyKind) -> Self {
        ServerSettings {
            config: vec![
                ("maxmemory-policy", policy.name().to_string()),
                ("maxmemory-samples", cfg.samples.to_string()),
                ("lfu-log-factor", cfg.lfu_log_factor.to_string()),
                ("lfu-decay-time", cfg.lfu_decay_time.to_string()),
                ("hz", cfg.hz.to_string()),
                ("dynamic-hz", "no".to_string()),
                ("active-expire-effort", cfg.active_expire_effort.to_string()),
                ("notify-keyspace-events", "Ee".to_string()),
                ("maxmemory", cfg.maxmemory.to_string()),
            ],
            databases: u64::from(cfg.databases),
        }
    }

    /// A server with Redis's defaults and no memory limit.
    pub fn plain() -> Self {
        ServerSettings {
            config: vec![("maxmemory", "0".to_string())],
            databases: 16,
        }
    }
}

/// A redis-server process started here, killed (and its scratch directory
/// removed) when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    path: PathBuf,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts `path` on 127.0.0.1 on a free port with no persistence and
    /// `settings`, and waits until it accepts connections.
    pub fn spawn(path: &Path, settings: &ServerSettings) -> Result<RedisServer, ServerError> {
        let mut last = None;
        // A port found free can be taken before the server binds it: retry.
        for _ in 0..3 {
            match Self::try_spawn(path, settings) {
                Err(ServerError::Exited { log, .. }) if log.contains("Address already in use") => {
                    last = Some(log);
                }
                r => return r,
            }
        }
        Err(ServerError::Exited {
            path: path.display().to_string(),
            status: "no free port".into(),
            log: last.unwrap_or_default(),
        })
    }

    fn try_spawn(path: &Path, settings: &ServerSettings) -> Result<RedisServer, ServerError> {
        let shown = path.display().to_string();
        let spawn_err = |source| ServerError::Spawn {
            path: shown.clone(),
            reason: source,
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(spawn_err)?
            .port();
        let dir = scratch_dir(port).map_err(spawn_err)?;
        let log = dir.join("redis.log");
        let mut args: Vec<String> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--save".into(),
            String::new(),
            "--appendonly".into(),
            "no".into(),
            "--daemonize".into(),
            "no".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--logfile".into(),
            log.display().to_string(),
            "--databases".into(),
            settings.databases.to_string(),
        ];
        for (name, value) in &settings.config {
            args.push(format!("--{name}"));
            args.push(value.clone());
        }
        let child = match Command::new(path)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(spawn_err(e));
            }
        };
        let mut server = RedisServer {
            child,
            port,
            path: path.to_path_buf(),
            dir,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(ServerError::Exited {
                    path: shown,
                    status: status.to_string(),
                    log: server.log_tail(),
                });
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(ServerError::Timeout {
            path: shown,
            port,
            secs: START_TIMEOUT.as_secs(),
        })
    }

    /// The URL to connect to it.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The executable it was started from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last lines of its log, prefixed for an error message; empty when
    /// there is none.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = &lines[lines.len().saturating_sub(4)..];
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {}", tail.join(" | "))
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory for a server's log (and any file it might write).
fn scratch_dir(port: u16) -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "evictsim-redis-{}-{port}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A server ready for a run: the client to open connections with, what it
/// is, and the process when it was started here (killed on drop).
pub struct Session {
    /// Opens connections.
    pub client: redis::Client,
    /// The URL connections go to.
    pub url: String,
    /// What was started or reached, for reports: the executable or the URL,
    /// and the server's version.
    pub describe: String,
    /// The release from INFO: `redis_version`, or for Valkey its
    /// `valkey_version` (its `redis_version` is a fixed 7.2.4).
    pub version: String,
    /// `server_name` from INFO (`valkey`), if the server reports one.
    pub server_name: Option<String>,
    /// `mem_allocator` from INFO (`jemalloc-5.3.0`, `libc`).
    pub mem_allocator: String,
    _server: Option<RedisServer>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("url", &self.url)
            .field("describe", &self.describe)
            .finish()
    }
}

impl Session {
    /// A new connection, with a read timeout so a hung server is an error.
    pub fn connect(&self) -> Result<redis::Connection, ServerError> {
        let con = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|source| ServerError::Connect {
                url: self.url.clone(),
                reason: source,
            })?;
        con.set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|source| self.command_error("setting a read timeout", source))?;
        Ok(con)
    }

    /// An error of a command sent to this server.
    pub fn command_error(&self, what: &str, source: redis::RedisError) -> ServerError {
        ServerError::Command {
            url: self.url.clone(),
            what: what.to_string(),
            reason: source,
        }
    }

    /// Runs one command whose reply does not matter beyond success.
    pub fn run(&self, con: &mut redis::Connection, args: &[&str]) -> Result<(), ServerError> {
        let mut c = redis::cmd(args[0]);
        for a in &args[1..] {
            c.arg(*a);
        }
        c.query::<redis::Value>(con)
            .map(|_| ())
            .map_err(|e| self.command_error(&args.join(" "), e))
    }

    /// `INFO section...` as text (sections separated by spaces).
    pub fn info(&self, con: &mut redis::Connection, section: &str) -> Result<String, ServerError> {
        let mut cmd = redis::cmd("INFO");
        for s in section.split_whitespace() {
            cmd.arg(s);
        }
        cmd.query::<String>(con)
            .map_err(|e| self.command_error(&format!("INFO {section}"), e))
    }

    /// Waits (up to a second) until the server counts `n` connected
    /// clients, so connections closed just before are no longer counted in
    /// its memory.
    pub fn settle_clients(&self, con: &mut redis::Connection, n: u64) -> Result<(), ServerError> {
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.info_u64(con, "clients", "connected_clients")? > n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// One numeric field of `INFO section`.
    pub fn info_u64(
        &self,
        con: &mut redis::Connection,
        section: &str,
        field: &str,
    ) -> Result<u64, ServerError> {
        let text = self.info(con, section)?;
        info_field(&text, field).ok_or_else(|| ServerError::Reply {
            url: self.url.clone(),
            what: format!("INFO {section} (no numeric field {field})"),
        })
    }
}

/// A numeric field of INFO's text (`name:value` lines).
pub fn info_field(text: &str, field: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        (name == field).then(|| value.trim().parse().ok())?
    })
}

/// A field of INFO's text as a string.
pub fn info_text<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        (name == field).then(|| value.trim())
    })
}

/// Gets a server ready: starts one with `settings`, or flushes and
/// reconfigures the one at the URL.
pub fn open(target: &Target, settings: &ServerSettings) -> Result<Session, ServerError> {
    let (url, server) = match target {
        Target::Spawn(path) => {
            let s = RedisServer::spawn(path, settings)?;
            (s.url(), Some(s))
        }
        Target::Url(u) => (u.clone(), None),
    };
    let client = redis::Client::open(url.as_str()).map_err(|source| ServerError::Connect {
        url: url.clone(),
        reason: source,
    })?;
    let mut session = Session {
        client,
        url: url.clone(),
        describe: target.describe(),
        version: String::new(),
        server_name: None,
        mem_allocator: String::new(),
        _server: server,
    };
    let mut con = session.connect()?;
    if let Target::Url(_) = target {
        reconfigure(&session, &mut con, settings)?;
    }
    let info = session.info(&mut con, "server")?;
    session.server_name = info_text(&info, "server_name").map(str::to_string);
    let version = match session.server_name.as_deref() {
        Some(name) if name.eq_ignore_ascii_case("valkey") => info_text(&info, "valkey_version"),
        _ => None,
    };
    session.version = version
        .or_else(|| info_text(&info, "redis_version"))
        .unwrap_or("unknown")
        .to_string();
    let memory = session.info(&mut con, "memory")?;
    session.mem_allocator = info_text(&memory, "mem_allocator")
        .unwrap_or("unknown")
        .to_string();
    session.describe = format!(
        "{} ({} {}, {})",
        session.describe,
        session.product(),
        session.version,
        session.mem_allocator
    );
    Ok(session)
}

impl Session {
    /// `Valkey` or `Redis`, as INFO says.
    pub fn product(&self) -> &'static str {
        match self.server_name.as_deref() {
            Some(n) if n.eq_ignore_ascii_case("valkey") => "Valkey",
            _ => "Redis",
        }
    }

    /// The model that follows this server (its release and allocator from
    /// INFO), or `None` for a release evictsim has no model of.
    pub fn model(&self) -> Option<Layout> {
        let server = Server::from_info(self.server_name.as_deref(), &self.version)?;
        let allocator =
            Allocator::from_info(&self.mem_allocator).unwrap_or(server.default_allocator());
        Some(Layout::new(server, allocator))
    }

    /// The model to compare this server with: its own, or Redis 7.0's when
    /// none follows it; and the sentence that says which.
    pub fn model_or_default(&self) -> (Layout, String) {
        match self.model() {
            Some(l) => (
                l,
                format!(
                    "model: {} with {} (from INFO: {} {}, mem_allocator {})",
                    l.server.name(),
                    l.allocator.name(),
                    self.product(),
                    self.version,
                    self.mem_allocator
                ),
            ),
            None => (
                Layout::default(),
                format!(
                    "model: redis-7.0 with jemalloc (no model follows {} {}; the nearest is used)",
                    self.product(),
                    self.version
                ),
            ),
        }
    }
}

/// Empties a running server and applies `settings` to it.
fn reconfigure(
    s: &Session,
    con: &mut redis::Connection,
    settings: &ServerSettings,
) -> Result<(), ServerError> {
    // No limit while flushing, so nothing is evicted or refused meanwhile.
    s.run(con, &["CONFIG", "SET", "maxmemory", "0"])?;
    s.run(con, &["FLUSHALL", "SYNC"])?;
    let dbs: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("databases")
        .query(con)
        .map_err(|e| s.command_error("CONFIG GET databases", e))?;
    let have = dbs.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    if have < settings.databases {
        return Err(ServerError::Databases {
            url: s.url.clone(),
            have,
            need: settings.databases,
        });
    }
    for (name, value) in &settings.config {
        let r = s.run(con, &["CONFIG", "SET", name, value]);
        // Valkey 8.1 takes `dynamic-hz` on its command line but refuses it
        // in CONFIG SET. It only raises hz with hundreds of clients, and a
        // validation runs one or two: left as the server has it.
        if *name != "dynamic-hz" {
            r?;
        }
    }
    s.run(con, &["CONFIG", "RESETSTAT"])?;
    Ok(())
}
