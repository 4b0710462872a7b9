//! `evictsim policies`: every policy the model has, with when it is right.

use anyhow::Result;
use evictsim::model::PolicyKind;

pub fn exec() -> Result<i32> {
    print!("{}", policies_help());
    Ok(0)
}

fn policies_help() -> String {
    let mut s = String::new();
    for p in PolicyKind::ALL {
        let what = match p {
            PolicyKind::NoEviction => {
                "never evict; refuse DENYOOM writes over maxmemory (data stores)"
            }
            PolicyKind::AllKeysLru => "sampled LRU over every key (pure caches)",
            PolicyKind::AllKeysLfu => "sampled LFU over every key (caches with a stable hot set)",
            PolicyKind::AllKeysRandom => "a random key, databases in turn",
            PolicyKind::VolatileLru => "sampled LRU over keys with a TTL; others are never evicted",
            PolicyKind::VolatileLfu => "sampled LFU over keys with a TTL; others are never evicted",
            PolicyKind::VolatileRandom => "a random key with a TTL",
            PolicyKind::VolatileTtl => "the sampled key with a TTL that expires soonest",
            PolicyKind::AllKeysLrm => "Redis 8.6: least recently modified (reads don't count)",
            PolicyKind::VolatileLrm => "Redis 8.6: least recently modified among keys with a TTL",
            PolicyKind::ExactLru => "reference: exact LRU, no sampling (not in Redis)",
        };
        s += &format!("{:<16} {what}\n", p.name());
    }
    s
}
