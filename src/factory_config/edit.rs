//! Comment-preserving edits of `container_registries`.
//!
//! Every edit is made on the lossless tree of yaml-edit (or, where yaml-edit would write a flow
//! collection, by inserting lines in the file's own style), then checked twice before anyone may
//! write it: the strict re-parse must equal the old document plus exactly the intended change, and
//! no line outside the edited entry may have been removed or altered.

use super::{FactoryConfig, KEY, Style, scalar_text};
use serde_yaml::{Mapping, Value};
use std::str::FromStr;
use yaml_edit::{ScalarStyle, ScalarValue, YamlFile};

/// An intended change of `container_registries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Append an entry with these fields, in this order.
    Add { fields: Vec<(String, String)> },
    /// Set these fields of the entry at `index` (others and their comments stay).
    Update {
        index: usize,
        fields: Vec<(String, String)>,
    },
    /// Remove the entry at `index` with its own comment lines.
    Remove { index: usize },
}

/// The outcome of a verified edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
}

/// The edit could not be made safely; nothing may be written.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("entry {0} of container_registries does not exist")]
    NoSuchEntry(usize),
    #[error(
        "line {line}: container_registries is written as a flow list ([{{...}}, ...]); fioreg \
         edits block lists only. Rewrite it as a block list (each entry starting with `- type:` \
         on its own line) and run again (nothing was written)"
    )]
    FlowList { line: usize },
    #[error(
        "internal error: the edited factory-config.yml failed its safety check ({0}); nothing was \
         written. Please report this with the file attached"
    )]
    Unsafe(String),
}

impl FactoryConfig {
    /// Makes `change` in a copy of the text and verifies it.
    pub fn edit(&self, change: &Change) -> Result<Edited, EditError> {
        // A flow list (`[{...}, ...]`) on one line takes an added entry; anything else in one
        // is refused with the way out, before any attempt.
        let one_line_add = matches!(change, Change::Add { .. })
            && key_line(&self.text).is_some_and(|(start, end)| {
                let line = &self.text[start..end];
                line.contains('[') && line.contains(']')
            });
        if !one_line_add && self.flow_list()? {
            return Err(EditError::FlowList {
                line: super::key_line_no(&self.text).unwrap_or(1),
            });
        }
        // Adding to a plain block list: the new item goes in as text after the last item, in
        // the items' own indentation, without building the lossless tree (which costs much on a
        // big file). Only when the result passes the same checks; else the general path below.
        if let Change::Add { fields } = change
            && let Some(text) = self.append_after_last_item(fields)
        {
            let mut text = fix_newlines(&text, self.style.newline);
            if self.verify(change, &text).is_ok() {
                if self.bom {
                    text.insert(0, '\u{feff}');
                }
                return Ok(Edited { text });
            }
        }
        let text = match change {
            Change::Add { fields } => self.add_text(fields)?,
            Change::Update { index, fields } => self.update_text(*index, fields)?,
            Change::Remove { index } => self.remove_text(*index)?,
        };
        let mut text = fix_newlines(&text, self.style.newline);
        self.verify(change, &text)?;
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        Ok(Edited { text })
    }

