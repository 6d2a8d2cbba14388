//! factory-config.yml: find it, parse it strictly, read its `container_registries`, edit it
//! without touching any byte outside the edit, show the diff and write it atomically.

pub mod diff;
pub mod edit;
pub mod lint;
pub mod write;

use crate::provider::Provider;
use serde_yaml::Value;
use std::fmt;
use std::path::{Path, PathBuf};

pub use edit::{Change, Edited};

/// The key Foundries CI reads.
pub const KEY: &str = "container_registries";

/// A problem with the file itself: where it is and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{path}: not found. Pass --config PATH, or run fioreg in your factory's ci-scripts checkout"
    )]
    NotFound { path: String },
    #[error("{path}: cannot read it: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the file is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    /// A YAML syntax error or a structure CI cannot read.
    #[error("{}", .0)]
    Invalid(Box<Located>),
}

/// An error tied to a place in the file, shown like a compiler error.
#[derive(Debug)]
pub struct Located {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub reason: String,
    pub source_line: Option<String>,
    pub fix: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.reason
        )?;
        if let Some(src) = &self.source_line {
            let gutter = self.line.to_string().len();
            write!(f, "\n{:gutter$} |\n{} | {}", "", self.line, src)?;
            write!(
                f,
                "\n{:gutter$} | {:>col$}",
                "",
                "^",
                col = self.column.max(1)
            )?;
        }
        write!(f, "\nfix: {}", self.fix)
    }
}

/// One item of `container_registries`, as CI would read it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    /// Position in the sequence.
    pub index: usize,
    /// 1-based line of the item's first key.
    pub line: usize,
    /// The `type:` value as written (may be unknown to CI).
    pub kind: String,
    pub provider: Option<Provider>,
    pub url: Option<String>,
    pub region: Option<String>,
    /// The value of this type's `*_secret_name` key.
    pub secret_name: Option<String>,
    /// Every key/value of the item, as text, in file order.
    pub fields: Vec<(String, String)>,
}

/// Line endings and indentation the file already uses, so new lines look like their neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    pub newline: &'static str,
    /// Spaces per mapping level.
    pub indent: usize,
    /// Whether `- item` lines are indented under their parent key (`key:\n  - a`) or not (`key:\n- a`).
    pub indented_sequences: bool,
}

/// A parsed factory-config.yml.
#[derive(Debug, Clone)]
pub struct FactoryConfig {
    pub path: PathBuf,
    /// The file's text, without a leading UTF-8 byte-order mark (see [`FactoryConfig::original`]).
    pub text: String,
    /// The file starts with a UTF-8 byte-order mark (as some Windows editors save it); it is
    /// kept in the written file.
    pub bom: bool,
    pub(crate) value: Value,
    pub registries: Vec<RegistryEntry>,
    pub style: Style,
}

impl FactoryConfig {
    /// Reads and strictly parses the file at `path`.
    pub fn load(path: &Path) -> Result<FactoryConfig, ConfigError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ConfigError::NotFound {
                path: shown.clone(),
            },
            _ => ConfigError::Read {
                path: shown.clone(),
                source: e,
            },
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::NotUtf8 {
            path: shown.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        Self::parse(path, text)
    }

    /// Parses `text` as the contents of `path`.
    pub fn parse(path: &Path, text: String) -> Result<FactoryConfig, ConfigError> {
        let shown = path.display().to_string();
        // CI's YAML reader skips a byte-order mark; serde_yaml takes it for a second document.
        let (bom, text) = match text.strip_prefix('\u{feff}') {
            Some(body) => (true, body.to_string()),
            None => (false, text),
        };
        let value = strict_parse(&shown, &text)?;
        let registries = read_registries(&shown, &text, &value)?;
        let style = Style::detect(&text);
        Ok(FactoryConfig {
            path: path.to_path_buf(),
            text,
            bom,
            value,
            registries,
            style,
        })
    }

    /// The file's bytes as they are on disk (with its byte-order mark, if any).
    pub fn original(&self) -> String {
        if self.bom {
            format!("\u{feff}{}", self.text)
        } else {
            self.text.clone()
        }
    }

    /// The entries whose type is `provider`.
    pub fn entries_of(&self, provider: Provider) -> impl Iterator<Item = &RegistryEntry> {
        self.registries
            .iter()
            .filter(move |e| e.provider == Some(provider))
    }

