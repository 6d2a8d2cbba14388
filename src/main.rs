use clap::{CommandFactory, Parser};
use fioreg::cli::{Cli, Command};
use fioreg::commands::{self, Exit};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Add(add)) => commands::add(&cli.global, add),
        Some(Command::List { json }) => commands::list(&cli.global, *json),
        Some(Command::Rotate { target, creds }) => commands::rotate(&cli.global, target, creds),
        Some(Command::Remove {
            target,
            delete_secret,
        }) => commands::remove(&cli.global, target, *delete_secret),
        Some(Command::Check { offline, json }) => commands::check(&cli.global, *offline, *json),
        None => {
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                let _ = Cli::command().print_help();
                eprintln!(
                    "\nfioreg: the wizard needs a terminal on stdin and stdout; use a subcommand \
                     such as `fioreg add` in scripts"
                );
                return ExitCode::from(2);
            }
            commands::wizard(&cli)
        }
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