    /// The text with `fields` appended as a new item after the last one (after its last value
    /// line: comment lines that follow it stay after the new item), written `- key: value` with
    /// the keys two columns right of the dash, as the lossless editor does; or `None` when the
    /// list is not a plain case: a block list whose last item starts with `- key:` and ends
    /// (its more-indented lines) before a blank line, a less-indented line or the end of a file
    /// that ends with a newline; values that need no quotes.
    fn append_after_last_item(&self, fields: &[(String, String)]) -> Option<String> {
        let has_items = matches!(self.value.get(KEY), Some(Value::Sequence(s)) if !s.is_empty());
        if !has_items || !starts_as_block_list(&self.text) {
            return None;
        }
        if fields
            .iter()
            .any(|(k, v)| !plain_is_safe(k) || !plain_is_safe(v))
        {
            return None;
        }
        let last = self.registries.last()?;
        let mut lines = self.text.split_inclusive('\n');
        // Byte offset of the last item's first line.
        let mut offset = 0;
        for l in lines.by_ref().take(last.line - 1) {
            offset += l.len();
        }
        let first = lines.next()?;
        let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
        let dash_indent = indent(first);
        let after_dash = first[dash_indent..].strip_prefix('-')?;
        let gap = after_dash.len() - after_dash.trim_start_matches(' ').len();
        if gap == 0 || after_dash.trim().is_empty() || after_dash.trim_start().starts_with('#') {
            return None;
        }
        let key_indent = dash_indent + 2;
        // `end`: after the last value line; `scan`: after the item's comment lines too.
        let mut end = offset + first.len();
        let mut scan = end;
        let mut next = None;
        for l in lines {
            let body = l.trim_end_matches(['\n', '\r']);
            if !body.trim().is_empty() && indent(body) > dash_indent {
                scan += l.len();
                if !body.trim_start().starts_with('#') {
                    end = scan;
                }
                continue;
            }
            next = Some(body);
            break;
        }
        // What follows must be a blank line, a line of the enclosing level, or nothing.
        match next {
            Some(b) if b.trim().is_empty() => {}
            Some(b) if b.trim_start().starts_with('#') => return None,
            Some(b) if indent(b) < dash_indent => {}
            Some(b) if indent(b) == dash_indent && !b[dash_indent..].starts_with('-') => {}
            Some(_) => return None,
            None => {}
        }
        if !self.text[..end].ends_with('\n') {
            return None;
        }
        let nl = self.style.newline;
        let mut item = String::new();
        for (i, (k, v)) in fields.iter().enumerate() {
            if i == 0 {
                item.push_str(&format!("{}- ", " ".repeat(dash_indent)));
            } else {
                item.push_str(&" ".repeat(key_indent));
            }
            item.push_str(&format!("{k}: {v}{nl}"));
        }
        let mut out = String::with_capacity(self.text.len() + item.len());
        out.push_str(&self.text[..end]);
        out.push_str(&item);
        out.push_str(&self.text[end..]);
        Some(out)
    }

    fn add_text(&self, fields: &[(String, String)]) -> Result<String, EditError> {
        let has_items = matches!(self.value.get(KEY), Some(Value::Sequence(s)) if !s.is_empty());
        if has_items {
            let (file, seq) = lossless(&self.text)?;
            let seq = seq.ok_or_else(|| {
                EditError::Unsafe(format!("{KEY} not found in the lossless tree"))
            })?;
            let mut item = yaml_edit::MappingBuilder::new();
            for (k, v) in fields {
                item = item.pair(k.clone(), scalar(v, ScalarStyle::Plain));
            }
            seq.push(item.build_document());
            return Ok(file.to_string());
        }
        // No items yet: `container_registries:` is absent, empty, `~` or `[]`. yaml-edit would
        // write a flow collection here; write block lines in the file's own style instead.
        let nl = self.style.newline;
        let items = render_item(fields, &self.style);
        if let Some((start, end)) = key_line(&self.text) {
            let line = &self.text[start..end];
            let comment = after_empty_value(line);
            let ends_nl = line.ends_with('\n');
            let mut out = String::with_capacity(self.text.len() + items.len() + 32);
            out.push_str(&self.text[..start]);
            out.push_str(&format!("{KEY}:{comment}{nl}"));
            out.push_str(&items);
            if !ends_nl {
                out.truncate(out.len() - nl.len());
            }
            out.push_str(&self.text[end..]);
            return Ok(out);
        }
        let mut out = self.text.clone();
        let had_final_newline = out.is_empty() || out.ends_with('\n');
        if !out.is_empty() {
            if !had_final_newline {
                out.push_str(nl);
            }
            if !ends_with_blank_line(&out) {
                out.push_str(nl);
            }
        }
        out.push_str(&format!("{KEY}:{nl}"));
        out.push_str(&items);
        if !had_final_newline {
            out.truncate(out.len() - nl.len());
        }
        Ok(out)
    }