    /// The entry with this url (compared without case), if any.
    /// Docker Hub, asked for by any of its names (`docker.io`, `index.docker.io`, ...), is also
    /// found in a generic entry written with another of them.
    pub fn entry_by_url(&self, url: &str) -> Option<&RegistryEntry> {
        use crate::provider::generic::{DOCKER_HUB, docker_hub_alias};
        let hub = |u: &str| u.eq_ignore_ascii_case(DOCKER_HUB) || docker_hub_alias(u);
        let exact = self.registries.iter().find(|e| {
            e.url
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(url))
        });
        if exact.is_some() || !hub(url) {
            return exact;
        }
        // Of several, the one written as `docker.io`: the only one CI's pulls use.
        let hubs: Vec<&RegistryEntry> = (self.entries_of(Provider::Generic))
            .filter(|e| e.url.as_deref().is_some_and(hub))
            .collect();
        let written = hubs.iter().find(|e| {
            e.url
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(DOCKER_HUB))
        });
        written.or(hubs.first()).copied()
    }
}

/// serde_yaml's strict parse, with its error turned into file:line:column and a fix.
fn strict_parse(path: &str, text: &str) -> Result<Value, ConfigError> {
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Value::Mapping(Default::default())),
        Ok(v @ Value::Mapping(_)) => Ok(v),
        Ok(_) => Err(located(
            path,
            text,
            first_content_line(text),
            1,
            "the top level is not a mapping of keys (notify:, lmp:, containers:, ...)".into(),
            "factory-config.yml must be a YAML mapping; check that the file is the factory definition",
        )),
        Err(e) => {
            let msg = e.to_string();
            let (mut line, mut column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let mut reason = msg.clone();
            // An unclosed quote is reported at the end of the file; point at where it opens.
            if let Some((head, start)) = msg.split_once(", while scanning a quoted scalar at ")
                && let Some((l, c)) = parse_line_col(start)
            {
                (line, column) = (l, c);
                reason = format!("a quoted string starts here and is never closed ({head})");
            } else if let Some(key) = msg
                .strip_prefix("duplicate entry with key \"")
                .and_then(|r| r.strip_suffix('"'))
                && let Some(l) = duplicate_key_line(text, key)
            {
                (line, column) = (l, 1);
                reason = format!("the key `{key}` appears twice in the same mapping");
            } else if let Some(at) = reason.find(" at line ") {
                reason.truncate(at);
            }
            Err(located(
                path,
                text,
                line,
                column,
                reason,
                "correct the YAML at that place (indentation, quotes, a `key: value` per line); \
                 nothing was written and fioctl was not called",
            ))
        }
    }
}

fn parse_line_col(s: &str) -> Option<(usize, usize)> {
    let rest = s.strip_prefix("line ")?;
    let (l, rest) = rest.split_once(" column ")?;
    let c: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// The line of the second `key:` at the same indentation, for serde_yaml's location-less error.
fn duplicate_key_line(text: &str, key: &str) -> Option<usize> {
    let mut seen: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start().trim_start_matches("- ");
        let k = body
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        if k == key && body.contains(':') {
            if seen.contains(&indent) {
                return Some(i + 1);
            }
            seen.push(indent);
        }
    }
    None
}

fn first_content_line(text: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map_or(1, |i| i + 1)
}

fn located(
    path: &str,
    text: &str,
    line: usize,
    column: usize,
    reason: String,
    fix: &str,
) -> ConfigError {
    let source_line = text
        .lines()
        .nth(line.saturating_sub(1))
        .map(|l| l.trim_end_matches('\r').to_string());
    ConfigError::Invalid(Box::new(Located {
        path: path.to_string(),
        line,
        column,
        reason,
        source_line,
        fix: fix.to_string(),
    }))
}

/// Scalars as CI's Python would see them, as text; `None` for mappings and sequences.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Line numbers of each item of a plain top-level `container_registries` block list, read from
/// the text: every `- key...` line at the items' indentation, comment and blank lines skipped,
/// up to the first less-indented line. `None` (ask the lossless tree) unless that finds exactly
/// `count` items (the strict parse's count), each with its first key on its dash line.
fn item_lines_quick(text: &str, count: usize) -> Option<Vec<usize>> {
    if !edit::starts_as_block_list(text) {
        return None;
    }
    let (start, end) = edit::key_line(text)?;
    let key_no = line_of(text, start);
    let mut dash_indent = None;
    let mut out = Vec::with_capacity(count);
    for (i, line) in text[end..].lines().enumerate() {
        let body = line.trim_start_matches(' ');
        if body.starts_with('\t') {
            return None;
        }
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let d = *dash_indent.get_or_insert(indent);
        if indent < d {
            break;
        }
        if indent == d {
            let Some(rest) = body.strip_prefix('-') else {
                break;
            };
            let value = rest.trim();
            if !rest.starts_with(' ') || value.is_empty() || value.starts_with('#') {
                return None;
            }
            out.push(key_no + 1 + i);
        }
    }
    (out.len() == count).then_some(out)
}

