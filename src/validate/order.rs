//! The order in which a replay sends commands, shared by the replay and by
//! the model run it is compared with: the ops of one millisecond go out as
//! a pipeline, then their follow-ups (read-through fills, sliding and
//! window expiries) as the next; a tick is split where an op touches a key
//! whose follow-up is still to come. Between an op's first command and its
//! follow-up the server runs the rest of the pipeline, and may evict:
//! the model must see the same interleaving to be compared fairly (under
//! LFU a key created by INCR counts 5 until its PEXPIRE counts it 6, and
//! may be sampled in between).

use crate::model::Reply;
use crate::op::{Cmd, KeyId, Op, SetCond};
use std::collections::HashSet;

/// Whether an op may need a second command after its reply.
pub fn may_follow_up(cmd: &Cmd) -> bool {
    match cmd {
        Cmd::Read(r) => r.fill.is_some() || r.slide_ms > 0,
        Cmd::IncrWindow { .. } => true,
        _ => false,
    }
}

/// Splits one tick's ops into the segments sent as one pipeline each:
/// calls `f` on each, in order. `seen` is scratch space.
pub fn segments<E>(
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
            if may_follow_up(&op.cmd) {
                seen.insert((op.db, op.key));
            }
            i += 1;
        }
        f(&ops[from..i])?;
    }
    Ok(())
}

/// The follow-up the model runs after an op's first command answered `r`,
/// as `Instance::apply` would right away.
pub fn model_followup(op: &Op, r: Reply) -> Option<Cmd> {
    match (op.cmd, r) {
        (Cmd::Read(spec), Reply::Missing) => spec.fill.map(|value| Cmd::Set {
            value,
            ttl_ms: spec.fill_ttl_ms,
            cond: SetCond::Always,
            keep_ttl: false,
        }),
        (Cmd::Read(spec), Reply::Found) if spec.slide_ms > 0 => Some(Cmd::Expire {
            ttl_ms: spec.slide_ms,
        }),
        (Cmd::IncrWindow { window_ms }, Reply::Created) => Some(Cmd::Expire { ttl_ms: window_ms }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{ReadSpec, Value};

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

    #[test]
    fn follow_ups_are_the_models() {
        let read = op(1, fill());
        assert!(matches!(
            model_followup(&read, Reply::Missing),
            Some(Cmd::Set { ttl_ms: 5, .. })
        ));
        assert_eq!(model_followup(&read, Reply::Found), None);
        let w = op(2, Cmd::IncrWindow { window_ms: 9 });
        assert_eq!(
            model_followup(&w, Reply::Created),
            Some(Cmd::Expire { ttl_ms: 9 })
        );
        assert_eq!(model_followup(&w, Reply::Found), None);
        assert_eq!(model_followup(&w, Reply::Oom), None);
    }
}
