//! The images of a compose app, as Foundries CI reads them.
//!
//! ci-scripts apps/compose_apps.py (`ComposeApps.App.images`): the file is read with
//! `yaml.safe_load` (anchors, aliases and `<<` merge keys resolved), every
//! `services.<name>.image` is required (a service without one raises KeyError and fails the
//! build), and each value goes through `expandvars`, which expands `$VAR`, `${VAR}`,
//! `${VAR-default}` and `${VAR:-default}` from CI's environment, where `FACTORY` is the
//! factory's name. Other variables are not known to the scan: a reference still holding `$` is
//! reported as unresolved.

use serde_yaml::Value;

/// One `services.<name>.image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceImage {
    pub service: String,
    /// 1-based line of the `image:` that gave the value (through an anchor: the anchor's line).
    pub line: usize,
    /// The value after expansion; may still hold `$` (unresolved).
    pub image: String,
}

/// A compose file CI cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    pub line: usize,
    pub message: String,
}

/// What [`parse`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub images: Vec<ServiceImage>,
    /// Services without `image:` (CI fails on them), with their lines.
    pub missing_image: Vec<(String, usize)>,
}

/// Resolves `<<` merge keys everywhere, innermost first (as PyYAML's safe_load does); an
/// explicit key wins over a merged one, and earlier merge sources win over later ones.
fn merge_keys(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            for (_, child) in m.iter_mut() {
                merge_keys(child);
            }
            if let Some(merge) = m.remove("<<") {
                let sources = match merge {
                    Value::Sequence(s) => s,
                    other => vec![other],
                };
                for source in sources {
                    if let Value::Mapping(src) = source {
                        for (k, val) in src {
                            if !m.contains_key(&k) {
                                m.insert(k, val);
                            }
                        }
                    }
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(merge_keys),
        Value::Tagged(t) => merge_keys(&mut t.value),
        _ => {}
    }
}

/// Expands variables as python-expandvars does, with only `FACTORY` known.
pub fn expand(s: &str, factory: Option<&str>) -> String {
    let lookup = |name: &str| -> Option<String> {
        (name == "FACTORY")
            .then(|| factory.map(str::to_string))
            .flatten()
    };
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + close].iter().collect();
            let whole: String = chars[i..i + 3 + close].iter().collect();
            i += 3 + close;
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            let value = lookup(name);
            let replaced = if op.is_empty() {
                value
            } else if let Some(word) = op.strip_prefix(":-") {
                Some(
                    value
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| expand(word, factory)),
                )
            } else {
                op.strip_prefix('-')
                    .map(|word| value.unwrap_or_else(|| expand(word, factory)))
            };
            out.push_str(&replaced.unwrap_or(whole));
        } else {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect();
            i += 1 + name.chars().count();
            match lookup(&name) {
                Some(v) if !name.is_empty() => out.push_str(&v),
                _ => {
                    out.push('$');
                    out.push_str(&name);
                }
            }
        }
    }
    out
}

/// The value of an `image:` line as written (quotes and a trailing comment removed).
fn image_line_value(line: &str) -> Option<String> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
    let rest = t
        .strip_prefix("image")
        .or_else(|| t.strip_prefix("\"image\""))
        .or_else(|| t.strip_prefix("'image'"))?;
    let rest = rest.trim_start().strip_prefix(':')?;
    let mut v = rest.trim();
    if let Some(hash) = v.find(" #") {
        v = v[..hash].trim_end();
    }
    // An anchor on the value: `image: &img ghcr.io/x`.
    if let Some(anchored) = v.strip_prefix('&') {
        v = anchored.split_once(' ').map_or("", |(_, r)| r.trim_start());
    }
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return Some(inner.to_string());
        }
    }
    Some(v.to_string())
}

/// The line of `  NAME:` under `services:` (or 1).
fn service_line(text: &str, service: &str) -> usize {
    let mut in_services = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            in_services = line.trim_end().starts_with("services:");
            continue;
        }
        if in_services {
            let t = line.trim();
            let key = t
                .split_once(':')
                .map(|(k, _)| k.trim().trim_matches(['"', '\'']));
            if key == Some(service) {
                return i + 1;
            }
        }
    }
    1
}

/// Reads a docker-compose.yml. `Err` when the YAML cannot be read at all.
pub fn parse(text: &str, factory: Option<&str>) -> Result<Parsed, ComposeError> {
    let mut value: Value = serde_yaml::from_str(text).map_err(|e| ComposeError {
        line: e.location().map_or(1, |l| l.line()),
        message: e.to_string(),
    })?;
    merge_keys(&mut value);
    let mut lines_by_value: Vec<(String, usize)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = image_line_value(line) {
            lines_by_value.push((v, i + 1));
        }
    }
    let mut parsed = Parsed::default();
    let Some(services) = value.get("services").and_then(Value::as_mapping) else {
        return Err(ComposeError {
            line: 1,
            message: "there is no `services:` mapping".into(),
        });
    };
    for (name, svc) in services {
        let name = match name {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        match svc.get("image") {
            Some(Value::String(raw)) => {
                let line = lines_by_value
                    .iter()
                    .find(|(v, _)| v == raw)
                    .map(|(_, l)| *l)
                    .unwrap_or_else(|| service_line(text, &name));
                parsed.images.push(ServiceImage {
                    service: name,
                    line,
                    image: expand(raw, factory),
                });
            }
            _ => {
                let line = service_line(text, &name);
                parsed.missing_image.push((name, line));
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables() {
        let f = Some("acme");
        assert_eq!(
            expand("hub.foundries.io/${FACTORY}/app:latest", f),
            "hub.foundries.io/acme/app:latest"
        );
        assert_eq!(expand("$FACTORY", f), "acme");
        assert_eq!(expand("${TAG-1.0}|${TAG:-2.0}", f), "1.0|2.0");
        assert_eq!(expand("x:${TAG}", f), "x:${TAG}");
        assert_eq!(expand("x:$TAG", f), "x:$TAG");
        assert_eq!(expand("${FACTORY}", None), "${FACTORY}");
    }

    #[test]
    fn anchors_merges_and_lines() {
        let text = "\
x-common: &common
  image: ghcr.io/acme/base:${TAG:-1}
  restart: always
services:
  a:
    <<: *common
  b:
    <<: *common
    image: \"redis:7\"   # pinned
  c:
    image: &shared hub.foundries.io/${FACTORY}/c:latest
  d:
    image: *shared
  e:
    build: .
";
        let p = parse(text, Some("acme")).unwrap();
        let got: Vec<(&str, usize, &str)> = p
            .images
            .iter()
            .map(|s| (s.service.as_str(), s.line, s.image.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", 2, "ghcr.io/acme/base:1"),
                ("b", 9, "redis:7"),
                ("c", 11, "hub.foundries.io/acme/c:latest"),
                ("d", 11, "hub.foundries.io/acme/c:latest"),
            ]
        );
        assert_eq!(p.missing_image, vec![("e".to_string(), 14)]);
    }

    #[test]
    fn errors() {
        let e = parse("services:\n  a: [\n", None).unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        assert!(parse("version: '3'\n", None).is_err());
    }
}
