//! The preview: the diff, the redacted fioctl calls and the whole plan as text.

use super::store::fioctl_update_command;
use super::*;
use crate::factory_config;

impl Plan {
    /// The unified diff of factory-config.yml; empty when the file stays as it is.
    pub fn diff(&self, color: bool) -> String {
        factory_config::diff::unified(&self.old_text, &self.new_text, &self.config_name(), color)
    }

    /// The fioctl calls, with the secret replaced by its description.
    pub fn fioctl_calls(&self) -> Vec<String> {
        let cmd = fioctl_update_command(self.factory.as_deref());
        match self.secret_op {
            SecretOp::Store => vec![format!(
                "{cmd} {}==<{}>",
                self.secret_name,
                self.secret.description()
            )],
            SecretOp::Delete => vec![format!("{cmd} {}=", self.secret_name)],
            SecretOp::Keep => Vec::new(),
        }
    }

    /// One line saying what the plan does, e.g. `add aws 123456789012.dkr.ecr...` (also the
    /// commit message of a later `--commit`).
    pub fn summary(&self) -> String {
        let verb = match self.action {
            Action::Add => "add",
            Action::Update { .. } => "update",
            Action::Rotate { .. } => "rotate",
            Action::Remove { .. } => "remove",
        };
        match &self.url {
            Some(u) => format!("{verb} {} {u}", self.provider),
            None => format!("{verb} {}", self.provider),
        }
    }

    /// The whole preview: what changes, the diff and the fioctl calls. Never a secret byte.
    pub fn render(&self, color: bool) -> String {
        // Paths, urls, names and descriptions come from outside: no control character is
        // shown raw (see crate::escape).
        fn push(out: &mut String, text: String) {
            out.push_str(&crate::escape::controls(&text));
        }
        let mut out = String::new();
        let path = self.config_path.display();
        let what = match self.action {
            Action::Add => format!("a new entry in {path}"),
            Action::Update { line, .. } => {
                format!("the existing entry at {path}:{line} is updated in place")
            }
            Action::Rotate { line, .. } => {
                format!("new credentials for the entry at {path}:{line}; the file is not changed")
            }
            Action::Remove { line, .. } => format!("the entry at {path}:{line}"),
        };
        push(&mut out, format!("Plan: {} ({what})\n", self.summary()));
        for note in &self.notes {
            push(&mut out, format!("Note: {note}.\n"));
        }
        let mut step = 0;
        let mut next = || {
            step += 1;
            step
        };
        let calls: String = self
            .fioctl_calls()
            .iter()
            .map(|c| format!("   {c}\n"))
            .collect();
        if self.secret_op == SecretOp::Store {
            let step = next();
            push(
                &mut out,
                format!("\n{step}. Store the secret in the factory:\n{calls}"),
            );
        }
        let diff = self.diff(color);
        if !diff.is_empty() {
            push(&mut out, format!("\n{}. Write {path}:\n\n", next()));
            // Escaped by diff() itself, before its colours.
            out.push_str(&diff);
        } else if !matches!(self.action, Action::Rotate { .. }) {
            push(
                &mut out,
                format!(
                    "\n{}. {path} already holds this entry: no change.\n",
                    next()
                ),
            );
        }
        if self.secret_op == SecretOp::Delete {
            let step = next();
            push(
                &mut out,
                format!("\n{step}. Then delete the secret from the factory:\n{calls}"),
            );
        } else if let Action::Remove { .. } = self.action
            && !self.secret_name.is_empty()
        {
            push(
                &mut out,
                format!(
                    "\n   The secret `{}` stays in the factory (pass --delete-secret to delete it).\n",
                    self.secret_name
                ),
            );
        }
        if let Some(c) = &self.commit
            && !diff.is_empty()
        {
            push(
                &mut out,
                format!(
                    "\n{}. Commit {} in {} (branch {}): \"{}\"{}\n",
                    next(),
                    c.checkout.rel.display(),
                    c.checkout.root.display(),
                    c.branch,
                    c.message,
                    if c.push { ", then push" } else { "" }
                ),
            );
        }
        out
    }
}
