//! `evictsim calibrate`: load keys of a grid of sizes into a real
//! redis-server and put its `used_memory` per key beside the model's
//! memory formula.

use super::common::{ServerArgs, TextOrJson};
use anyhow::Result;
use evictsim::report;
use evictsim::validate;
use std::io::Write;

/// Arguments of `calibrate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which server to measure.
    #[command(flatten)]
    server: ServerArgs,
    /// Keys loaded per cell of the grid.
    #[arg(long, default_value = "20000", value_name = "N")]
    keys: u32,
    /// What to print on stdout.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Table)]
    format: TextOrJson,
}

pub fn exec(args: Args) -> Result<i32> {
    let target = args.server.target();
    eprintln!(
        "calibrate: loading {} keys per cell into {}...",
        report::fmt::thousands(u64::from(args.keys)),
        target.describe()
    );
    let c = validate::calibrate(&target, &validate::calibrate::grid(), args.keys)?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        TextOrJson::Table => stdout.write_all(c.render().as_bytes())?,
        TextOrJson::Json => {
            let mut out = serde_json::to_vec_pretty(&c)?;
            out.push(b'\n');
            stdout.write_all(&out)?;
        }
    }
    stdout.flush()?;
    Ok(0)
}
