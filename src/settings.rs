//! Remembered settings in `~/.config/fioreg/config.toml`: per factory the factory-config.yml
//! path (`factories.<NAME>.config`), which every command and the wizard use when `--config` is
//! not given; never a secret.
//!
//! The file is edited with `toml_edit`, so a user's comments, blank lines and formatting survive;
//! only the lines that change are rewritten.

use std::io::Write;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table, Value};

/// The settings that may be written, as shown when an unknown key is refused.
pub const KNOWN_KEYS: &[&str] = &[
    "factories.<NAME>.config",
    "factories.<NAME>.containers",
    "factories.<NAME>.aws_iam_user",
    "factories.<NAME>.gcp_service_account",
    "factories.<NAME>.azure_identity.<REGISTRY>",
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
    /// `factories.<NAME>.config`: the factory's factory-config.yml.
    Config(String),
    Containers(String),
    /// The IAM user `fioreg add aws --create-user` created (for `rotate --new-key`).
    AwsIamUser(String),
    /// The service account `fioreg add gar --create-service-account` created.
    GcpServiceAccount(String),
    /// The principal (`appId`) or token (`token:NAME`) `add azure --create-principal` made for
    /// the registry `NAME.azurecr.io` (keyed by NAME).
    AzureIdentity(String, String),
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
        match parts.as_slice() {
            ["factories", f, "config"] => Ok(Key::Config(factory(f)?)),
            ["factories", f, "containers"] => Ok(Key::Containers(factory(f)?)),
            ["factories", f, "aws_iam_user"] => Ok(Key::AwsIamUser(factory(f)?)),
            ["factories", f, "gcp_service_account"] => Ok(Key::GcpServiceAccount(factory(f)?)),
            ["factories", f, "azure_identity", r]
                if !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Ok(Key::AzureIdentity(factory(f)?, r.to_ascii_lowercase()))
            }
            _ => Err(unknown()),
        }
    }

    /// The tables leading to the value, and the value's own name.
    fn path(&self) -> (Vec<String>, String) {
        let (f, leaf) = match self {
            Key::Config(f) => (f, "config"),
            Key::Containers(f) => (f, "containers"),
            Key::AwsIamUser(f) => (f, "aws_iam_user"),
            Key::GcpServiceAccount(f) => (f, "gcp_service_account"),
            Key::AzureIdentity(f, r) => {
                let tables = vec!["factories".into(), f.clone(), "azure_identity".into()];
                return (tables, r.clone());
            }
        };
        (vec!["factories".into(), f.clone()], leaf.into())
    }

    /// Checks and normalizes a value for this key.
    fn validate(&self, value: &str) -> Result<String, String> {
        match self {
            Key::Config(_) | Key::Containers(_) => {
                if value.trim().is_empty() {
                    let what = match self {
                        Key::Config(_) => "factory-config.yml",
                        _ => "the containers.git checkout",
                    };
                    return Err(format!("the path of {what} is empty"));
                }
                if value.chars().any(char::is_control) {
                    return Err("the path contains a control character".into());
                }
                Ok(value.to_string())
            }
            Key::AwsIamUser(_) => {
                crate::cloud::aws::validate_user_name(value.trim())?;
                Ok(value.trim().to_string())
            }
            Key::AzureIdentity(_, _) => {
                let v = value.trim();
                let name = v.strip_prefix("token:").unwrap_or(v);
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    Ok(v.to_string())
                } else {
                    Err(format!(
                        "`{v}` is neither a principal's appId nor `token:NAME`"
                    ))
                }
            }
            Key::GcpServiceAccount(_) => {
                let v = value.trim();
                if v.contains('@') && v.ends_with(".iam.gserviceaccount.com") {
                    Ok(v.to_string())
                } else {
                    Err(format!(
                        "`{v}` is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)"
                    ))
                }
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
        let was_empty = self.doc.as_table().is_empty();
        self.set_value(&tables, &leaf, &value)?;
        if was_empty {
            self.hoist_leading_comments();
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
        let dir = crate::factory_config::write::dir_of(&self.path);
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(write_err)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".config.toml.")
            .suffix(".tmp")
            .tempfile_in(dir)
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

    /// Writes `value` at `tables`.`leaf`, creating tables and keeping decoration of a replaced value.
    fn set_value(
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

/// Records one setting of `factory` (`factories.<NAME>.<key>`) in the settings file at `path`:
/// a cloud identity fioreg created (`aws_iam_user`, `gcp_service_account` or
/// `azure_identity.<REGISTRY>`), the config or the containers.git checkout.
pub fn record(path: &Path, factory: &str, key: &str, value: &str) -> Result<(), SettingsError> {
    let mut s = Settings::load(path)?;
    s.set(&format!("factories.{factory}.{key}"), value)?;
    s.save()
}

/// After a successful add: records the factory's config path in the settings file at `path`
/// (never a secret), as `fioreg add` and the wizards do; later runs for that factory use it
/// when `--config` is not given.
pub fn record_add(
    path: &Path,
    factory: &str,
    plan: &crate::plan::Plan,
) -> Result<(), SettingsError> {
    record(path, factory, "config", &absolute(&plan.config_path))
}

/// `p` made absolute (as given when it cannot be), as the settings keep paths.
fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "/home/u/acme/ci-scripts/factory-config.yml";

    fn load_text(dir: &Path, text: &str) -> Settings {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        Settings::load(&path).unwrap()
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
        assert_eq!(s.get("factories.acme.config"), None);
        assert!(s.show().contains("nothing saved yet"), "{}", s.show());
    }

    #[test]
    fn set_get_and_save_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/fioreg/config.toml");
        let mut s = Settings::load(&path).unwrap();
        s.set("factories.beta.config", "/srv/beta/factory-config.yml")
            .unwrap();
        s.set("factories.acme.config", CONFIG).unwrap();
        s.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "[factories.beta]\n\
             config = \"/srv/beta/factory-config.yml\"\n\
             \n\
             [factories.acme]\n\
             config = \"/home/u/acme/ci-scripts/factory-config.yml\"\n"
        );
        let again = Settings::load(&path).unwrap();
        assert_eq!(again.get("factories.acme.config").as_deref(), Some(CONFIG));
        assert_eq!(again.get("factories.gamma.config"), None);
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
        s.set("factories.acme.config", "/a.yml").unwrap();
        s.save().unwrap();
        s.set("factories.acme.config", "/b.yml").unwrap();
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
            "[factories.acme]\nconfig = \"/b.yml\"\n"
        );
    }

    #[test]
    fn comments_and_blank_lines_survive() {
        let dir = tempfile::tempdir().unwrap();
        let original = "\
# fioreg settings, edited by hand

# the staging factory
[factories.beta]
config = \"/srv/beta/factory-config.yml\"  # keep this path

# old experiments below
";
        let mut s = load_text(dir.path(), original);
        assert_eq!(s.show(), original);
        s.set("factories.beta.config", "/srv/beta2/factory-config.yml")
            .unwrap();
        s.set("factories.acme.config", CONFIG).unwrap();
        let expected = "\
# fioreg settings, edited by hand

# the staging factory
[factories.beta]
config = \"/srv/beta2/factory-config.yml\"  # keep this path

[factories.acme]
config = \"/home/u/acme/ci-scripts/factory-config.yml\"

# old experiments below
";
        assert_eq!(s.show(), expected);
    }

    #[test]
    fn existing_sections_and_inline_tables_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let original = "\
[factories.acme]  # the main one
config = \"/a.yml\"

