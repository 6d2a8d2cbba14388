//! Remembered settings in `~/.config/fioreg/config.toml`: per factory the factory-config.yml
//! path and the last choices (provider, url, secret name), never a secret.
//!
//! The file is edited with `toml_edit`, so a user's comments, blank lines and formatting survive;
//! only the lines that change are rewritten.

use crate::provider::{self, Provider};
use std::io::Write;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table, Value};

/// The settings that may be written, as shown when an unknown key is refused.
pub const KNOWN_KEYS: &[&str] = &[
    "default_factory",
    "factories.<NAME>.config",
    "factories.<NAME>.last_provider",
    "factories.<NAME>.last_url.<PROVIDER>",
    "factories.<NAME>.last_secret_name.<PROVIDER>",
];

/// Key name fragments that mean a secret; fioreg refuses to store those.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "token",
    "secret_value",
    "secret_key",
    "key_id",
    "access_key",
    "private_key",
    "client_secret",
    "api_key",
    "apikey",
    "credential",
];

/// The settings file, parsed with its formatting kept.
#[derive(Debug, Clone)]
pub struct Settings {
    path: PathBuf,
    doc: DocumentMut,
}

/// What a successful `add` leaves behind for the next run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remembered {
    pub config: Option<String>,
    pub provider: String,
    pub url: Option<String>,
    pub secret_name: String,
}

/// Why the settings could not be read, changed or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {source}; check that the file is readable", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}; fix the TOML there or move the file away", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown setting `{key}`: use one of {}", KNOWN_KEYS.join(", "))]
    UnknownKey { key: String },
    #[error(
        "`{key}` looks like a secret and fioreg never saves secrets in its settings: enter \
         secrets when asked, or use --remember to keep a token in the OS keyring"
    )]
    SecretKey { key: String },
    #[error("invalid value for `{key}`: {reason}")]
    InvalidValue { key: String, reason: String },
    #[error("`{key}` in {} is not a table: fix or remove that entry", path.display())]
    NotATable { path: PathBuf, key: String },
    #[error("cannot write {}: {source}; check that its directory is writable", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A validated settings key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    DefaultFactory,
    Config(String),
    LastProvider(String),
    LastUrl(String, Provider),
    LastSecretName(String, Provider),
}

impl Key {
    /// Parses a dotted key; refuses secret-looking and unknown keys.
    fn parse(key: &str) -> Result<Key, SettingsError> {
        let lower = key.to_ascii_lowercase();
        let secret_segment = lower.split('.').any(|s| s == "secret" || s == "key");
        if secret_segment || SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            return Err(SettingsError::SecretKey { key: key.into() });
        }
        let unknown = || SettingsError::UnknownKey { key: key.into() };
        let parts: Vec<&str> = key.split('.').collect();
        let factory = |name: &str| -> Result<String, SettingsError> {
            validate_factory(name).map_err(|reason| SettingsError::InvalidValue {
                key: key.into(),
                reason,
            })?;
            Ok(name.to_string())
        };
        let provider = |name: &str| -> Result<Provider, SettingsError> {
            Provider::from_type_name(name).ok_or_else(|| SettingsError::InvalidValue {
                key: key.into(),
                reason: format!("`{name}` is not a provider: use aws, azure, gar or generic"),
            })
        };
        match parts.as_slice() {
            ["default_factory"] => Ok(Key::DefaultFactory),
            ["factories", f, "config"] => Ok(Key::Config(factory(f)?)),
            ["factories", f, "last_provider"] => Ok(Key::LastProvider(factory(f)?)),
            ["factories", f, "last_url", p] => Ok(Key::LastUrl(factory(f)?, provider(p)?)),
            ["factories", f, "last_secret_name", p] => {
                Ok(Key::LastSecretName(factory(f)?, provider(p)?))
            }
            _ => Err(unknown()),
        }
    }

    /// The tables leading to the value, and the value's own name.
    fn path(&self) -> (Vec<String>, String) {
        let fac = |f: &str, rest: &[&str]| {
            let mut tables = vec!["factories".to_string(), f.to_string()];
            tables.extend(rest.iter().map(|s| s.to_string()));
            tables
        };
        match self {
            Key::DefaultFactory => (vec![], "default_factory".into()),
            Key::Config(f) => (fac(f, &[]), "config".into()),
            Key::LastProvider(f) => (fac(f, &[]), "last_provider".into()),
            Key::LastUrl(f, p) => (fac(f, &["last_url"]), p.type_name().into()),
            Key::LastSecretName(f, p) => (fac(f, &["last_secret_name"]), p.type_name().into()),
        }
    }

    /// Checks and normalizes a value for this key.
    fn validate(&self, value: &str) -> Result<String, String> {
        match self {
            Key::DefaultFactory => {
                validate_factory(value.trim())?;
                Ok(value.trim().to_string())
            }
            Key::Config(_) => {
                if value.trim().is_empty() {
                    return Err("the path of factory-config.yml is empty".into());
                }
                if value.chars().any(char::is_control) {
                    return Err("the path contains a control character".into());
                }
                Ok(value.to_string())
            }
            Key::LastProvider(_) => Provider::from_type_name(value.trim())
                .map(|p| p.type_name().to_string())
                .ok_or_else(|| {
                    format!("`{value}` is not a provider: use aws, azure, gar or generic")
                }),
            Key::LastUrl(_, p) => p.validate_url(value),
            Key::LastSecretName(_, _) => {
                provider::validate_secret_name(value.trim())?;
                Ok(value.trim().to_string())
            }
        }
    }
}

