//! A scenario turned into a stream of [`Op`]s: every class's generator,
//! merged by time.
//!
//! Ops come out in non-decreasing `t_ms`; ops in the same millisecond come
//! in class order, and within a class in the order they happened. Key ids
//! are dense from 0: the fixed-size classes (cache, counter, static) take
//! consecutive ranges in class order, then sessions and jobs take the next
//! ids as they are created. The same scenario and seed always give the same
//! stream.

use super::generate::{ClassCtx, DynamicKeys, Gen};
use super::scenario::Scenario;
use crate::cluster::{key_hash_slot, KeySlots};
use crate::op::{ClassId, KeyId, Op};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The operations of a scenario, generated on the fly.
#[derive(Debug)]
pub struct Workload {
    /// Per class: what its keys share, and its generator.
    classes: Vec<(ClassCtx, Gen)>,
    /// Classes by their next event: (ms, class).
    queue: BinaryHeap<Reverse<(u64, ClassId)>>,
    /// First key id of each fixed-size class, sorted: (base, class).
    fixed: Vec<(KeyId, ClassId)>,
    /// Keys created during the run.
    dynamic: DynamicKeys,
    /// A key's name, rendered to hash it ([`KeySlots`]).
    name_buf: String,
}

impl Workload {
    /// The workload of `scenario`, from t=0 to its duration.
    pub fn new(scenario: &Scenario) -> Workload {
        let mut base: u64 = 0;
        let mut fixed = Vec::new();
        let mut classes = Vec::with_capacity(scenario.classes.len());
        let mut queue = BinaryHeap::new();
        for (i, spec) in scenario.classes.iter().enumerate() {
            // A validated scenario has at most 256 classes and 2^32 fixed keys.
            let id = ClassId::try_from(i).unwrap_or(ClassId::MAX);
            let first = KeyId::try_from(base).unwrap_or(KeyId::MAX);
            if let Some(n) = spec.fixed_keys() {
                fixed.push((first, id));
                base += u64::from(n);
            }
            let mut ctx = ClassCtx::new(spec, id, scenario.seed);
            let gen = Gen::new(spec, &mut ctx, first, scenario.duration_ms);
            let t = gen.next_time();
            if t.is_finite() {
                queue.push(Reverse((t as u64, id)));
            }
            classes.push((ctx, gen));
        }
        Workload {
            classes,
            queue,
            fixed,
            dynamic: DynamicKeys {
                first: KeyId::try_from(base).unwrap_or(KeyId::MAX),
                ..DynamicKeys::default()
            },
            name_buf: String::new(),
        }
    }

    /// Number of key ids handed out so far (fixed-size classes count from
    /// the start); every id seen is below it.
    pub fn key_count(&self) -> u64 {
        u64::from(self.dynamic.first) + self.dynamic.class.len() as u64
    }

    /// The class and number within the class of key `id`, if this workload
    /// has handed it out.
    pub fn locate(&self, id: KeyId) -> Option<(ClassId, u32)> {
        if id < self.dynamic.first {
            let i = self
                .fixed
                .partition_point(|&(b, _)| b <= id)
                .checked_sub(1)?;
            let (b, class) = self.fixed[i];
            return Some((class, id - b));
        }
        let i = (id - self.dynamic.first) as usize;
        Some((*self.dynamic.class.get(i)?, *self.dynamic.local.get(i)?))
    }

    /// Appends the name of key `id` to `out`; false (and nothing appended)
    /// for an id this workload has not handed out yet.
    pub fn write_key_name(&self, id: KeyId, out: &mut String) -> bool {
        let Some((class, local)) = self.locate(id) else {
            return false;
        };
        let Some((ctx, _)) = self.classes.get(usize::from(class)) else {
            return false;
        };
        ctx.key.render(local, ctx.name_salt, out);
        true
    }

    /// The name of key `id` (e.g. `cache:page:00000042`); empty for an id
    /// this workload has not handed out yet.
    pub fn key_name(&self, id: KeyId) -> String {
        let mut s = String::new();
        self.write_key_name(id, &mut s);
        s
    }
}

/// A key's slot is the hash of its rendered name, so a `{hash tag}` in a
/// class's key template puts all its keys on one slot.
impl KeySlots for Workload {
    fn key_slot(&mut self, id: KeyId) -> Option<u16> {
        let mut name = std::mem::take(&mut self.name_buf);
        name.clear();
        let slot = self
            .write_key_name(id, &mut name)
            .then(|| key_hash_slot(name.as_bytes()));
        self.name_buf = name;
        slot
    }
}

impl Iterator for Workload {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        loop {
            let Reverse((t_ms, class)) = self.queue.pop()?;
            let (ctx, gen) = self.classes.get_mut(usize::from(class))?;
            let op = gen.step(ctx, &mut self.dynamic, t_ms);
            let t = gen.next_time();
            if t.is_finite() {
                self.queue.push(Reverse((t as u64, class)));
            }
            if op.is_some() {
                return op;
            }
        }
    }
}
