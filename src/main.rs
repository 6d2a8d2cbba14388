use clap::CommandFactory;
use fioreg::cli::{Cli, Command};
use fioreg::commands;
use fioreg::wizard::report::{Exit, Outcome};
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a 1 MB factory-config.yml means hundreds of
/// thousands of small allocations in the YAML parsers (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any secret is read: no core file, no same-user ptrace.
    if let Err(e) = fioreg::secret::protect_process() {
        eprintln!("fioreg: error: could not protect the process from core dumps and ptrace: {e}");
        return ExitCode::from(1);
    }
    let cli = Cli::parse_normalised();
    // Several factories (--factory given more than once, --all-factories): src/fleet; with no
    // subcommand, the wizard across them (session::for_wizard).
    if cli.global.is_fleet()
        && let Some(result) = fioreg::fleet::dispatch(&cli.global, cli.command.as_ref())
    {
        return exit(result);
    }
    let unit = |r: anyhow::Result<()>| r.map(|()| None);
    let result: anyhow::Result<Option<Outcome>> = match &cli.command {
        Some(Command::Add(add)) => commands::add(&cli.global, add).map(Some),
        Some(Command::List { json }) => unit(commands::list(&cli.global, *json)),
        Some(Command::Rotate {
            target, new_key, ..
        }) if new_key.new_key => commands::rotate_new_key(&cli.global, target, new_key).map(Some),
        Some(Command::Rotate { target, creds, .. }) => {
            commands::rotate(&cli.global, target, creds).map(Some)
        }
        Some(Command::Verify { target, creds }) => {
            unit(commands::verify(&cli.global, target, creds))
        }
        Some(Command::Remove {
            target,
            delete_secret,
        }) => commands::remove(&cli.global, target, *delete_secret).map(Some),
        Some(Command::Check { offline, json }) => {
            unit(commands::check(&cli.global, *offline, *json))
        }
        Some(Command::Scan(args)) => unit(commands::scan(&cli.global, args)),
        Some(Command::Settings(cmd)) => unit(commands::settings(cmd)),
        Some(Command::Forget { url }) => unit(commands::forget(url)),
        Some(Command::DeviceWrap {
            image,
            container,
            containers_repo,
        }) => unit(commands::device_wrap(
            &cli.global,
            image,
            container,
            containers_repo,
        )),
        Some(Command::Policy(cmd)) => unit(commands::policy(cmd)),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "fioreg",
                &mut std::io::stdout(),
            );
            Ok(None)
        }
        Some(Command::Man) => unit(
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(Into::into),
        ),
        None => {
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                let _ = Cli::command().print_help();
                eprintln!(
                    "\nfioreg: the wizard needs a terminal on stdin and stdout; use a subcommand \
                     such as `fioreg add` in scripts"
                );
                return ExitCode::from(2);
            }
            wizard(&cli).map(Some)
        }
    };
    exit(result)
}

/// The one place where an outcome becomes an exit status and its last words: the same outcome
/// gives the same code and the same words whichever front end reached it.
fn exit(result: anyhow::Result<Option<Outcome>>) -> ExitCode {
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(outcome)) => {
            if let Some(message) = outcome.message() {
                eprintln!("fioreg: {message}");
            }
            ExitCode::from(outcome.exit_code())
        }
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

/// The wizard: the full-screen TUI, or the line prompts with `--plain` or TERM=dumb.
fn wizard(cli: &Cli) -> anyhow::Result<Outcome> {
    let session = fioreg::session::for_wizard(cli)?;
    let outcome = if cli.plain || fioreg::term::dumb() {
        fioreg::plain::run(&session, &mut fioreg::plain::InquirePrompter)
    } else {
        fioreg::tui::run(&session)
    };
    if let Some(demo) = &session.demo {
        println!(
            "Demo files: the config is {} and the stored secrets are in {}",
            session.config_path.display(),
            demo.secrets_dir.display()
        );
    }
    outcome
}
