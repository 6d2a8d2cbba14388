//! The images a Dockerfile makes the builder pull, as BuildKit (which Foundries CI's
//! `docker buildx build` uses, ci-scripts apps/build.sh) reads the file:
//!
//! - parser directives at the very top: `# syntax=IMAGE` pulls a frontend image; `# escape=`
//!   changes the line-continuation character. Directives end at the first comment, blank line
//!   or instruction;
//! - lines ending in the escape character continue; comment lines inside a continuation are
//!   dropped; here-document bodies (`RUN <<EOF ... EOF`) are not instructions;
//! - `ARG NAME[=default]` before the first `FROM` is a global build argument usable in `FROM`
//!   (and, in BuildKit, in `--from=`); a `--build-arg NAME=VALUE` (from `.docker_build_args`)
//!   overrides its default;
//! - `FROM [--platform=P] IMAGE [AS NAME]`, `COPY --from=IMAGE|STAGE|INDEX` and
//!   `RUN --mount=...,from=IMAGE|STAGE`: a name or index of an earlier stage is not an image,
//!   and `scratch` is no image at all;
//! - variables: `$V`, `${V}`, `${V:-word}`, `${V-word}`, `${V:+word}`, `${V+word}`; `\$` is a
//!   literal `$`. A variable the scan cannot know (an ARG without a value, a platform ARG, an
//!   undeclared name) is left in place, so the reference still holds `$` and is reported as
//!   unresolved.

use std::collections::HashMap;

/// How a Dockerfile names an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// `# syntax=` frontend.
    Syntax,
    /// `FROM`.
    From,
    /// `COPY --from=`.
    CopyFrom,
    /// `RUN --mount=...,from=`.
    MountFrom,
}

/// One image reference of a Dockerfile, after variable substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// 1-based line where the instruction starts.
    pub line: usize,
    pub kind: RefKind,
    /// The reference after substitution; may still hold `$` (unresolved).
    pub image: String,
}

impl ImageRef {
    /// A variable could not be substituted.
    pub fn unresolved(&self) -> bool {
        self.image.contains('$')
    }
}

/// One logical instruction: its first line and its text with continuations joined.
struct Instruction {
    line: usize,
    text: String,
}

/// Splits the file into directives and logical instructions.
fn instructions(text: &str) -> (Vec<(usize, String, String)>, Vec<Instruction>) {
    let mut directives = Vec::new();
    let mut escape = '\\';
    let mut out = Vec::new();
    let mut in_directives = true;
    let mut current: Option<Instruction> = None;
    let mut heredocs: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(end) = heredocs.first() {
            let trimmed_tabs = line.trim_start_matches('\t');
            if line == end || trimmed_tabs == end {
                heredocs.remove(0);
            }
            continue;
        }
        let trimmed = line.trim_start();
        if in_directives {
            if let Some(rest) = trimmed.strip_prefix('#')
                && let Some((k, v)) = rest.split_once('=')
            {
                let key = k.trim().to_ascii_lowercase();
                if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    let value = v.trim().to_string();
                    if key == "escape" && (value == "`" || value == "\\") {
                        escape = if value == "`" { '`' } else { '\\' };
                    }
                    directives.push((lineno, key, value));
                    continue;
                }
            }
            in_directives = false;
        }
        if trimmed.starts_with('#') {
            // A comment, also inside a continuation (BuildKit drops it).
            continue;
        }
        let (body, continues) = match line.trim_end().strip_suffix(escape) {
            Some(b) => (b, true),
            None => (line, false),
        };
        match current.as_mut() {
            Some(c) => {
                c.text.push(' ');
                c.text.push_str(body.trim());
            }
            None => {
                if body.trim().is_empty() {
                    continue;
                }
                current = Some(Instruction {
                    line: lineno,
                    text: body.trim().to_string(),
                });
            }
        }
        if !continues && let Some(c) = current.take() {
            heredocs = heredoc_words(&c.text);
            out.push(c);
        }
    }
    if let Some(c) = current.take() {
        out.push(c);
    }
    (directives, out)
}

