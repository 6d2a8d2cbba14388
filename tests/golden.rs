//! Golden tests of the factory-config.yml editor: each `tests/golden/NAME.in.yml` gets the change
//! in `NAME.change` and must become exactly `NAME.out.yml`, byte for byte.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expected files (review them!).

use fioreg::factory_config::{Change, FactoryConfig};
use std::fs;
use std::path::{Path, PathBuf};

fn parse_change(line: &str) -> Change {
    let mut words = line.split_whitespace();
    let verb = words.next().expect("verb");
    let index = if verb == "update" || verb == "remove" {
        Some(
            words
                .next()
                .expect("index")
                .parse::<usize>()
                .expect("number"),
        )
    } else {
        None
    };
    let fields = words
        .map(|w| {
            let (k, v) = w.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    match (verb, index) {
        ("add", None) => Change::Add { fields },
        ("update", Some(index)) => Change::Update { index, fields },
        ("remove", Some(index)) => Change::Remove { index },
        _ => panic!("bad change line {line:?}"),
    }
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "change"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_golden_case_matches_its_expected_output() {
    let cases = cases();
    assert!(
        cases.len() >= 12,
        "expected at least 12 golden cases, found {}",
        cases.len()
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for change_file in cases {
        let stem = change_file.with_extension("");
        let input = stem.with_extension("in.yml");
        let output = stem.with_extension("out.yml");
        let change = parse_change(fs::read_to_string(&change_file).expect("change").trim());
        let cfg = FactoryConfig::load(&input).expect("input parses");
        let edited = cfg
            .edit(&change)
            .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        if update {
            fs::write(&output, &edited.text).expect("write golden");
            continue;
        }
        let expected =
            fs::read_to_string(&output).unwrap_or_else(|e| panic!("{}: {e}", output.display()));
        if edited.text != expected {
            failures.push(format!(
                "{}:\n{}",
                stem.display(),
                fioreg::factory_config::diff::unified(&expected, &edited.text, "expected", false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The corpus files must only gain lines: every original line is still there, in order.
#[test]
fn corpus_edits_only_insert_lines() {
    for name in ["corpus-real-overlay", "corpus-docs-template"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let old = fs::read_to_string(dir.join(format!("{name}.in.yml"))).expect("in");
        let new = fs::read_to_string(dir.join(format!("{name}.out.yml"))).expect("out");
        assert!(
            new.starts_with(&old),
            "{name}: the original bytes must be a prefix"
        );
        assert!(
            new[old.len()..].starts_with("\ncontainer_registries:\n"),
            "{name}"
        );
    }
}
