//! The summary table of a run across factories: per factory what was done and what was not.

use crate::escape;
use crate::plan::{Action, Applied, ApplyError, Plan, SecretOp};

/// How a factory's part of the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowResult {
    /// Everything planned for it was done.
    Ok,
    /// Applying failed part-way or before anything was done; the detail says which.
    Failed,
    /// Nothing to do there (e.g. the registry is not configured in it).
    Skipped,
    /// Its plan could not be made (a rule refused it, the config could not be read).
    Refused,
}

impl RowResult {
    pub fn word(self) -> &'static str {
        match self {
            RowResult::Ok => "ok",
            RowResult::Failed => "FAILED",
            RowResult::Skipped => "skipped",
            RowResult::Refused => "REFUSED",
        }
    }

    /// Whether this row makes the run's exit status non-zero.
    pub fn is_failure(self) -> bool {
        matches!(self, RowResult::Failed | RowResult::Refused)
    }
}

/// One factory's line of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub factory: String,
    pub result: RowResult,
    /// The secret step: `stored`, `NOT stored`, `deleted`, `NOT deleted`, `kept`, `-`.
    pub secret: String,
    /// The config step: `written`, `up to date`, `unchanged`, `NOT written`, `-`.
    pub config: String,
    /// The commit step: its id, `NOT made`, `-`.
    pub commit: String,
    /// Why it failed, was refused or skipped; a warning for an ok row.
    pub detail: Option<String>,
}

impl Row {
    /// A factory that was not changed, with the reason.
    pub fn untouched(factory: &str, result: RowResult, why: String) -> Row {
        Row {
            factory: factory.to_string(),
            result,
            secret: "-".into(),
            config: "-".into(),
            commit: "-".into(),
            detail: Some(why),
        }
    }

    /// The row of `plan` applied in `factory` with this result.
    pub fn of_apply(factory: &str, plan: &Plan, applied: &Result<Applied, ApplyError>) -> Row {
        let rotate = matches!(plan.action, Action::Rotate { .. });
        let changes_config = plan.new_text != plan.old_text;
        let config_done = if rotate {
            "unchanged"
        } else if changes_config {
            "written"
        } else {
            "up to date"
        };
        let config_not_done = if changes_config {
            "NOT written"
        } else {
            config_done
        };
        let secret_done = match plan.secret_op {
            SecretOp::Store => "stored",
            SecretOp::Delete => "deleted",
            SecretOp::Keep if plan.secret_name.is_empty() => "-",
            SecretOp::Keep => "kept",
        };
        let secret_not_done = match plan.secret_op {
            SecretOp::Store => "NOT stored",
            SecretOp::Delete => "NOT deleted",
            SecretOp::Keep => secret_done,
        };
        let commit_planned = plan.commit.is_some() && changes_config;
        let (result, secret, config, commit) = match applied {
            Ok(applied) => (
                RowResult::Ok,
                secret_done,
                config_done,
                match (
                    &applied.commit,
                    plan.commit.as_ref().is_some_and(|c| c.push),
                ) {
                    (Some(id), true) => format!("{id}, pushed"),
                    (Some(id), false) => id.clone(),
                    (None, _) => "-".into(),
                },
            ),
            Err(e) => {
                let commit = if commit_planned { "NOT made" } else { "-" }.to_string();
                let (secret, config, commit) = match e {
                    // Only an answer from fioctl says the secret was not stored.
                    ApplyError::Fioctl(f) if f.unanswered() => ("unknown", config_not_done, commit),
                    ApplyError::Fioctl(_) | ApplyError::Config(_) => {
                        (secret_not_done, config_not_done, commit)
                    }
                    ApplyError::ConfigAfterSecret { .. } => (secret_done, config_not_done, commit),
                    ApplyError::Later { done, .. } => {
                        if plan.secret_op == SecretOp::Delete && !done.contains("WAS deleted") {
                            (secret_not_done, config_done, commit)
                        } else if done.contains("was made") {
                            (secret_done, config_done, "made, NOT pushed".into())
                        } else {
                            (secret_done, config_done, "NOT made".into())
                        }
                    }
                };
                (RowResult::Failed, secret, config, commit)
            }
        };
        Row {
            factory: factory.to_string(),
            result,
            secret: secret.to_string(),
            config: config.to_string(),
            commit,
            detail: applied.as_ref().err().map(|e| format!("{e:#}")),
        }
    }

    /// The row's one-line status, as printed when its factory finishes.
    pub fn progress_line(&self) -> String {
        let mark = match self.result {
            RowResult::Ok => "✓",
            RowResult::Skipped => "-",
            RowResult::Failed | RowResult::Refused => "✗",
        };
        escape::controls(&format!(
            "{mark} factory {}: {} (secret {}, config {})",
            self.factory,
            self.result.word(),
            self.secret,
            self.config
        ))
        .into_owned()
    }
}

/// `header` and `rows` as columns two spaces apart, each line ending in a newline (no trailing
/// blanks).
pub fn columns<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in std::iter::once(header).chain(rows) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows) {
        let line: Vec<String> = (row.iter().zip(widths))
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The table, then the reason of every row that has one. No control character is shown raw.
pub fn render(rows: &[Row]) -> String {
    let header = ["FACTORY", "RESULT", "SECRET", "CONFIG", "COMMIT"].map(String::from);
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                escape::line(&r.factory).into_owned(),
                r.result.word().to_string(),
                r.secret.clone(),
                r.config.clone(),
                r.commit.clone(),
            ]
        })
        .collect();
    let mut out = columns(&header, &cells);
    let details: Vec<&Row> = rows.iter().filter(|r| r.detail.is_some()).collect();
    if !details.is_empty() {
        out.push('\n');
        for r in details {
            let text = r
                .detail
                .as_deref()
                .unwrap_or_default()
                .replace('\n', "\n    ");
            out.push_str(&escape::controls(&format!(
                "{} ({}): {text}\n",
                r.factory,
                r.result.word()
            )));
        }
    }
    out
}

/// The last words of a run: `None` when no factory failed, else which ones and what to do.
pub fn failures(rows: &[Row]) -> Option<String> {
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.result.is_failure())
        .map(|r| r.factory.as_str())
        .collect();
    if failed.is_empty() {
        return None;
    }
    Some(format!(
        "{} of {} factories not done ({}); the others were not undone. Fix the cause and run the \
         same command again: it finishes only what is left (a secret stored again is harmless, a \
         config that already holds the change is left as it is)",
        failed.len(),
        rows.len(),
        failed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lines_up_and_lists_reasons() {
        let rows = vec![
            Row {
                factory: "acme".into(),
                result: RowResult::Ok,
                secret: "stored".into(),
                config: "written".into(),
                commit: "abc1234".into(),
                detail: None,
            },
            Row::untouched("beta-long", RowResult::Skipped, "no ghcr.io".into()),
            Row::untouched("c", RowResult::Refused, "bad\x1b[31m".into()),
        ];
        let text = render(&rows);
        assert_eq!(
            text,
            "FACTORY    RESULT   SECRET  CONFIG   COMMIT\n\
             acme       ok       stored  written  abc1234\n\
             beta-long  skipped  -       -        -\n\
             c          REFUSED  -       -        -\n\
             \n\
             beta-long (skipped): no ghcr.io\n\
             c (REFUSED): bad\\x1b[31m\n"
        );
        let last = failures(&rows).unwrap();
        assert!(last.starts_with("1 of 3 factories not done (c)"), "{last}");
        assert_eq!(failures(&rows[..2]), None);
    }
}