/// A factory name: letters, digits, `-` and `_` (a bare TOML key).
fn validate_factory(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the factory name is empty".into());
    }
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a factory name: use only letters, digits, `-` and `_`"
        ))
    }
}

/// The settings path from `$XDG_CONFIG_HOME` (when absolute) or `$HOME/.config`.
fn path_from_env(
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let base = match xdg_config_home.map(PathBuf::from) {
        // The XDG spec says relative values are to be ignored.
        Some(xdg) if xdg.is_absolute() => xdg,
        _ => {
            let home = PathBuf::from(home?);
            if home.as_os_str().is_empty() {
                return None;
            }
            home.join(".config")
        }
    };
    Some(base.join("fioreg").join("config.toml"))
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl Settings {
    /// `$XDG_CONFIG_HOME/fioreg/config.toml`, else `$HOME/.config/fioreg/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        path_from_env(
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("HOME"),
        )
    }

    /// Reads `path`; a missing file gives empty settings.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(SettingsError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            let (line, column) = line_column(&text, e.span().map_or(0, |s| s.start));
            SettingsError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Settings {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// The file these settings are saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value at a dotted key such as `factories.acme.config`, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        let mut item = self.doc.as_item();
        for segment in key.split('.') {
            item = item.as_table_like()?.get(segment)?;
        }
        match item.as_value()? {
            Value::String(s) => Some(s.value().clone()),
            other => Some(other.to_string().trim().to_string()),
        }
    }

    /// Every factory under `factories`, in file order, with its remembered factory-config.yml
    /// path (`factories.<NAME>.config`) when it has one.
    pub fn factories(&self) -> Vec<(String, Option<String>)> {
        let Some(table) = self.doc.get("factories").and_then(Item::as_table_like) else {
            return Vec::new();
        };
        table
            .iter()
            .filter(|(_, item)| item.is_table_like())
            .map(|(name, _)| {
                (
                    name.to_string(),
                    self.get(&format!("factories.{name}.config")),
                )
            })
            .collect()
    }

    /// Sets a known key after validating its value; secret-looking keys are refused.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let parsed = Key::parse(key)?;
        let value = parsed
            .validate(value)
            .map_err(|reason| SettingsError::InvalidValue {
                key: key.into(),
                reason,
            })?;
        let (tables, leaf) = parsed.path();
        self.set_value(&tables, &leaf, &value)
    }

    /// Records the choices of a successful `add` for `factory`.
    pub fn remember(&mut self, factory: &str, c: &Remembered) -> Result<(), SettingsError> {
        // Validate everything first, so a bad field leaves the settings untouched.
        let mut changes = Vec::new();
        let provider =
            Provider::from_type_name(&c.provider).ok_or_else(|| SettingsError::InvalidValue {
                key: format!("factories.{factory}.last_provider"),
                reason: format!(
                    "`{}` is not a provider: use aws, azure, gar or generic",
                    c.provider
                ),
            })?;
        let p = provider.type_name();
        if let Some(config) = &c.config {
            changes.push((format!("factories.{factory}.config"), config.as_str()));
        }
        changes.push((format!("factories.{factory}.last_provider"), p));
        if let Some(url) = &c.url {
            changes.push((format!("factories.{factory}.last_url.{p}"), url.as_str()));
        }
        changes.push((
            format!("factories.{factory}.last_secret_name.{p}"),
            c.secret_name.as_str(),
        ));
        let mut checked = Vec::new();
        for (key, value) in &changes {
            let parsed = Key::parse(key)?;
            let value = parsed
                .validate(value)
                .map_err(|reason| SettingsError::InvalidValue {
                    key: key.clone(),
                    reason,
                })?;
            checked.push((parsed, value));
        }
        for (parsed, value) in checked {
            let (tables, leaf) = parsed.path();
            self.set_value(&tables, &leaf, &value)?;
        }
        Ok(())
    }

    /// The file's text, or a note that nothing is saved yet.
    pub fn show(&self) -> String {
        let text = self.doc.to_string();
        if text.trim().is_empty() {
            format!(
                "# nothing saved yet in {} (fioreg remembers choices after a successful add)\n",
                self.path.display()
            )
        } else {
            text
        }
    }

    /// Writes the file atomically (temp file + rename), mode 0600, in a 0700 directory.
    pub fn save(&self) -> Result<(), SettingsError> {
        let write_err = |source| SettingsError::Write {
            path: self.path.clone(),
            source,
        };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(write_err)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".config.toml.")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(write_err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(write_err)?;
        }
        tmp.write_all(self.doc.to_string().as_bytes())
            .map_err(write_err)?;
        tmp.as_file().sync_all().map_err(write_err)?;
        tmp.persist(&self.path).map_err(|e| write_err(e.error))?;
        Ok(())
    }

    /// Writes `value` at `tables`.`leaf`, creating tables and keeping decoration of a replaced value.
    fn set_value(
        &mut self,
        tables: &[String],
        leaf: &str,
        value: &str,
    ) -> Result<(), SettingsError> {
        let was_empty = self.doc.as_table().is_empty();
        self.set_value_inner(tables, leaf, value)?;
        if was_empty {
            self.hoist_leading_comments();
        }
        Ok(())
    }

    /// A file that held only comments keeps them at the top: toml_edit keeps such text as the
    /// document's trailing part, which would print after a new table.
    fn hoist_leading_comments(&mut self) {
        let trailing = self.doc.trailing().as_str().unwrap_or("").to_string();
        if trailing.trim().is_empty() {
            return;
        }
        let mut table = self.doc.as_table_mut();
        loop {
            let Some(key) = table.iter().next().map(|(k, _)| k.to_string()) else {
                return;
            };
            let Some(Item::Table(child)) = table.get_mut(&key) else {
                return;
            };
            if child.is_implicit() {
                table = child;
                continue;
            }
            let prefix = child
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            let sep = if trailing.ends_with("\n\n") { "" } else { "\n" };
            child.decor_mut().set_prefix(format!(
                "{trailing}{sep}{}",
                prefix.trim_start_matches('\n')
            ));
            break;
        }
        self.doc.set_trailing("");
    }

    fn set_value_inner(
        &mut self,
        tables: &[String],
        leaf: &str,
        value: &str,
    ) -> Result<(), SettingsError> {
        let has_content = !self.doc.to_string().trim().is_empty();
        let mut item = self.doc.as_item_mut();
        let mut walked = Vec::new();
        for (depth, name) in tables.iter().enumerate() {
            walked.push(name.as_str());
            let inline = item.is_inline_table();
            let not_table = |walked: &[&str]| SettingsError::NotATable {
                path: self.path.clone(),
                key: walked.join("."),
            };
            let table = item
                .as_table_like_mut()
                .ok_or_else(|| not_table(&walked[..walked.len() - 1]))?;
            if table.get(name).is_none() {
                table.insert(name, new_table(inline, depth, has_content));
            }
            item = table.get_mut(name).ok_or_else(|| not_table(&walked))?;
            if !item.is_table_like() {
                return Err(not_table(&walked));
            }
        }
        let key = if tables.is_empty() {
            leaf.to_string()
        } else {
            format!("{}.{leaf}", tables.join("."))
        };
        let table = item
            .as_table_like_mut()
            .ok_or_else(|| SettingsError::NotATable {
                path: self.path.clone(),
                key: tables.join("."),
            })?;
        match table.get_mut(leaf) {
            Some(Item::Value(old)) => {
                if old.as_str() != Some(value) {
                    let decor = old.decor().clone();
                    let mut new = Value::from(value);
                    *new.decor_mut() = decor;
                    *old = new;
                }
            }
            Some(Item::None) | None => {
                table.insert(leaf, Item::Value(Value::from(value)));
            }
            Some(_) => {
                return Err(SettingsError::NotATable {
                    path: self.path.clone(),
                    key: format!("{key} (a table where a value belongs)"),
                });
            }
        }
        Ok(())
    }
}

