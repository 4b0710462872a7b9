//! Writes `tests/fixtures/mixed-zeros.csv`: 15 s of a mixed cache, session,
//! rate-limit and job-queue trace written with 0 in every field that does
//! not apply (see `tests/support/mixed_trace.rs`, which makes it).
//!
//! `cargo run --example mixed_trace`

#[path = "../tests/support/mixed_trace.rs"]
mod mixed_trace;

fn main() -> std::io::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mixed-zeros.csv"
    );
    std::fs::write(path, mixed_trace::csv())?;
    println!("wrote {path}");
    Ok(())
}
