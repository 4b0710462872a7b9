//! The order in which a replay sends commands, shared by the replay and by
//! the model run it is compared with: the ops of one millisecond go out as
//! a pipeline, then their follow-ups (read-through fills, sliding and
//! window expiries) as the next; a tick is split where an op touches a key
//! whose follow-up is still to come. Between an op's first command and its
//! follow-up the server runs the rest of the pipeline, and may evict:
//! the model must see the same interleaving to be compared fairly (under
//! LFU a key created by INCR counts 5 until its PEXPIRE counts it 6, and
//! may be sampled in between).

use crate::op::{KeyId, Op};
use std::collections::HashSet;

/// Splits one tick's ops into the segments sent as one pipeline each:
/// calls `f` on each, in order. `seen` is scratch space.
pub(super) fn segments<E>(
    ops: &[Op],
    seen: &mut HashSet<(u8, KeyId)>,
    mut f: impl FnMut(&[Op]) -> Result<(), E>,
) -> Result<(), E> {
    let mut i = 0;
    while i < ops.len() {
        seen.clear();
        let from = i;
        while i < ops.len() {
            let op = &ops[i];
            if seen.contains(&(op.db, op.key)) {
                break;
            }
            if op.cmd.may_follow_up() {
                seen.insert((op.db, op.key));
            }
            i += 1;
        }
        f(&ops[from..i])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Cmd, ReadSpec, Value};

    fn op(key: KeyId, cmd: Cmd) -> Op {
        Op {
            t_ms: 0,
            key,
            key_len: 8,
            db: 0,
            class: 0,
            cmd,
        }
    }

    fn fill() -> Cmd {
        Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(10)),
            fill_ttl_ms: 5,
            slide_ms: 0,
        })
    }

    #[test]
    fn a_tick_splits_before_a_key_awaiting_its_follow_up() {
        let ops = [
            op(1, fill()),
            op(2, Cmd::Del),
            op(2, Cmd::Del),
            op(1, Cmd::GetDel),
            op(3, Cmd::IncrWindow { window_ms: 9 }),
        ];
        let mut lens = Vec::new();
        segments::<()>(&ops, &mut HashSet::new(), |s| {
            lens.push(s.len());
            Ok(())
        })
        .unwrap();
        assert_eq!(lens, vec![3, 2], "only key 1 waits for a follow-up");
    }
}