/// The end words of `<<WORD`, `<<-WORD`, `<<"WORD"` here-documents an instruction opens.
fn heredoc_words(text: &str) -> Vec<String> {
    let (keyword, _) = split_word(text);
    if !matches!(
        keyword.to_ascii_uppercase().as_str(),
        "RUN" | "COPY" | "ADD"
    ) {
        return Vec::new();
    }
    let mut words = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("<<") {
        let after = rest[at + 2..].trim_start_matches('-');
        let after = after.trim_start_matches(['"', '\'']);
        let word: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            words.push(word);
        }
        rest = &rest[at + 2..];
    }
    words
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Strips one level of matching quotes.
fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// Substitutes `vars` into `s` as the Dockerfile shell-word rules do; unknown variables stay.
pub fn substitute(s: &str, vars: &HashMap<String, Option<String>>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let lookup = |name: &str| vars.get(name).cloned().flatten();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
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
            let set = vars.get(name).is_some_and(Option::is_some);
            let replaced = if op.is_empty() {
                value
            } else if let Some(word) = op.strip_prefix(":-") {
                Some(match value.filter(|v| !v.is_empty()) {
                    Some(v) => v,
                    None => substitute(word, vars),
                })
            } else if let Some(word) = op.strip_prefix('-') {
                Some(if set {
                    value.unwrap_or_default()
                } else {
                    substitute(word, vars)
                })
            } else if let Some(word) = op.strip_prefix(":+") {
                Some(if value.as_deref().is_some_and(|v| !v.is_empty()) {
                    substitute(word, vars)
                } else {
                    String::new()
                })
            } else {
                op.strip_prefix('+').map(|word| {
                    if set {
                        substitute(word, vars)
                    } else {
                        String::new()
                    }
                })
            };
            match replaced {
                Some(v) => out.push_str(&v),
                None => out.push_str(&whole),
            }
        } else {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect();
            if name.is_empty() {
                out.push('$');
                i += 1;
                continue;
            }
            i += 1 + name.chars().count();
            match lookup(&name) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('$');
                    out.push_str(&name);
                }
            }
        }
    }
    out
}

/// `ARG A=1 B="2" C`: the names and defaults (`None`: no default).
fn parse_arg(rest: &str) -> Vec<(String, Option<String>)> {
    rest.split_whitespace()
        .map(|word| match word.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(unquote(v).to_string())),
            None => (word.to_string(), None),
        })
        .collect()
}

/// The leading `--flag=value` words of an instruction's arguments, and what follows.
fn flags(rest: &str) -> (Vec<(String, String)>, &str) {
    let mut out = Vec::new();
    let mut rest = rest.trim_start();
    while rest.starts_with("--") {
        let (word, tail) = split_word(rest);
        let (k, v) = word[2..].split_once('=').unwrap_or((&word[2..], ""));
        out.push((k.to_ascii_lowercase(), unquote(v).to_string()));
        rest = tail;
    }
    (out, rest)
}

/// What [`parse`] found: the image references and the stage names, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub images: Vec<ImageRef>,
    /// `AS` names of the stages, lowercase (`None` for an unnamed stage).
    pub stages: Vec<Option<String>>,
}

