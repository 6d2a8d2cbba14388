//! Inputs found by fuzzing (`fuzz/`, see docs/fuzzing.md) and other odd files, replayed through
//! the same routine as the fuzz target: parse, then an Add, and an Update and a Remove of every
//! entry and of one past the end. None may panic; every edit either succeeds with a text that
//! parses, or is refused with an error.
//!
//! Each file in tests/fuzz_regressions/ is one input: its first byte picks the field values (as
//! in the fuzz target), the rest is the factory-config.yml. A crasher from
//! `fuzz/artifacts/edit/crash-*` is added by copying it there under a descriptive name.

use fioreg::factory_config::{Change, FactoryConfig};
use std::path::Path;

const VALUES: &[&str] = &[
    "ghcr.io",
    "yes",
    "123",
    "it's",
    "a # b",
    "key: value",
    "",
    "-x",
    "é",
    "localhost:5000",
];

/// The fuzz target's body (fuzz/fuzz_targets/edit.rs), returning what happened.
fn replay(data: &[u8]) -> Vec<String> {
    let mut log = Vec::new();
    let Some((&pick, rest)) = data.split_first() else {
        return log;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let cfg = match FactoryConfig::parse(Path::new("factory-config.yml"), text) {
        Ok(c) => c,
        Err(e) => {
            log.push(format!(
                "refused to parse: {}",
                e.to_string().lines().next().unwrap_or("")
            ));
            return log;
        }
    };
    let v = |n: usize| VALUES[(pick as usize + n) % VALUES.len()].to_string();
    let fields = vec![
        ("type".to_string(), v(0)),
        ("url".to_string(), v(1)),
        ("generic_secret_name".to_string(), v(2)),
    ];
    let mut changes = vec![Change::Add {
        fields: fields.clone(),
    }];
    for index in 0..=cfg.registries.len() {
        changes.push(Change::Update {
            index,
            fields: fields[1..].to_vec(),
        });
        changes.push(Change::Remove { index });
    }
    for change in changes {
        match cfg.edit(&change) {
            Ok(edited) => {
                assert!(
                    serde_yaml::from_str::<serde_yaml::Value>(
                        // A byte-order mark is kept, and is not content.
                        edited.text.strip_prefix('\u{feff}').unwrap_or(&edited.text)
                    )
                    .is_ok(),
                    "{change:?} gave a text that does not parse:\n{}",
                    edited.text
                );
                log.push(format!("{change:?}: ok"));
            }
            Err(e) => log.push(format!("{change:?}: refused: {e}")),
        }
    }
    log
}

#[test]
fn every_recorded_input_is_handled_without_a_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_regressions")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    for f in files {
        let data = std::fs::read(&f).expect("read");
        let result = std::panic::catch_unwind(|| replay(&data));
        match result {
            Ok(log) => eprintln!("{}: {}", f.display(), log.join("; ")),
            Err(_) => panic!("{} panicked", f.display()),
        }
    }
}