/// Line numbers of each item of the top-level `container_registries` block, from the lossless tree.
fn item_lines(text: &str) -> Vec<usize> {
    let Ok((_, Some(seq))) = edit::lossless(text) else {
        return Vec::new();
    };
    seq.values()
        .map(|item| line_of(text, item.byte_range().start as usize))
        .collect()
}

/// 1-based line of the top-level `container_registries:` key, if the file has one.
pub(crate) fn key_line_no(text: &str) -> Option<usize> {
    edit::key_line(text).map(|(start, _)| line_of(text, start))
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn read_registries(
    path: &str,
    text: &str,
    value: &Value,
) -> Result<Vec<RegistryEntry>, ConfigError> {
    let key_line = || key_line_no(text).unwrap_or(1);
    let items = match value.get(KEY) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            return Err(located(
                path,
                text,
                key_line(),
                1,
                format!("`{KEY}` is not a list"),
                "write it as a list of entries, each starting with `- type: ...`",
            ));
        }
    };
    // The lossless parse is the costly part of reading a big file: only when the text is unusual.
    let lines = item_lines_quick(text, items.len()).unwrap_or_else(|| item_lines(text));
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or_else(key_line);
        let Value::Mapping(map) = item else {
            return Err(located(
                path,
                text,
                line,
                1,
                format!("item {} of `{KEY}` is not a mapping", index + 1),
                "each entry is a mapping such as `- type: generic` followed by `url:` and the \
                 secret name key",
            ));
        };
        let fields: Vec<(String, String)> = map
            .iter()
            .filter_map(|(k, v)| Some((scalar_text(k)?, scalar_text(v).unwrap_or_default())))
            .collect();
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let kind = get("type").unwrap_or_default();
        let provider = Provider::from_type_name(&kind);
        out.push(RegistryEntry {
            index,
            line,
            secret_name: provider.and_then(|p| get(p.secret_key())),
            url: get("url"),
            region: get("region"),
            kind,
            provider,
            fields,
        });
    }
    Ok(out)
}

