//! Arbitrary bytes as factory-config.yml: parsing, then every kind of edit (an Add, and an
//! Update and a Remove of each entry and of one past the end) must never panic. The first byte
//! picks the values of the fields, so that quoting is exercised too.
#![no_main]

use fioreg::factory_config::{Change, FactoryConfig};
use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let Ok(cfg) = FactoryConfig::parse(Path::new("factory-config.yml"), text) else {
        return;
    };
    let v = |n: usize| VALUES[(pick as usize + n) % VALUES.len()].to_string();
    let fields = vec![
        ("type".to_string(), v(0)),
        ("url".to_string(), v(1)),
        ("generic_secret_name".to_string(), v(2)),
    ];
    let _ = cfg.edit(&Change::Add {
        fields: fields.clone(),
    });
    for index in 0..=cfg.registries.len() {
        let _ = cfg.edit(&Change::Update {
            index,
            fields: fields[1..].to_vec(),
        });
        let _ = cfg.edit(&Change::Remove { index });
    }
});
