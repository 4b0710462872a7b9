//! Commands into a pipeline buffer: each op's Redis command as
//! [`Cmd::argv`] spells it, with the key's real name and a value of the
//! right length (or the integer itself), a hash write's fields as their
//! `2 n` arguments (`f0`, `f1`... zero-padded to one width, each followed by
//! its value), and `SELECT` when the database changes. Nothing is allocated
//! per command once the buffers have grown.

use crate::op::{Arg, Cmd, HashFields, Value};
use crate::validate::resp::{arg, arg_i64, arg_u64, header};

/// A pipeline being written.
#[derive(Default)]
pub(super) struct Encoder {
    /// The pipeline's bytes.
    pub buf: Vec<u8>,
    /// Value bytes, grown to the largest value sent.
    filler: Vec<u8>,
    /// The database the connection has selected.
    db: u8,
}

impl Encoder {
    /// Starts a new pipeline.
    pub(super) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Writes `SELECT db` if the connection is on another database; true if
    /// it did.
    pub(super) fn select(&mut self, db: u8) -> bool {
        if db == self.db {
            return false;
        }
        header(&mut self.buf, 2);
        arg(&mut self.buf, b"SELECT");
        arg_u64(&mut self.buf, u64::from(db));
        self.db = db;
        true
    }

    /// Writes `cmd`'s Redis command on the key named `key`.
    pub(super) fn command(&mut self, cmd: &Cmd, key: &[u8]) {
        let argv = cmd.argv();
        let argc: u64 = argv.args().iter().map(Arg::count).sum();
        header(&mut self.buf, argc as usize);
        for a in argv.args() {
            match *a {
                Arg::Word(w) => arg(&mut self.buf, w.as_bytes()),
                Arg::Key => arg(&mut self.buf, key),
                Arg::Value(v) => self.value(v),
                Arg::Int(i) => arg_i64(&mut self.buf, i),
                Arg::Uint(u) => arg_u64(&mut self.buf, u),
                Arg::Fields(h) => self.fields(h),
            }
        }
    }

    /// Every field of `h`, each name followed by its value.
    fn fields(&mut self, h: HashFields) {
        let width = usize::from(h.field_len.max(2)) - 1;
        let mut name = [b'0'; 8];
        name[0] = b'f';
        for i in 0..h.n {
            // `f` then the number, zero-padded to `width` digits (at most 5).
            let mut n = i;
            for d in (1..=width.min(7)).rev() {
                name[d] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            arg(&mut self.buf, &name[..=width.min(7)]);
            self.value(Value::bytes(h.value_len));
        }
    }

    fn value(&mut self, v: Value) {
        if v.int {
            arg_i64(&mut self.buf, v.int_value);
        } else {
            let len = v.len as usize;
            if self.filler.len() < len {
                self.filler.resize(len, b'x');
            }
            arg(&mut self.buf, &self.filler[..len]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::SetCond;

    #[test]
    fn commands_and_selects_are_resp() {
        let mut e = Encoder::default();
        assert!(!e.select(0));
        assert!(e.select(3));
        assert!(!e.select(3));
        e.command(
            &Cmd::Set {
                value: Value::bytes(3),
                ttl_ms: 50,
                cond: SetCond::IfAbsent,
                keep_ttl: false,
            },
            b"k",
        );
        e.command(&Cmd::IncrBy { delta: -2 }, b"n");
        assert_eq!(
            String::from_utf8(e.buf.clone()).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n\
             *6\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nxxx\r\n$2\r\nPX\r\n$2\r\n50\r\n$2\r\nNX\r\n\
             *3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n-2\r\n"
        );
    }

    #[test]
    fn a_hash_write_sends_every_field_with_a_distinct_fixed_width_name() {
        let mut e = Encoder::default();
        let fields = HashFields::new(11, 2);
        e.command(&Cmd::HashSet { fields, ttl_ms: 5 }, b"s");
        let mut want = String::from("*24\r\n$4\r\nHSET\r\n$1\r\ns\r\n");
        for i in 0..11 {
            want.push_str(&format!("$3\r\nf{i:02}\r\n$2\r\nxx\r\n"));
        }
        assert_eq!(String::from_utf8(e.buf.clone()).unwrap(), want);
        e.clear();
        e.command(&Cmd::HashRead(Default::default()), b"s");
        assert_eq!(
            String::from_utf8(e.buf.clone()).unwrap(),
            "*2\r\n$7\r\nHGETALL\r\n$1\r\ns\r\n"
        );
        // Every argument the model's argv memory counts is sent.
        let argv = Cmd::HashSet { fields, ttl_ms: 5 }.argv();
        let argc: u64 = argv.args().iter().map(Arg::count).sum();
        assert_eq!(argc, 24);
    }
}