    fn update_text(&self, index: usize, fields: &[(String, String)]) -> Result<String, EditError> {
        let (file, item) = lossless_entry(&self.text, index)?;
        let map = item
            .as_mapping()
            .ok_or_else(|| EditError::Unsafe(format!("entry {index} is not a mapping")))?;
        for (k, v) in fields {
            match map.get(k.as_str()) {
                Some(old) if old.as_scalar().is_some() => {
                    let raw = old.to_string();
                    let unchanged = self
                        .registries
                        .get(index)
                        .and_then(|e| e.fields.iter().find(|(fk, _)| fk == k))
                        .is_some_and(|(_, fv)| fv == v);
                    if unchanged {
                        continue;
                    }
                    let style = match raw.trim_start().chars().next() {
                        Some('\'') => ScalarStyle::SingleQuoted,
                        Some('"') => ScalarStyle::DoubleQuoted,
                        _ => ScalarStyle::Plain,
                    };
                    map.set(k.as_str(), scalar(v, style));
                }
                Some(_) => {
                    return Err(EditError::Unsafe(format!(
                        "`{k}` of entry {index} is not a plain value"
                    )));
                }
                None => map.set(k.as_str(), scalar(v, ScalarStyle::Plain)),
            }
        }
        Ok(file.to_string())
    }

    /// The two checks every edit must pass.
    fn verify(&self, change: &Change, new_text: &str) -> Result<(), EditError> {
        let new_value: Value = serde_yaml::from_str(new_text)
            .map_err(|e| EditError::Unsafe(format!("the new text does not parse: {e}")))?;
        let expected = expected_value(&self.value, change)?;
        if new_value != expected {
            return Err(EditError::Unsafe(
                "the new document differs from the old one plus the change".into(),
            ));
        }
        // Lines of the old file that the edit may replace.
        let old_lines: Vec<&str> = split_lines(&self.text);
        let allowed = match change {
            Change::Add { .. } => super::key_line_no(&self.text).into_iter().collect(),
            Change::Update { index, .. } => self.entry_lines(*index),
            Change::Remove { index } => {
                let (first, last) = self.remove_range(*index)?;
                let mut allowed: Vec<usize> = (first..=last).collect();
                if self.registries.len() == 1
                    && let Some(line) = super::key_line_no(&self.text)
                {
                    allowed.push(line);
                }
                allowed
            }
        };
        // Every other old line must still be there, in the same order.
        let new_lines = split_lines(new_text);
        let mut next = new_lines.iter();
        for (i, old) in old_lines.iter().enumerate() {
            if allowed.contains(&(i + 1)) {
                continue;
            }
            if !next.any(|new| new == old) {
                return Err(EditError::Unsafe(format!(
                    "line {} outside the edit would change",
                    i + 1
                )));
            }
        }
        // A missing final newline stays missing; a present one stays present.
        if self.text.ends_with('\n') != new_text.ends_with('\n') && !self.text.is_empty() {
            return Err(EditError::Unsafe("the final newline would change".into()));
        }
        Ok(())
    }

    /// The 1-based, inclusive lines that removing entry `index` deletes: its own lines, comment
    /// lines directly above it at the dash's column, comment lines inside it below its last
    /// value, and one blank line when it would otherwise leave two in a row.
    fn remove_range(&self, index: usize) -> Result<(usize, usize), EditError> {
        let (mut first, mut last, dash_indent) = self.item_span(index)?;
        let lines = split_lines(&self.text);
        let line_at = |n: usize| lines.get(n.wrapping_sub(1)).copied();
        let indent = |l: &str| l.len() - l.trim_start().len();
        let is_comment = |l: &str| l.trim_start().starts_with('#');
        let is_blank = |l: &str| l.trim().is_empty();
        let key_line_no = super::key_line_no(&self.text);
        while first > 1
            && Some(first - 1) != key_line_no
            && line_at(first - 1).is_some_and(|l| is_comment(l) && indent(l) == dash_indent)
        {
            first -= 1;
        }
        while line_at(last + 1).is_some_and(|l| is_comment(l) && indent(l) > dash_indent) {
            last += 1;
        }
        if Some(first - 1) == key_line_no && line_at(last + 1).is_some_and(is_blank) {
            last += 1;
        }
        let blank_before = first > 1 && line_at(first - 1).is_some_and(is_blank);
        let blank_or_end_after = line_at(last + 1).is_none_or(|l| {
            is_blank(l)
                || indent(l) < dash_indent
                || (indent(l) == dash_indent && !l.trim_start().starts_with('-') && !is_comment(l))
        });
        if blank_before && blank_or_end_after && Some(first - 1) != key_line_no {
            first -= 1;
        }
        Ok((first, last))
    }

