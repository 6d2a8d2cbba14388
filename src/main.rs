use clap::Parser;
use fioreg::cli::{Cli, Command};
use fioreg::commands::{self, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Add(add) => commands::add(&cli.global, add),
        Command::List { json } => commands::list(&cli.global, *json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<Exit>().map_or(1, |x| x.code);
            eprintln!("fioreg: error: {e:#}");
            ExitCode::from(code)
        }
    }
}
