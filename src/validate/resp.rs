//! Commands written straight into a pipeline buffer in Redis's protocol
//! (RESP arrays of bulk strings), with no allocation per command.

use crate::op::decimal_len;
use std::io::Write;

/// Starts a command of `n` arguments (the command name counts).
pub(super) fn header(buf: &mut Vec<u8>, n: usize) {
    let _ = write!(buf, "*{n}\r\n");
}

/// One argument.
pub(super) fn arg(buf: &mut Vec<u8>, a: &[u8]) {
    let _ = write!(buf, "${}\r\n", a.len());
    buf.extend_from_slice(a);
    buf.extend_from_slice(b"\r\n");
}

/// An unsigned integer argument in decimal (clamped to `i64::MAX`).
pub(super) fn arg_u64(buf: &mut Vec<u8>, v: u64) {
    arg_i64(buf, v.min(i64::MAX as u64) as i64);
}

/// An integer argument in decimal.
pub(super) fn arg_i64(buf: &mut Vec<u8>, v: i64) {
    let _ = write!(buf, "${}\r\n{v}\r\n", decimal_len(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_encoded_as_resp() {
        let mut b = Vec::new();
        header(&mut b, 3);
        arg(&mut b, b"SET");
        arg(&mut b, b"k");
        arg_i64(&mut b, -12);
        assert_eq!(b, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n-12\r\n");
        let mut b = Vec::new();
        arg_u64(&mut b, 60_000);
        assert_eq!(b, b"$5\r\n60000\r\n");
    }
}