    fn remove_text(&self, index: usize) -> Result<String, EditError> {
        let (first, last) = self.remove_range(index)?;
        let mut out = String::with_capacity(self.text.len());
        let emptied = self.registries.len() == 1;
        let key_line_no = super::key_line_no(&self.text);
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            let n = i + 1;
            if (first..=last).contains(&n) {
                continue;
            }
            if emptied && Some(n) == key_line_no {
                // CI iterates the list: leave an empty one rather than a null.
                let body = line.trim_end_matches(['\n', '\r']);
                let after = &line[body.len()..];
                let rest = &body[body.find(':').map_or(body.len(), |i| i + 1)..];
                out.push_str(&format!("{KEY}: []{rest}{after}"));
                continue;
            }
            out.push_str(line);
        }
        // The file had no final newline and its last lines went: the new last line has none either.
        if !self.text.ends_with('\n') && last == split_lines(&self.text).len() {
            while out.ends_with('\n') {
                out.pop();
                if out.ends_with('\r') {
                    out.pop();
                }
            }
        }
        Ok(out)
    }

    /// 1-based lines an update of entry `index` may change: the entry's own lines, from its
    /// dash to its last value line (multi-line values and comment lines inside included).
    fn entry_lines(&self, index: usize) -> Vec<usize> {
        match self.item_span(index) {
            Ok((first, last, _)) => (first..=last).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Entry `index`'s first line (its `-`, also when the dash stands alone on a line), last
    /// line (its last value), and the dash's column.
    fn item_span(&self, index: usize) -> Result<(usize, usize, usize), EditError> {
        let (_, item) = lossless_entry(&self.text, index)?;
        let range = item.byte_range();
        let lines = split_lines(&self.text);
        let line_at = |n: usize| lines.get(n.wrapping_sub(1)).copied();
        let mut first = super::line_of(&self.text, range.start as usize);
        let last = super::line_of(&self.text, (range.end as usize).saturating_sub(1));
        let first_line = line_at(first).unwrap_or_default();
        if !first_line.trim_start().starts_with('-')
            && line_at(first - 1).is_some_and(|l| l.trim() == "-")
        {
            first -= 1;
        }
        let dash_line = line_at(first).unwrap_or_default();
        let dash_indent = dash_line.len() - dash_line.trim_start().len();
        Ok((first, last, dash_indent))
    }
}

impl FactoryConfig {
    /// Whether `container_registries` holds a non-empty flow list.
    fn flow_list(&self) -> Result<bool, EditError> {
        if !matches!(self.value.get(KEY), Some(Value::Sequence(s)) if !s.is_empty()) {
            return Ok(false);
        }
        // The common case, seen without the lossless parse (which costs much on a big file).
        if starts_as_block_list(&self.text) {
            return Ok(false);
        }
        let (_, seq) = lossless(&self.text)?;
        Ok(seq.is_some_and(|s| s.is_flow_style()))
    }
}

/// yaml-edit's lossless tree of the whole file (comments outside the document included) and
/// its document's `container_registries` list, when it has one.
pub(super) fn lossless(text: &str) -> Result<(YamlFile, Option<yaml_edit::Sequence>), EditError> {
    let file =
        YamlFile::from_str(text).map_err(|e| EditError::Unsafe(format!("lossless parse: {e}")))?;
    let doc = file
        .document()
        .ok_or_else(|| EditError::Unsafe("lossless parse: no document".into()))?;
    let seq = doc.as_mapping().and_then(|m| m.get_sequence(KEY));
    Ok((file, seq))
}

/// The lossless tree of `text`, and its entry `index`.
fn lossless_entry(text: &str, index: usize) -> Result<(YamlFile, yaml_edit::YamlNode), EditError> {
    let (file, seq) = lossless(text)?;
    let item = seq
        .and_then(|s| s.get(index))
        .ok_or(EditError::NoSuchEntry(index))?;
    Ok((file, item))
}

/// Lines without their terminators, so a line that only gains a `\n` (the old last line of a
/// file without a final newline) counts as unchanged.
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

fn expected_value(old: &Value, change: &Change) -> Result<Value, EditError> {
    let mut value = old.clone();
    let root = value
        .as_mapping_mut()
        .ok_or_else(|| EditError::Unsafe("top level is not a mapping".into()))?;
    let entry = root
        .entry(Value::String(KEY.into()))
        .or_insert(Value::Sequence(Vec::new()));
    if entry.is_null() {
        *entry = Value::Sequence(Vec::new());
    }
    let seq = entry
        .as_sequence_mut()
        .ok_or_else(|| EditError::Unsafe(format!("{KEY} is not a list")))?;
    match change {
        Change::Add { fields } => {
            let mut m = Mapping::new();
            for (k, v) in fields {
                m.insert(Value::String(k.clone()), Value::String(v.clone()));
            }
            seq.push(Value::Mapping(m));
        }
        Change::Remove { index } => {
            if *index >= seq.len() {
                return Err(EditError::NoSuchEntry(*index));
            }
            seq.remove(*index);
        }
        Change::Update { index, fields } => {
            let m = seq
                .get_mut(*index)
                .and_then(Value::as_mapping_mut)
                .ok_or(EditError::NoSuchEntry(*index))?;
            for (k, v) in fields {
                let key = Value::String(k.clone());
                let same = m
                    .get(&key)
                    .and_then(scalar_text)
                    .is_some_and(|old| &old == v);
                if !same {
                    m.insert(key, Value::String(v.clone()));
                }
            }
        }
    }
    Ok(value)
}

/// A YAML scalar for `v` in `style`, falling back to single quotes where plain text would not
/// read back as the same string (`yes`, `123`, `a: b`, ...).
fn scalar(v: &str, style: ScalarStyle) -> ScalarValue {
    let style = match style {
        ScalarStyle::Plain if !plain_is_safe(v) => ScalarStyle::SingleQuoted,
        other => other,
    };
    ScalarValue::with_style(v, style)
}

fn plain_is_safe(v: &str) -> bool {
    // CI reads the file with Python's YAML 1.1 loader: `yes`, `off`, `1:20` are not strings there.
    const YAML11_WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    let lower = v.to_ascii_lowercase();
    if YAML11_WORDS.contains(&lower.as_str())
        || v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '+' | '-' | 'e' | 'E'))
    {
        return false;
    }
    let simple = v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':' | '@'))
        && !v.contains(": ");
    simple
        && serde_yaml::from_str::<Value>(&format!("k: {v}"))
            .ok()
            .and_then(|m| m.get("k").cloned())
            == Some(Value::String(v.to_string()))
}