impl Style {
    /// Reads the file's own conventions; defaults follow Foundries' documented examples.
    pub fn detect(text: &str) -> Style {
        let crlf = text.contains("\r\n");
        let lone_lf = text
            .as_bytes()
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || text.as_bytes()[i - 1] != b'\r'));
        let newline = if crlf && !lone_lf { "\r\n" } else { "\n" };

        let content: Vec<(usize, &str)> = text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| {
                let t = l.trim_start();
                !t.is_empty() && !t.starts_with('#')
            })
            .map(|l| (l.len() - l.trim_start().len(), l.trim_start()))
            .collect();
        let mut indent = None;
        let mut indented_sequences = None;
        for pair in content.windows(2) {
            let ((pi, prev), (ci, cur)) = (pair[0], pair[1]);
            let opens_block = prev.ends_with(':') && !prev.starts_with("- ");
            if !opens_block {
                continue;
            }
            if cur.starts_with("- ") || cur == "-" {
                // Prefer what the registries block itself does.
                let this = ci > pi;
                if prev.starts_with(KEY) || indented_sequences.is_none() {
                    indented_sequences = Some(this);
                }
            } else if ci > pi && indent.is_none() {
                indent = Some(ci - pi);
            }
        }
        Style {
            newline,
            indent: indent.unwrap_or(2).clamp(1, 8),
            indented_sequences: indented_sequences.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_lines_from_the_text_match_the_lossless_tree() {
        let cases = [
            "container_registries:\n- type: gar\n  gar_creds_secret_name: g\n",
            "a: 1\n\ncontainer_registries:  # ours\n  # first\n  - type: generic   # gh\n    url: ghcr.io\n# prod\n  - type: azure\n    url: \"x.azurecr.io\"\n\nb:\n- 1\n",
            "container_registries:\r\n- type: gar\r\n  gar_creds_secret_name: g\r\n- type: aws\r\n  url: u\r\nz: 1\r\n",
            "container_registries:\n- type: generic\n  url: |\n    - not an item\n  generic_secret_name: a\n- type: gar\n",
        ];
        for text in cases {
            let value: Value = serde_yaml::from_str(text).unwrap();
            let count = value.get(KEY).and_then(Value::as_sequence).unwrap().len();
            assert_eq!(
                item_lines_quick(text, count),
                Some(item_lines(text)),
                "{text:?}"
            );
        }
        // Left to the lossless tree: a dash alone on its line, a flow list, a wrong count.
        assert_eq!(
            item_lines_quick("container_registries:\n-\n  type: gar\n", 1),
            None
        );
        assert_eq!(
            item_lines_quick("container_registries: [{a: 1}]\n", 1),
            None
        );
        assert_eq!(
            item_lines_quick("container_registries:\n- type: gar\n", 2),
            None
        );
    }

    fn parse(text: &str) -> Result<FactoryConfig, ConfigError> {
        FactoryConfig::parse(Path::new("factory-config.yml"), text.to_string())
    }

    #[test]
    fn docker_hub_is_found_by_any_of_its_names_in_generic_entries_only() {
        let hub = |text: &str, asked: &str| {
            let cfg = parse(text).unwrap();
            cfg.entry_by_url(asked).map(|e| e.line)
        };
        let alias = "container_registries:\n- type: aws\n  url: index.docker.io\n- type: generic\n  url: https://index.docker.io/v1/\n";
        assert_eq!(hub(alias, "docker.io"), Some(4), "the generic one");
        assert_eq!(hub(alias, "Registry-1.Docker.IO"), Some(4));
        assert_eq!(hub(alias, "index.docker.io"), Some(2), "an exact url wins");
        assert_eq!(hub(alias, "ghcr.io"), None);
        // Of two Docker Hub entries, the one written as docker.io (the one CI's pulls use).
        let two = "container_registries:\n- type: generic\n  url: index.docker.io\n- type: generic\n  url: DOCKER.IO\n";
        assert_eq!(hub(two, "registry-1.docker.io"), Some(4));
        assert_eq!(hub(two, "docker.io"), Some(4));
        let none = "container_registries:\n- type: generic\n  url: ghcr.io\n";
        assert_eq!(hub(none, "docker.io"), None);
    }

    #[test]
    fn reads_entries_with_lines() {
        let cfg = parse(
            "notify: {}\ncontainer_registries:\n# c\n- type: aws\n  region: us-east-2\n  url: 1.dkr\n  aws_creds_secret_name: aws_creds\n- type: docker\n  url: x\n",
        )
        .unwrap();
        assert_eq!(cfg.registries.len(), 2);
        let a = &cfg.registries[0];
        assert_eq!(
            (a.line, a.provider, a.secret_name.as_deref()),
            (4, Some(Provider::Aws), Some("aws_creds"))
        );
        assert_eq!(a.region.as_deref(), Some("us-east-2"));
        let b = &cfg.registries[1];
        assert_eq!((b.line, b.kind.as_str(), b.provider), (8, "docker", None));
    }

    #[test]
    fn unclosed_quote_points_at_its_start() {
        let err = parse("a: 1\nb: \"oops\nc: 2\n").unwrap_err().to_string();
        assert!(
            err.starts_with("factory-config.yml:2:4: a quoted string starts here"),
            "{err}"
        );
        assert!(err.contains("2 | b: \"oops"), "{err}");
        assert!(err.contains("fix: "), "{err}");
    }

    #[test]
    fn bad_indentation_is_located() {
        let err = parse("a: 1\n  b: 2\n").unwrap_err().to_string();
        assert!(
            err.starts_with("factory-config.yml:2:4: mapping values are not allowed"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_key_names_the_second_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err().to_string();
        assert!(
            err.starts_with("factory-config.yml:3:1: the key `a` appears twice"),
            "{err}"
        );
    }

    #[test]
    fn registries_must_be_a_list_of_mappings() {
        let err = parse("x: 1\ncontainer_registries: aws\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("factory-config.yml:2:1: `container_registries` is not a list"),
            "{err}"
        );
        let err = parse("container_registries:\n- aws\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("item 1 of `container_registries` is not a mapping"),
            "{err}"
        );
        assert!(
            parse("- a\n- b\n")
                .unwrap_err()
                .to_string()
                .contains("not a mapping of keys")
        );
    }

    #[test]
    fn empty_and_comment_only_files_are_empty_configs() {
        assert!(parse("").unwrap().registries.is_empty());
        assert!(parse("# only a comment\n").unwrap().registries.is_empty());
        assert!(
            parse("container_registries: []\n")
                .unwrap()
                .registries
                .is_empty()
        );
    }

    #[test]
    fn style_detection() {
        let s = Style::detect("a:\r\n  b:\r\n  - x\r\n");
        assert_eq!(
            s,
            Style {
                newline: "\r\n",
                indent: 2,
                indented_sequences: false
            }
        );
        let s = Style::detect("lmp:\n    machines:\n      - x\n");
        assert_eq!(
            s,
            Style {
                newline: "\n",
                indent: 4,
                indented_sequences: true
            }
        );
        let s = Style::detect("mixed:\r\n  b: 1\n");
        assert_eq!(s.newline, "\n");
    }
}
