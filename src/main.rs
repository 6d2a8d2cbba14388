use clap::{CommandFactory, Parser};
use fioreg::cli::{Cli, Command};
use fioreg::commands::{self, Exit};
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a 1 MB factory-config.yml means hundreds of
/// thousands of small allocations in the YAML parsers (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Add(add)) => commands::add(&cli.global, add),
        Some(Command::List { json }) => commands::list(&cli.global, *json),
        Some(Command::Rotate { target, creds }) => commands::rotate(&cli.global, target, creds),
        Some(Command::Verify { target, creds }) => commands::verify(&cli.global, target, creds),
        Some(Command::Remove {
            target,
            delete_secret,
        }) => commands::remove(&cli.global, target, *delete_secret),
        Some(Command::Check { offline, json }) => commands::check(&cli.global, *offline, *json),
        Some(Command::Settings(cmd)) => commands::settings(cmd),
        Some(Command::Forget { url }) => commands::forget(url),
        Some(Command::DeviceWrap {
            image,
            container,
            containers_repo,
        }) => commands::device_wrap(&cli.global, image, container, containers_repo),
        Some(Command::Policy(cmd)) => commands::policy(cmd),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "fioreg",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Some(Command::Man) => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(Into::into),
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
        // `fioreg man | head`: the reader went away; that is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = e.downcast_ref::<Exit>().map_or(1, |x| x.code);
            // The message may quote a config file, a server or fioctl: no control character
            // reaches the terminal raw.
            eprintln!(
                "fioreg: error: {}",
                fioreg::escape::controls(&format!("{e:#}"))
            );
            ExitCode::from(code)
        }
    }
}
