//! `evictsim policies`: every policy the model has, with when it is right;
//! with `--server`, the ones that server has.

use super::common::ServerArg;
use anyhow::Result;
use evictsim::model::{PolicyKind, Server};

/// Arguments of `policies`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the policies this server has (Redis 8.2 and Valkey have no
    /// `*-lrm`, which arrives in Redis 8.6).
    #[arg(long, value_enum, value_name = "SERVER")]
    server: Option<ServerArg>,
}

pub fn exec(args: Args) -> Result<i32> {
    let list = match args.server {
        Some(s) => Server::from(s).policies(),
        None => PolicyKind::ALL.to_vec(),
    };
    print!("{}", policies_help(&list));
    Ok(0)
}

fn policies_help(list: &[PolicyKind]) -> String {
    let mut s = String::new();
    for p in list {
        s += &format!("{:<16} {}\n", p.name(), p.help());
    }
    s
}
