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
        s += &format!("{:<16} {}\n", p.name(), p.help());
    }
    s
}
