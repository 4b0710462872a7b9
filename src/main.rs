//! The `evictsim` command: parse the arguments, dispatch to the
//! subcommand's file under `cli/`, print an error once with its causes.
//! Exit status: 0 on success, 1 on an error (a usage error included), and
//! what a subcommand returns (`validate`: 2 when the model is outside
//! tolerance).

mod cli;

use clap::Parser;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; a usage error is
            // status 1, like any other error (2 means "outside tolerance").
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match cli.exec() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // The reader went away (`evictsim demo 2 | head`): stop quietly,
            // as a filter does.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                std::process::exit(0);
            }
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::exit(1);
        }
    }
}
