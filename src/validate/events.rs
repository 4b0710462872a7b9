//! Evictions as the real server reports them: a thread subscribed to
//! `__keyevent@*__:evicted` (published when `notify-keyspace-events`
//! holds `Ee`) that forwards each evicted key name with its database.
//!
//! Events arrive on their own connection, so they are not ordered with the
//! replies the replaying connection reads. A barrier puts them in order
//! where it matters: the replayer publishes a marker on [`BARRIER`], and
//! every eviction that happened before that command is forwarded before
//! the marker is.

use super::resp::{arg, header};
use super::server::{ServerError, Session};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The channel the replayer publishes barrier markers on.
pub(super) const BARRIER: &str = "evictsim:barrier";
/// The marker payload that also ends the thread.
const STOP: &str = "stop";

/// What the subscriber saw.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// A key evicted from a database.
    Evicted {
        /// The database.
        db: u8,
        /// The key's name.
        key: Vec<u8>,
    },
    /// A barrier marker with its payload.
    Barrier(String),
    /// The subscription failed or the connection broke.
    Failed(String),
}

/// The subscriber thread and the events it forwards.
pub(super) struct EvictionEvents {
    rx: Receiver<Event>,
    handle: Option<JoinHandle<()>>,
}

impl EvictionEvents {
    /// Opens a connection, subscribes, and returns once the subscription
    /// is active (so no eviction after this call is missed).
    pub(super) fn start(session: &Session) -> Result<EvictionEvents, ServerError> {
        let fail = |what: String, e: std::io::Error| ServerError::Command {
            url: session.url.clone(),
            what,
            reason: redis::RedisError::from(e),
        };
        let stream = raw_connection(session)?;
        let mut writer = stream
            .try_clone()
            .map_err(|e| fail("opening the event connection".into(), e))?;
        let mut reader = BufReader::new(stream);
        let mut cmd = Vec::new();
        header(&mut cmd, 2);
        arg(&mut cmd, b"PSUBSCRIBE");
        arg(&mut cmd, b"__keyevent@*__:evicted");
        header(&mut cmd, 2);
        arg(&mut cmd, b"SUBSCRIBE");
        arg(&mut cmd, BARRIER.as_bytes());
        writer
            .write_all(&cmd)
            .map_err(|e| fail("PSUBSCRIBE __keyevent@*__:evicted".into(), e))?;
        for _ in 0..2 {
            let reply = read_array(&mut reader)
                .map_err(|e| fail("PSUBSCRIBE __keyevent@*__:evicted".into(), e))?;
            if !matches!(
                reply.first().map(Vec::as_slice),
                Some(b"psubscribe" | b"subscribe")
            ) {
                return Err(ServerError::Reply {
                    url: session.url.clone(),
                    what: "PSUBSCRIBE __keyevent@*__:evicted".into(),
                });
            }
        }
        // A subscriber waits for events as long as the run lasts.
        let _ = reader.get_ref().set_read_timeout(None);
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("evicted-events".into())
            .spawn(move || loop {
                let event = match read_array(&mut reader) {
                    Ok(items) => message(&items),
                    Err(e) => Some(Event::Failed(e.to_string())),
                };
                let Some(event) = event else { continue };
                let last = matches!(&event, Event::Failed(_))
                    || matches!(&event, Event::Barrier(p) if p == STOP);
                if tx.send(event).is_err() || last {
                    return;
                }
            })
            .map_err(|e| fail("starting the event thread".into(), e))?;
        Ok(EvictionEvents {
            rx,
            handle: Some(handle),
        })
    }

    /// Every event received so far, without waiting.
    pub(super) fn drain(&self, mut f: impl FnMut(Event)) {
        while let Ok(e) = self.rx.try_recv() {
            f(e);
        }
    }

    /// Publishes a marker on `con` and hands over every event up to it;
    /// with `stop`, the thread then ends. Fails if the marker does not come
    /// back within `timeout`.
    pub(super) fn barrier(
        &mut self,
        session: &Session,
        con: &mut redis::Connection,
        payload: &str,
        timeout: Duration,
        mut f: impl FnMut(Event),
    ) -> Result<(), ServerError> {
        redis::cmd("PUBLISH")
            .arg(BARRIER)
            .arg(payload)
            .query::<i64>(con)
            .map_err(|e| session.command_error("PUBLISH (event barrier)", e))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Event::Barrier(p)) if p == payload => return Ok(()),
                Ok(e) => f(e),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(ServerError::Reply {
                        url: session.url.clone(),
                        what: format!(
                            "the event barrier '{payload}' (not received within {} s)",
                            timeout.as_secs()
                        ),
                    })
                }
            }
        }
    }

    /// Publishes the final marker, hands over every event left, and joins
    /// the thread.
    pub(super) fn finish(
        mut self,
        session: &Session,
        con: &mut redis::Connection,
        f: impl FnMut(Event),
    ) -> Result<(), ServerError> {
        self.barrier(session, con, STOP, Duration::from_secs(30), f)?;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        Ok(())
    }
}

