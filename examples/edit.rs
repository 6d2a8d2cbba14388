//! `edit IN OUT`: appends one aws entry to `container_registries` of the factory-config.yml IN
//! with fioreg's editor and writes the result to OUT. Used by `scripts/bench.sh` to compare
//! fioreg's editor with ruamel.yaml and the npm `yaml` package on the same edit.

use fioreg::factory_config::{Change, FactoryConfig};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: edit IN OUT");
        return ExitCode::from(2);
    };
    let fields = [
        ("type", "aws"),
        ("region", "us-east-2"),
        ("url", "123456789012.dkr.ecr.us-east-2.amazonaws.com"),
        ("aws_creds_secret_name", "aws_creds"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let cfg = match FactoryConfig::load(input) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let edited = match cfg.edit(&Change::Add { fields }) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}: {e}", input.display());
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(output, edited.text) {
        eprintln!("{}: {e}", output.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