/// `v` as YAML text: plain where safe, else single-quoted.
fn render_scalar(v: &str) -> String {
    if plain_is_safe(v) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// A new block item in the file's style, every line ended by the file's newline.
fn render_item(fields: &[(String, String)], style: &Style) -> String {
    let dash_indent = if style.indented_sequences {
        style.indent
    } else {
        0
    };
    let pad = " ".repeat(dash_indent);
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        let lead = if i == 0 { "- " } else { "  " };
        out.push_str(&format!(
            "{pad}{lead}{k}: {}{}",
            render_scalar(v),
            style.newline
        ));
    }
    out
}

/// Byte range (with its terminator) of the top-level `container_registries:` line.
pub(super) fn key_line(text: &str) -> Option<(usize, usize)> {
    let (double, single) = (format!("\"{KEY}\""), format!("'{KEY}'"));
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let bare = line
            .strip_prefix(KEY)
            .or_else(|| line.strip_prefix(double.as_str()))
            .or_else(|| line.strip_prefix(single.as_str()));
        if let Some(rest) = bare
            && rest.trim_start().starts_with(':')
        {
            return Some((start, end));
        }
        start = end;
    }
    None
}

/// Whether the value of `container_registries:` visibly starts as a block list: nothing but a
/// comment after the key, then (blank and comment lines skipped) a line starting with `- `.
/// `false` means "not seen": the caller asks the lossless tree.
pub(super) fn starts_as_block_list(text: &str) -> bool {
    let Some((start, end)) = key_line(text) else {
        return false;
    };
    let line = &text[start..end];
    let after = line[line.find(':').map_or(line.len(), |i| i + 1)..].trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return false;
    }
    for l in text[end..].lines() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        return t == "-" || t.starts_with("- ");
    }
    false
}