/// A new table: `factories` implicit, each factory a `[factories.NAME]` section, deeper ones dotted.
fn new_table(inside_inline: bool, depth: usize, has_content: bool) -> Item {
    if inside_inline {
        return Item::Value(Value::InlineTable(toml_edit::InlineTable::new()));
    }
    let mut table = Table::new();
    match depth {
        0 => table.set_implicit(true),
        1 => {
            if has_content {
                table.decor_mut().set_prefix("\n");
            }
        }
        _ => table.set_dotted(true),
    }
    Item::Table(table)
}

/// After a successful add: records the factory's config path and last choices in the settings
/// file at `path` (never a secret), as `fioreg add` and the wizards do.
pub fn record_add(
    path: &Path,
    factory: &str,
    plan: &crate::plan::Plan,
) -> Result<(), SettingsError> {
    let config = std::path::absolute(&plan.config_path)
        .unwrap_or_else(|_| plan.config_path.clone())
        .display()
        .to_string();
    let mut s = Settings::load(path)?;
    s.remember(
        factory,
        &Remembered {
            config: Some(config),
            provider: plan.provider.type_name().to_string(),
            url: plan.url.clone(),
            secret_name: plan.secret_name.clone(),
        },
    )?;
    s.save()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(dir: &Path, text: &str) -> Settings {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        Settings::load(&path).unwrap()
    }

    fn aws() -> Remembered {
        Remembered {
            config: Some("/home/u/acme/ci-scripts/factory-config.yml".into()),
            provider: "aws".into(),
            url: Some("123456789012.dkr.ecr.us-east-2.amazonaws.com".into()),
            secret_name: "aws_creds".into(),
        }
    }

    #[test]
    fn path_honours_xdg_then_home() {
        assert_eq!(
            path_from_env(Some("/x/cfg".into()), Some("/home/u".into())),
            Some(PathBuf::from("/x/cfg/fioreg/config.toml"))
        );
        assert_eq!(
            path_from_env(None, Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.config/fioreg/config.toml"))
        );
        assert_eq!(
            path_from_env(Some("relative".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.config/fioreg/config.toml"))
        );
        assert_eq!(
            path_from_env(Some("".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.config/fioreg/config.toml"))
        );
        assert_eq!(path_from_env(None, None), None);
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(&dir.path().join("nope/config.toml")).unwrap();
        assert_eq!(s.get("default_factory"), None);
        assert!(s.show().contains("nothing saved yet"), "{}", s.show());
    }

    #[test]
    fn set_get_and_save_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/fioreg/config.toml");
        let mut s = Settings::load(&path).unwrap();
        s.set("default_factory", "acme").unwrap();
        s.remember("acme", &aws()).unwrap();
        s.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "default_factory = \"acme\"\n\
             \n\
             [factories.acme]\n\
             config = \"/home/u/acme/ci-scripts/factory-config.yml\"\n\
             last_provider = \"aws\"\n\
             last_url.aws = \"123456789012.dkr.ecr.us-east-2.amazonaws.com\"\n\
             last_secret_name.aws = \"aws_creds\"\n"
        );
        let again = Settings::load(&path).unwrap();
        assert_eq!(again.get("default_factory").as_deref(), Some("acme"));
        assert_eq!(
            again.get("factories.acme.last_url.aws").as_deref(),
            Some("123456789012.dkr.ecr.us-east-2.amazonaws.com")
        );
        assert_eq!(
            again.get("factories.acme.last_secret_name.aws").as_deref(),
            Some("aws_creds")
        );
        assert_eq!(again.get("factories.acme.last_url.gar"), None);
        assert_eq!(again.show(), text);
    }

    #[cfg(unix)]
    #[test]
    fn save_is_private_and_leaves_no_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fioreg_dir = dir.path().join("fioreg");
        let path = fioreg_dir.join("config.toml");
        let mut s = Settings::load(&path).unwrap();
        s.set("default_factory", "acme").unwrap();
        s.save().unwrap();
        s.set("default_factory", "beta").unwrap();
        s.save().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&fioreg_dir), 0o700);
        let names: Vec<_> = std::fs::read_dir(&fioreg_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "default_factory = \"beta\"\n"
        );
    }

    #[test]
    fn comments_and_blank_lines_survive() {
        let dir = tempfile::tempdir().unwrap();
        let original = "\
# fioreg settings, edited by hand

default_factory = \"beta\"   # my main factory

# the staging factory
[factories.beta]
config = \"/srv/beta/factory-config.yml\"  # keep this path

# old experiments below
";
        let mut s = load_text(dir.path(), original);
        assert_eq!(s.show(), original);
        s.set("factories.beta.last_provider", "gar").unwrap();
        s.set("factories.beta.config", "/srv/beta2/factory-config.yml")
            .unwrap();
        s.remember("acme", &aws()).unwrap();
        let expected = "\
# fioreg settings, edited by hand

default_factory = \"beta\"   # my main factory

# the staging factory
[factories.beta]
config = \"/srv/beta2/factory-config.yml\"  # keep this path
last_provider = \"gar\"

[factories.acme]
config = \"/home/u/acme/ci-scripts/factory-config.yml\"
last_provider = \"aws\"
last_url.aws = \"123456789012.dkr.ecr.us-east-2.amazonaws.com\"
last_secret_name.aws = \"aws_creds\"

# old experiments below
";
        assert_eq!(s.show(), expected);
    }

    #[test]
    fn existing_sections_and_inline_tables_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let original = "\
[factories.acme.last_url]  # urls
generic = \"ghcr.io\"

[factories]
beta = { config = \"/b.yml\" }
";
        let mut s = load_text(dir.path(), original);
        s.set(
            "factories.acme.last_url.aws",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        )
        .unwrap();
        s.set("factories.beta.last_provider", "azure").unwrap();
        s.set("factories.beta.last_url.azure", "acmeprod.azurecr.io")
            .unwrap();
        assert_eq!(
            s.get("factories.acme.last_url.generic").as_deref(),
            Some("ghcr.io")
        );
        assert_eq!(
            s.get("factories.beta.last_url.azure").as_deref(),
            Some("acmeprod.azurecr.io")
        );
        let text = s.show();
        assert!(
            text.starts_with("[factories.acme.last_url]  # urls\ngeneric = \"ghcr.io\"\n"),
            "{text}"
        );
        assert!(
            text.contains("aws = \"123456789012.dkr.ecr.eu-west-1.amazonaws.com\""),
            "{text}"
        );
        assert!(text.contains("beta = { config = \"/b.yml\""), "{text}");
        // The result is still valid TOML.
        text.parse::<DocumentMut>().unwrap();
    }

    #[test]
    fn factories_are_listed_in_file_order_with_their_configs() {
        let dir = tempfile::tempdir().unwrap();
        let s = load_text(
            dir.path(),
            "default_factory = \"b\"\n[factories.zeta]\nconfig = \"/z.yml\"\n\
             [factories.alpha]\nlast_provider = \"aws\"\n[factories]\nbeta = { config = \"/b.yml\" }\n",
        );
        assert_eq!(
            s.factories(),
            vec![
                ("zeta".to_string(), Some("/z.yml".to_string())),
                ("alpha".to_string(), None),
                ("beta".to_string(), Some("/b.yml".to_string())),
            ]
        );
        let empty = load_text(dir.path(), "default_factory = \"b\"\n");
        assert!(empty.factories().is_empty());
    }

    #[test]
    fn bad_toml_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "default_factory = \"acme\"\n[factories.acme\nconfig = 1\n",
        )
        .unwrap();
        let err = Settings::load(&path).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, SettingsError::Syntax { line: 2, .. }),
            "{text}"
        );
        assert!(
            text.starts_with(&format!("{}:2:", path.display())),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");

        std::fs::write(&path, "a = \"unclosed\n").unwrap();
        let err = Settings::load(&path).unwrap_err();
        assert!(
            matches!(err, SettingsError::Syntax { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::load(&dir.path().join("c.toml")).unwrap();
        for key in [
            "colour",
            "factories.acme",
            "factories.acme.last_url",
            "factories.acme.url",
            "factories.acme.config.extra",
        ] {
            let err = s.set(key, "x").unwrap_err();
            assert!(
                matches!(err, SettingsError::UnknownKey { .. }),
                "{key}: {err}"
            );
            assert!(
                err.to_string().contains("factories.<NAME>.last_provider"),
                "{err}"
            );
        }
        assert_eq!(
            s.show(),
            Settings::load(&dir.path().join("c.toml")).unwrap().show()
        );
    }

    #[test]
    fn secrets_are_never_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::load(&dir.path().join("c.toml")).unwrap();
        for key in [
            "password",
            "factories.acme.password",
            "factories.acme.token",
            "factories.acme.last_token.generic",
            "factories.acme.secret_value",
            "factories.acme.aws_access_key_id",
            "factories.acme.key_id",
            "factories.acme.secret",
            "factories.acme.client_secret",
            "factories.acme.Private_Key",
        ] {
            let err = s.set(key, "hunter2").unwrap_err();
            assert!(
                matches!(err, SettingsError::SecretKey { .. }),
                "{key}: {err}"
            );
            let text = err.to_string();
            assert!(text.contains("never saves secrets"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert!(s.show().contains("nothing saved yet"));
    }

    #[test]
    fn values_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::load(&dir.path().join("c.toml")).unwrap();
        let err = s.set("factories.acme.last_provider", "docker").unwrap_err();
        assert!(
            err.to_string().contains("aws, azure, gar or generic"),
            "{err}"
        );
        s.set("factories.acme.last_provider", "gar").unwrap();
        assert!(s.set("factories.acme.last_url.docker", "ghcr.io").is_err());
        assert!(s.set("factories.acme.last_url.aws", "ghcr.io").is_err());
        assert!(
            s.set("factories.acme.last_url.gar", "us-central-1-docker.pkg.dev")
                .is_err()
        );
        s.set("factories.acme.last_url.generic", " GHCR.io ")
            .unwrap();
        assert_eq!(
            s.get("factories.acme.last_url.generic").as_deref(),
            Some("ghcr.io")
        );
        assert!(
            s.set("factories.acme.last_secret_name.aws", "my creds")
                .is_err()
        );
        assert!(s.set("factories.ac me.config", "/x").is_err());
        assert!(s.set("default_factory", "a/b").is_err());
        assert!(s.set("factories.acme.config", "").is_err());
        let bad = Remembered {
            provider: "docker".into(),
            ..aws()
        };
        let before = s.show();
        assert!(s.remember("acme", &bad).is_err());
        let bad = Remembered {
            secret_name: "bad name".into(),
            ..aws()
        };
        assert!(s.remember("acme", &bad).is_err());
        assert_eq!(s.show(), before, "a refused remember changes nothing");
    }

    #[test]
    fn conflicting_structure_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = load_text(dir.path(), "factories = 3\n");
        let err = s.set("factories.acme.config", "/x.yml").unwrap_err();
        assert!(matches!(err, SettingsError::NotATable { .. }), "{err}");
        assert!(err.to_string().contains("`factories`"), "{err}");
    }
}