/// A plain TCP connection to the session's server, authenticated if its
/// URL has a password. The subscriber reads messages itself: each evicted
/// key must be seen exactly once.
fn raw_connection(session: &Session) -> Result<TcpStream, ServerError> {
    let info = session.client.get_connection_info();
    let connect_err = |e: std::io::Error| ServerError::Connect {
        url: session.url.clone(),
        reason: redis::RedisError::from(e),
    };
    let redis::ConnectionAddr::Tcp(host, port) = &info.addr else {
        return Err(ServerError::Reply {
            url: session.url.clone(),
            what: "the event subscriber (only plain TCP URLs are supported)".into(),
        });
    };
    let addr = (host.as_str(), *port)
        .to_socket_addrs()
        .map_err(connect_err)?
        .next()
        .ok_or_else(|| connect_err(std::io::Error::other("no address")))?;
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).map_err(connect_err)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(connect_err)?;
    if let Some(password) = &info.redis.password {
        let mut cmd = Vec::new();
        match &info.redis.username {
            Some(user) => {
                header(&mut cmd, 3);
                arg(&mut cmd, b"AUTH");
                arg(&mut cmd, user.as_bytes());
            }
            None => {
                header(&mut cmd, 2);
                arg(&mut cmd, b"AUTH");
            }
        }
        arg(&mut cmd, password.as_bytes());
        let mut w = stream.try_clone().map_err(connect_err)?;
        w.write_all(&cmd).map_err(connect_err)?;
        let mut r = BufReader::new(stream.try_clone().map_err(connect_err)?);
        let mut line = Vec::new();
        r.read_until(b'\n', &mut line).map_err(connect_err)?;
        if !line.starts_with(b"+OK") {
            return Err(ServerError::Reply {
                url: session.url.clone(),
                what: format!("AUTH ({})", String::from_utf8_lossy(&line).trim()),
            });
        }
    }
    Ok(stream)
}

/// Reads one RESP reply that should be an array of bulk strings or
/// integers (what a subscriber receives), as byte strings.
fn read_array(r: &mut impl BufRead) -> std::io::Result<Vec<Vec<u8>>> {
    let line = read_line(r)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "unexpected reply");
    match line.first() {
        Some(b'*') => {}
        Some(b'-') => {
            return Err(std::io::Error::other(
                String::from_utf8_lossy(&line[1..]).into_owned(),
            ))
        }
        _ => return Err(bad()),
    }
    let n: usize = parse_num(&line[1..]).ok_or_else(bad)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let line = read_line(r)?;
        match line.first() {
            Some(b'$') => {
                let len: usize = parse_num(&line[1..]).ok_or_else(bad)?;
                let mut b = vec![0; len + 2];
                r.read_exact(&mut b)?;
                b.truncate(len);
                items.push(b);
            }
            Some(b':') | Some(b'+') => items.push(line[1..].to_vec()),
            _ => return Err(bad()),
        }
    }
    Ok(items)
}

/// One line without its CRLF.
fn read_line(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

fn parse_num(b: &[u8]) -> Option<usize> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The event a subscriber's message stands for, if any.
fn message(items: &[Vec<u8>]) -> Option<Event> {
    match items {
        [kind, _pattern, channel, payload] if kind == b"pmessage" => {
            parse(&String::from_utf8_lossy(channel), payload)
        }
        [kind, channel, payload] if kind == b"message" => {
            parse(&String::from_utf8_lossy(channel), payload)
        }
        _ => None,
    }
}

/// The event a pub/sub message stands for, if any.
fn parse(channel: &str, payload: &[u8]) -> Option<Event> {
    if channel == BARRIER {
        return Some(Event::Barrier(
            String::from_utf8_lossy(payload).into_owned(),
        ));
    }
    let db = channel
        .strip_prefix("__keyevent@")?
        .strip_suffix("__:evicted")?
        .parse()
        .ok()?;
    Some(Event::Evicted {
        db,
        key: payload.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_parsed() {
        assert_eq!(
            parse("__keyevent@3__:evicted", b"k:1"),
            Some(Event::Evicted {
                db: 3,
                key: b"k:1".to_vec()
            })
        );
        assert_eq!(parse(BARRIER, b"7"), Some(Event::Barrier("7".to_string())));
        assert_eq!(parse("__keyevent@x__:evicted", b"k"), None);
        assert_eq!(parse("other", b"k"), None);
    }

    #[test]
    fn subscriber_replies_are_read_whole() {
        let wire = b"*4\r\n$8\r\npmessage\r\n$22\r\n__keyevent@*__:evicted\r\n$22\r\n__keyevent@1__:evicted\r\n$4\r\na\r\nb\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n";
        let mut r = &wire[..];
        let items = read_array(&mut r).unwrap();
        assert_eq!(
            message(&items),
            Some(Event::Evicted {
                db: 1,
                key: b"a\r\nb".to_vec()
            })
        );
        let items = read_array(&mut r).unwrap();
        assert_eq!(
            items,
            vec![b"subscribe".to_vec(), b"c".to_vec(), b"1".to_vec()]
        );
        assert!(read_array(&mut r).is_err(), "end of input");
    }
}