/// The images a build of `text` pulls. `build_args` are the `--build-arg NAME=VALUE` pairs CI
/// passes (from `.docker_build_args`).
pub fn parse(text: &str, build_args: &HashMap<String, String>) -> Parsed {
    let (directives, instrs) = instructions(text);
    let mut parsed = Parsed::default();
    for (line, key, value) in &directives {
        if key == "syntax" && !value.is_empty() {
            parsed.images.push(ImageRef {
                line: *line,
                kind: RefKind::Syntax,
                image: value.clone(),
            });
        }
    }
    // Global ARGs: set only before the first FROM. A build arg overrides a default; an ARG
    // without a default and without a build arg is unknown (left unresolved).
    let mut globals: HashMap<String, Option<String>> = HashMap::new();
    let mut seen_from = false;
    // Is `name` an earlier stage (by name, or by index for --from)?
    let is_stage = |stages: &[Option<String>], name: &str, by_index: bool| {
        let lower = name.to_ascii_lowercase();
        stages.iter().any(|s| s.as_deref() == Some(lower.as_str()))
            || (by_index && name.parse::<usize>().is_ok_and(|i| i < stages.len()))
    };
    for ins in &instrs {
        let (keyword, rest) = split_word(&ins.text);
        match keyword.to_ascii_uppercase().as_str() {
            "ARG" if !seen_from => {
                for (name, default) in parse_arg(rest) {
                    let value = build_args
                        .get(&name)
                        .cloned()
                        .or_else(|| default.map(|d| substitute(&d, &globals)));
                    globals.insert(name, value);
                }
            }
            "FROM" => {
                seen_from = true;
                let (_, rest) = flags(rest);
                let (image, tail) = split_word(rest);
                let image = substitute(image, &globals);
                let (as_kw, name) = split_word(tail);
                let stage_name = as_kw
                    .eq_ignore_ascii_case("as")
                    .then(|| split_word(name).0.to_ascii_lowercase())
                    .filter(|n| !n.is_empty());
                let earlier = is_stage(&parsed.stages, &image, false);
                if !image.is_empty() && !earlier && !image.eq_ignore_ascii_case("scratch") {
                    parsed.images.push(ImageRef {
                        line: ins.line,
                        kind: RefKind::From,
                        image,
                    });
                }
                parsed.stages.push(stage_name);
            }
            "COPY" => {
                let (fl, _) = flags(rest);
                for (k, v) in fl {
                    if k == "from" && !v.is_empty() {
                        let v = substitute(&v, &globals);
                        if !is_stage(&parsed.stages, &v, true) {
                            parsed.images.push(ImageRef {
                                line: ins.line,
                                kind: RefKind::CopyFrom,
                                image: v,
                            });
                        }
                    }
                }
            }
            "RUN" => {
                let (fl, _) = flags(rest);
                for (k, v) in fl {
                    if k != "mount" {
                        continue;
                    }
                    for opt in v.split(',') {
                        if let Some((ok, ov)) = opt.split_once('=')
                            && ok.trim().eq_ignore_ascii_case("from")
                            && !ov.trim().is_empty()
                        {
                            let ov = substitute(unquote(ov.trim()), &globals);
                            if !is_stage(&parsed.stages, &ov, true) {
                                parsed.images.push(ImageRef {
                                    line: ins.line,
                                    kind: RefKind::MountFrom,
                                    image: ov,
                                });
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str, args: &[(&str, &str)]) -> Vec<(usize, RefKind, String)> {
        let args = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(text, &args)
            .images
            .into_iter()
            .map(|r| (r.line, r.kind, r.image))
            .collect()
    }

    #[test]
    fn multi_stage_with_copy_from_and_mounts() {
        let text = "\
# syntax=docker/dockerfile:1.7
FROM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache \\
    --mount=type=bind,from=ghcr.io/acme/tools:2,source=/bin,target=/t go build
FROM build AS test
COPY --from=build /out /out
COPY --from=0 /out /out2
COPY --from=quay.io/acme/certs:1 /certs /certs
RUN --mount=from=test,target=/x true
FROM scratch
COPY --from=BUILD /app /app
";
        assert_eq!(
            images(text, &[]),
            vec![
                (1, RefKind::Syntax, "docker/dockerfile:1.7".into()),
                (2, RefKind::From, "golang:1.22".into()),
                (3, RefKind::MountFrom, "ghcr.io/acme/tools:2".into()),
                (8, RefKind::CopyFrom, "quay.io/acme/certs:1".into()),
            ]
        );
    }

    #[test]
    fn global_args_defaults_and_overrides() {
        let text = "\
ARG REG=ghcr.io/acme
ARG TAG=1.0 DISTRO
ARG BASE=${REG}/base:${TAG}
FROM ${BASE}
FROM $REG/other:${TAG:-9}
FROM ${DISTRO:-debian}:12
FROM ${DISTRO}:12
FROM --platform=$BUILDPLATFORM ${REG}/x:${TARGETARCH}
ARG LATE=ignored
FROM ${LATE:-alpine}
";
        assert_eq!(
            images(text, &[]),
            vec![
                (4, RefKind::From, "ghcr.io/acme/base:1.0".into()),
                (5, RefKind::From, "ghcr.io/acme/other:1.0".into()),
                (6, RefKind::From, "debian:12".into()),
                (7, RefKind::From, "${DISTRO}:12".into()),
                (8, RefKind::From, "ghcr.io/acme/x:${TARGETARCH}".into()),
                (10, RefKind::From, "alpine".into()),
            ]
        );
        let over = images(text, &[("TAG", "2.5"), ("DISTRO", "ubuntu")]);
        assert_eq!(over[0].2, "ghcr.io/acme/base:2.5");
        assert_eq!(over[2].2, "ubuntu:12");
        assert_eq!(over[3].2, "ubuntu:12");
    }

    #[test]
    fn directives_comments_continuations_heredocs() {
        let text = "\
# escape=`
# syntax=docker/dockerfile:1
FROM `
  # a comment inside the continuation
  alpine:3.19
RUN <<EOF
FROM not-an-image
EOF
COPY <<-END /x
\tFROM also-not
\tEND
FROM debian
";
        let got = images(text, &[]);
        assert_eq!(
            got,
            vec![
                (2, RefKind::Syntax, "docker/dockerfile:1".into()),
                (3, RefKind::From, "alpine:3.19".into()),
                (12, RefKind::From, "debian".into()),
            ]
        );
        // A directive after a comment is a comment.
        let got = images("# hello\n# syntax=x/y\nFROM a\n", &[]);
        assert_eq!(got, vec![(3, RefKind::From, "a".into())]);
    }

    #[test]
    fn substitution_rules() {
        let vars: HashMap<String, Option<String>> = [
            ("A".to_string(), Some("a".to_string())),
            ("E".to_string(), Some(String::new())),
            ("U".to_string(), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(substitute("${A}-$A-${A:-x}-${A:+y}", &vars), "a-a-a-y");
        assert_eq!(substitute("${E:-x}|${E-x}|${E:+y}|${E+y}", &vars), "x|||y");
        assert_eq!(substitute("${N:-d}|${N-d}|${N:+y}", &vars), "d|d|");
        assert_eq!(substitute("$U/${U}/\\$A", &vars), "$U/${U}/$A");
        assert!(parse("FROM ${NOPE}/x\n", &HashMap::new()).images[0].unresolved());
    }
}