/// What follows an empty value (`[]`, `~`, `null` or nothing) on the `container_registries:`
/// line, spacing kept: `container_registries: []   # todo` gives `   # todo`.
fn after_empty_value(line: &str) -> &str {
    let line = line.trim_end_matches(['\n', '\r']);
    let rest = &line[line.find(':').map_or(line.len(), |i| i + 1)..];
    let value = rest.trim_start();
    for token in ["[]", "~", "null", "Null", "NULL"] {
        if let Some(after) = value.strip_prefix(token) {
            return after;
        }
    }
    rest
}

fn ends_with_blank_line(text: &str) -> bool {
    text.ends_with("\n\n") || text.ends_with("\r\n\r\n")
}

/// In a file that uses CRLF throughout, give lines that the edit added CRLF too.
fn fix_newlines(text: &str, newline: &str) -> String {
    if newline != "\r\n" {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut prev = '\0';
    for c in text.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_append_writes_what_the_lossless_editor_writes() {
        let fields: Vec<(String, String)> = [
            ("type", "generic"),
            ("url", "quay.io"),
            ("generic_secret_name", "quay_creds"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let cases = [
            "container_registries:\n- type: gar\n  gar_creds_secret_name: g\n",
            "a: 1\ncontainer_registries:\n  - type: gar\n    gar_creds_secret_name: g\n    # note\n\nb: 2\n",
            "container_registries:\n-   type: gar\n    gar_creds_secret_name: g  # x\nb: 2\n",
            "container_registries:\r\n- type: gar\r\n  gar_creds_secret_name: g\r\n\r\nb: 2\r\n",
            "container_registries:\n- type: generic\n  url: a.io\n  generic_secret_name: a\n# between\n- type: gar\n  gar_creds_secret_name: g\n",
        ];
        for text in cases {
            let cfg = FactoryConfig::parse(Path::new("f.yml"), text.to_string()).unwrap();
            let quick = cfg
                .append_after_last_item(&fields)
                .unwrap_or_else(|| panic!("not quick: {text:?}"));
            let general = cfg.add_text(&fields).unwrap();
            assert_eq!(
                fix_newlines(&quick, cfg.style.newline),
                fix_newlines(&general, cfg.style.newline),
                "{text:?}"
            );
        }
        // Not a plain case: left to the lossless editor.
        for text in [
            "container_registries:\n- type: gar\n  gar_creds_secret_name: g\n# after\n",
            "container_registries:\n- type: gar\n  gar_creds_secret_name: g",
            "container_registries: [{type: gar}]\n",
        ] {
            let cfg = FactoryConfig::parse(Path::new("f.yml"), text.to_string()).unwrap();
            assert_eq!(cfg.append_after_last_item(&fields), None, "{text:?}");
        }
    }

    #[test]
    fn block_lists_are_seen_without_the_lossless_tree() {
        assert!(starts_as_block_list(
            "a: 1\ncontainer_registries:\n- type: gar\n"
        ));
        assert!(starts_as_block_list(
            "container_registries:  # ours\n\n  # first\n  - type: gar\n"
        ));
        assert!(!starts_as_block_list(
            "container_registries: [{type: gar}]\n"
        ));
        assert!(!starts_as_block_list(
            "container_registries:\n  [{type: gar}]\n"
        ));
        assert!(!starts_as_block_list(
            "container_registries: &r\n- type: gar\n"
        ));
        assert!(!starts_as_block_list("a: 1\n"));
    }
    use std::path::Path;

    fn cfg(text: &str) -> FactoryConfig {
        FactoryConfig::parse(Path::new("f.yml"), text.to_string()).unwrap()
    }

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn scalars_needing_quotes_are_quoted() {
        assert_eq!(render_scalar("ghcr.io"), "ghcr.io");
        assert_eq!(render_scalar("localhost:5000"), "localhost:5000");
        assert_eq!(render_scalar("yes"), "'yes'");
        assert_eq!(render_scalar("123"), "'123'");
        assert_eq!(render_scalar("it's"), "'it''s'");
    }

    #[test]
    fn add_creates_the_key_after_a_blank_line() {
        let c = cfg("a: 1\n");
        let out = c
            .edit(&Change::Add {
                fields: f(&[("type", "gar"), ("gar_creds_secret_name", "gcp_creds")]),
            })
            .unwrap();
        assert_eq!(
            out.text,
            "a: 1\n\ncontainer_registries:\n- type: gar\n  gar_creds_secret_name: gcp_creds\n"
        );
    }

    #[test]
    fn add_replaces_empty_flow_keeping_the_comment() {
        let c = cfg("container_registries: [] # none yet\nz: 1\n");
        let out = c
            .edit(&Change::Add {
                fields: f(&[
                    ("type", "generic"),
                    ("url", "ghcr.io"),
                    ("generic_secret_name", "g"),
                ]),
            })
            .unwrap();
        assert_eq!(
            out.text,
            "container_registries: # none yet\n- type: generic\n  url: ghcr.io\n  generic_secret_name: g\nz: 1\n"
        );
    }

    #[test]
    fn update_keeps_quotes_and_comments() {
        let c = cfg(
            "container_registries:\n- type: azure # prod\n  url: \"a.azurecr.io\"  # the url\n  azure_principal_secret_name: az\n",
        );
        let out = c
            .edit(&Change::Update {
                index: 0,
                fields: f(&[
                    ("url", "bbbbb.azurecr.io"),
                    ("azure_principal_secret_name", "az"),
                ]),
            })
            .unwrap();
        assert_eq!(
            out.text,
            "container_registries:\n- type: azure # prod\n  url: \"bbbbb.azurecr.io\"  # the url\n  azure_principal_secret_name: az\n"
        );
    }

    #[test]
    fn verify_refuses_a_change_outside_the_entry() {
        let c = cfg("a: 1\ncontainer_registries:\n- type: gar\n  gar_creds_secret_name: x\n");
        let change = Change::Add {
            fields: f(&[("type", "generic")]),
        };
        let err = c.verify(&change, "a: 2\ncontainer_registries:\n- type: gar\n  gar_creds_secret_name: x\n- type: generic\n").unwrap_err();
        assert!(err.to_string().contains("differs"), "{err}");
        // Same document, but a comment outside the edit was lost.
        let c = cfg("a: 1 # keep\ncontainer_registries:\n- type: gar\n");
        let err = c
            .verify(
                &change,
                "a: 1\ncontainer_registries:\n- type: gar\n- type: generic\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("line 1 outside the edit"), "{err}");
    }

    #[test]
    fn crlf_is_kept_for_new_lines() {
        let c = cfg(
            "x: 1\r\ncontainer_registries:\r\n  - type: gar\r\n    gar_creds_secret_name: g\r\n",
        );
        let out = c
            .edit(&Change::Add {
                fields: f(&[("type", "generic"), ("url", "ghcr.io")]),
            })
            .unwrap();
        assert!(
            !out.text.replace("\r\n", "").contains('\n'),
            "{:?}",
            out.text
        );
        assert!(
            out.text
                .ends_with("  - type: generic\r\n    url: ghcr.io\r\n"),
            "{:?}",
            out.text
        );
    }
}
