//! A real redis-server for tests: started on 127.0.0.1 on a free port with
//! no persistence, stopped when dropped, and a minimal RESP client.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a missing redis-server must fail the test (in CI) rather than
/// skip it.
pub fn required() -> bool {
    std::env::var_os("CI").is_some()
}

/// Path of redis-server, if installed.
pub fn find_server() -> Option<String> {
    for p in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] {
        if std::path::Path::new(p).exists() {
            return Some(p.to_string());
        }
    }
    None
}

/// A running server.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts redis-server with extra `--name value` settings, or returns
    /// None (and says why) when it is not installed outside CI.
    pub fn start(extra: &[&str]) -> Option<Server> {
        let defaults = ["--save", "", "--appendonly", "no"];
        let mut args: Vec<&str> = defaults.to_vec();
        args.extend_from_slice(extra);
        Server::launch(None, None, &args)
    }

    /// Starts redis-server from the config file `conf`, overriding only its
    /// address, port and working directory (`dir`), or returns None as
    /// [`Server::start`] does.
    pub fn start_with_config(conf: &str, dir: &str) -> Option<Server> {
        Server::launch(Some(conf), None, &["--dir", dir])
    }

    /// As [`Server::start_with_config`], with the server started in `cwd`
    /// (where it resolves a relative `include`).
    pub fn start_with_config_in(conf: &str, dir: &str, cwd: &std::path::Path) -> Option<Server> {
        Server::launch(Some(conf), Some(cwd), &["--dir", dir])
    }

    /// Starts redis-server with exactly `extra` (no persistence defaults),
    /// or returns None as [`Server::start`] does.
    pub fn start_raw(extra: &[&str]) -> Option<Server> {
        Server::launch(None, None, extra)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server with SIGKILL and waits for it: a crash.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn launch(conf: Option<&str>, cwd: Option<&std::path::Path>, extra: &[&str]) -> Option<Server> {
        let Some(bin) = find_server() else {
            assert!(!required(), "redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)");
            eprintln!("SKIPPED: redis-server not installed (apt-get install -y redis-server)");
            return None;
        };
        // A free port can be taken by another test's server between the
        // probe and the start: retry until the server answering is ours.
        for _ in 0..10 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut args: Vec<String> = conf.map(String::from).into_iter().collect();
            args.extend([
                "--bind".into(),
                "127.0.0.1".into(),
                "--port".into(),
                port.to_string(),
                "--daemonize".into(),
                "no".into(),
            ]);
            args.extend(extra.iter().map(|s| s.to_string()));
            let mut cmd = Command::new(&bin);
            if let Some(d) = cwd {
                cmd.current_dir(d);
            }
            let child = cmd
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let mut server = Server { child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // exited: the port was taken
                }
                // Any failure here (refused, reset by a server that was
                // shutting down) just means "not yet": poll again.
                if let Some(pid) = server_pid(port) {
                    if pid == server.child.id() as u64 {
                        return Some(server);
                    }
                    break; // someone else's server
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start redis-server on a free port");
    }

    /// A new client connection.
    pub fn client(&self) -> Client {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Client {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        }
    }
}

/// The `process_id` of the server answering on `port`, or None on any
/// error.
fn server_pid(port: u16) -> Option<u64> {
    let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut w = s.try_clone().ok()?;
    w.write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n").ok()?;
    let mut r = BufReader::new(s);
    let mut head = String::new();
    r.read_line(&mut head).ok()?;
    let n: usize = head.trim_end().strip_prefix('$')?.parse().ok()?;
    let mut body = vec![0; n + 2];
    r.read_exact(&mut body).ok()?;
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|v| v.trim().parse().ok())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

/// A blocking RESP client.
pub struct Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

/// Encodes one command.
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Client {
    /// Sends encoded commands and reads `n` replies.
    pub fn pipeline(&mut self, encoded: &[u8], n: usize) -> Vec<Reply> {
        self.w.write_all(encoded).unwrap();
        (0..n).map(|_| self.read()).collect()
    }

    /// Runs one command.
    pub fn cmd(&mut self, args: &[&str]) -> Reply {
        let mut buf = Vec::new();
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        encode(&a, &mut buf);
        self.pipeline(&buf, 1).remove(0)
    }

    /// A field of `INFO`.
    pub fn info_field(&mut self, field: &str) -> u64 {
        let Reply::Bulk(Some(b)) = self.cmd(&["INFO", "all"]) else {
            panic!("INFO failed")
        };
        let text = String::from_utf8_lossy(&b).to_string();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in INFO"))
            .trim()
            .parse()
            .unwrap()
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap();
        l.trim_end_matches("\r\n").to_string()
    }

    fn read(&mut self) -> Reply {
        let l = self.line();
        let (t, rest) = l.split_at(1);
        match t {
            "+" => Reply::Status(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut b = vec![0; n as usize + 2];
                self.r.read_exact(&mut b).unwrap();
                b.truncate(n as usize);
                Reply::Bulk(Some(b))
            }
            "*" => {
                let n: i64 = rest.parse().unwrap();
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            _ => panic!("bad reply line {l:?}"),
        }
    }
}

/// A target that starts a fresh redis-server through the library
/// (`evictsim::validate::Target`), or `None` (having said why) when it is not
/// installed outside CI.
pub fn spawn_target() -> Option<evictsim::validate::Target> {
    let Some(bin) = find_server() else {
        assert!(
            !required(),
            "redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)"
        );
        eprintln!("SKIPPED: redis-server not installed (apt-get install -y redis-server)");
        return None;
    };
    Some(evictsim::validate::Target::Spawn(std::path::PathBuf::from(
        bin,
    )))
}

/// Kills and reaps a child process when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `cond` every 20 ms for up to 15 s; panics naming `what` after.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// `redis-cli monitor` capturing a server's commands into a file.
pub struct Monitor {
    _child: ChildGuard,
    path: std::path::PathBuf,
}

impl Monitor {
    /// Starts capturing `server` into `path` and waits until the capture
    /// shows a PING; `None` (having said why) when redis-cli is missing
    /// outside CI.
    pub fn start(server: &Server, path: &std::path::Path) -> Option<Monitor> {
        let Some(cli) = find_server()
            .map(|s| std::path::Path::new(&s).with_file_name("redis-cli"))
            .filter(|p| p.exists())
        else {
            assert!(!required(), "redis-cli is missing beside redis-server");
            eprintln!("SKIPPED: redis-cli not installed");
            return None;
        };
        let child = Command::new(cli)
            .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "monitor"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(path).expect("capture file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli starts");
        let m = Monitor {
            _child: ChildGuard(child),
            path: path.to_path_buf(),
        };
        let mut c = server.client();
        wait_for("MONITOR to start", || {
            c.cmd(&["PING"]);
            m.captured().contains("\"PING\"")
        });
        Some(m)
    }

    fn captured(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap_or_default()
    }

    /// Marks the end through `client` and stops once the capture holds
    /// everything sent before it.
    pub fn finish(self, client: &mut Client) {
        client.cmd(&["ECHO", "evictsim-end"]);
        wait_for("the capture to end", || {
            self.captured().contains("evictsim-end")
        });
    }
}