[factories]
beta = { config = \"/b.yml\" }
";
        let mut s = load_text(dir.path(), original);
        s.set("factories.acme.config", "/a2.yml").unwrap();
        s.set("factories.beta.config", "/b2.yml").unwrap();
        assert_eq!(s.get("factories.acme.config").as_deref(), Some("/a2.yml"));
        assert_eq!(s.get("factories.beta.config").as_deref(), Some("/b2.yml"));
        let text = s.show();
        assert!(
            text.starts_with("[factories.acme]  # the main one\nconfig = \"/a2.yml\"\n"),
            "{text}"
        );
        assert!(text.contains("beta = { config = \"/b2.yml\""), "{text}");
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
            "default_factory",
            "factories.acme",
            "factories.acme.last_provider",
            "factories.acme.last_url.aws",
            "factories.acme.url",
            "factories.acme.config.extra",
        ] {
            let err = s.set(key, "x").unwrap_err();
            assert!(
                matches!(err, SettingsError::UnknownKey { .. }),
                "{key}: {err}"
            );
            assert!(
                err.to_string()
                    .ends_with("use one of factories.<NAME>.config, factories.<NAME>.containers, factories.<NAME>.aws_iam_user, factories.<NAME>.gcp_service_account, factories.<NAME>.azure_identity.<REGISTRY>"),
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
        assert!(s.set("factories.ac me.config", "/x").is_err());
        assert!(s.set("factories.acme.config", "").is_err());
        assert!(s.set("factories.acme.config", "/x\x1b[2J.yml").is_err());
        let before = s.show();
        assert!(s.set("factories.a/b.config", CONFIG).is_err());
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

/// Remembers `dir` as the containers.git checkout of `factory` (`factories.<NAME>.containers`,
/// absolute) in the settings file at `path`, as a front end does once the user named it.
pub fn record_containers(path: &Path, factory: &str, dir: &Path) -> Result<(), SettingsError> {
    record(path, factory, "containers", &absolute(dir))
}

#[cfg(test)]
mod containers_key_tests {
    use super::*;

    #[test]
    fn the_containers_checkout_is_a_known_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::load(&dir.path().join("config.toml")).unwrap();
        s.set("factories.acme.containers", "/home/u/acme/containers")
            .unwrap();
        assert_eq!(
            s.get("factories.acme.containers").as_deref(),
            Some("/home/u/acme/containers")
        );
        assert!(matches!(
            s.set("factories.acme.containers", " "),
            Err(SettingsError::InvalidValue { .. })
        ));
        assert!(KNOWN_KEYS.contains(&"factories.<NAME>.containers"));
    }

    #[test]
    fn record_containers_keeps_an_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fioreg/config.toml");
        record_containers(&path, "acme", Path::new("rel/containers")).unwrap();
        let got = Settings::load(&path)
            .unwrap()
            .get("factories.acme.containers")
            .unwrap();
        assert!(Path::new(&got).is_absolute(), "{got}");
        assert!(got.ends_with("rel/containers"), "{got}");
        assert!(record_containers(&path, "bad name", Path::new("x")).is_err());
    }
}
