//! How a run ends, as data: the [`Outcome`] every front end returns (main.rs maps it to the exit
//! code), the [`Report`] of an applied plan (one wording, printed by the CLI and the line prompts
//! and drawn by the TUI), the progress labels of applying, and [`Exit`], an error with its code.

use crate::fioctl::FioctlError;
use crate::plan::{Action, Applied, ApplyError, Plan, Progress, SecretOp};
use std::fmt::Write as _;
use std::path::Path;

/// An error that ends the run with a particular exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

/// What a run of `add`, `rotate`, `remove` or a wizard came to. Failures are errors
/// ([`Exit`] or any other, exit 1); these are the ends that are not.
#[derive(Debug)]
pub enum Outcome {
    /// The plan was applied; what was done.
    Applied(Report),
    /// The plan was shown (or its login test failed) and not applied: "No" at the review, a
    /// quit after reviewing, or a dry run.
    NotApplied(String),
    /// Left before any plan was reviewed.
    Quit,
    /// A dry run: the plan was shown, as asked.
    Previewed,
    /// Ctrl-C, or fioctl stopped by a signal; the words say what is left.
    Interrupted(String),
}

/// The words of a plan that was not applied.
pub const NOT_APPLIED: &str = "not applied: nothing was changed";
/// The words of an interruption before anything was applied.
pub const INTERRUPTED: &str = "interrupted: nothing was changed";
/// The words of an interrupted fioctl call.
pub const FIOCTL_INTERRUPTED: &str = "interrupted: fioctl was stopped before it answered, and \
                                      factory-config.yml is untouched";

impl Outcome {
    /// The exit status: 0 applied or left before a plan, 1 not applied, 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Applied(_) | Outcome::Quit | Outcome::Previewed => 0,
            Outcome::NotApplied(_) => 1,
            Outcome::Interrupted(_) => 130,
        }
    }

    /// The last line for stderr, if any (`fioreg: ...`).
    pub fn message(&self) -> Option<&str> {
        match self {
            Outcome::Applied(_) | Outcome::Previewed => None,
            Outcome::Quit => Some("nothing was changed"),
            Outcome::NotApplied(m) | Outcome::Interrupted(m) => Some(m),
        }
    }

    /// The outcome of a failed apply: an interrupted fioctl is an interruption, anything else
    /// an error that says what was and was not changed.
    pub fn of_apply_error(e: ApplyError) -> anyhow::Result<Outcome> {
        match e {
            ApplyError::Fioctl(FioctlError::Interrupted) => {
                Ok(Outcome::Interrupted(FIOCTL_INTERRUPTED.into()))
            }
            e => Err(e.into()),
        }
    }
}

/// How a line of the report is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `✓`: done.
    Done,
    /// Indented: a fact or what to do next.
    Note,
    /// `!`: done, with a warning.
    Warn,
}

impl Mark {
    pub fn prefix(self) -> &'static str {
        match self {
            Mark::Done => "✓ ",
            Mark::Note => "  ",
            Mark::Warn => "! ",
        }
    }
}

/// What applying a plan did, in the words every front end shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub lines: Vec<(Mark, String)>,
    /// After an add: what devices need (the provider's advice).
    pub advice: Option<&'static str>,
}

/// A cloud identity a run created and whose key it stored (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIdentity {
    /// The identity (an IAM user's ARN).
    pub identity: String,
    /// The new key's id; empty when `identity` names it (Azure).
    pub key_id: String,
}

impl CreatedIdentity {
    /// What `cloud` created, as `made` reports it: an Azure principal or token by what exists
    /// now (its appId, its scope, a token's expiry, where it is stored); an IAM user or a
    /// service account with the new key's id.
    pub fn of(cloud: &crate::cloud::CloudPlan, made: &crate::cloud::apply::NewKey) -> Self {
        match &cloud.job {
            crate::cloud::Job::Azure(_) => CreatedIdentity {
                identity: made.exists.join("; "),
                key_id: String::new(),
            },
            _ => CreatedIdentity {
                identity: made.identity.clone(),
                key_id: made.key_id.clone(),
            },
        }
    }
}

/// Where the secrets went, for the report and the progress labels.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The factory's name (resolved as fioctl does), if known.
    pub factory: Option<&'a str>,
    /// Demo mode: the scratch folder the secrets go to.
    pub demo_secrets: Option<&'a Path>,
}

impl Target<'_> {
    /// `factory acme`, `the demo's scratch folder` or `fioctl's default factory`.
    pub fn name(&self) -> String {
        match (self.demo_secrets, self.factory) {
            (Some(_), _) => "the demo's scratch folder".into(),
            (None, Some(f)) => format!("factory {f}"),
            (None, None) => "fioctl's default factory".into(),
        }
    }
}

impl Report {
    /// The report of `plan`, applied as `applied` says. `settings_warning`: why the settings
    /// were not saved after an add, if they were not.
    pub fn of(
        plan: &Plan,
        applied: &Applied,
        target: Target<'_>,
        settings_warning: Option<&str>,
    ) -> Report {
        let mut lines = vec![(Mark::Done, format!("Done: {}", plan.summary()))];
        let to = target.name();
        let name = &plan.secret_name;
        let config = plan.config_path.display();
        if plan.secret_op == SecretOp::Store {
            lines.push((Mark::Done, format!("Stored the secret {name} in {to}.")));
        }
        if applied.config_written {
            lines.push((Mark::Done, format!("Wrote {config}.")));
            match (&applied.commit, &plan.commit) {
                (Some(id), Some(c)) => {
                    lines.push((
                        Mark::Done,
                        format!("Committed {id} on {}: \"{}\".", c.branch, c.message),
                    ));
                    if c.push {
                        lines.push((Mark::Done, format!("Pushed {}.", c.branch)));
                    } else {
                        lines.push((Mark::Note, "Push it so the next CI build uses it.".into()));
                    }
                }
                _ if target.demo_secrets.is_some() => {
                    lines.push((Mark::Note, "It is the demo's scratch copy.".into()));
                }
                _ => lines.push((
                    Mark::Note,
                    "Commit and push it in your ci-scripts checkout so the next CI build uses it."
                        .into(),
                )),
            }
        } else if matches!(plan.action, Action::Rotate { .. }) {
            lines.push((
                Mark::Note,
                format!(
                    "{config} is unchanged (byte-identical): CI's next build logs in with the new \
                     credentials."
                ),
            ));
        } else {
            lines.push((
                Mark::Note,
                format!("{config} already held this entry: unchanged."),
            ));
        }
        match plan.secret_op {
            SecretOp::Delete => {
                lines.push((Mark::Done, format!("Deleted the secret {name} from {to}.")));
            }
            SecretOp::Keep if !name.is_empty() => {
                lines.push((Mark::Note, format!("The secret {name} stays in {to}.")));
            }
            _ => {}
        }
        if let Some(dir) = target.demo_secrets {
            lines.push((
                Mark::Warn,
                format!(
                    "DEMO: the config is {config} and the stored secrets are in {}.",
                    dir.display()
                ),
            ));
        }
        if let Some(why) = settings_warning {
            lines.push((Mark::Warn, format!("The settings were not saved: {why}")));
        }
        let advice = matches!(plan.action, Action::Add | Action::Update { .. })
            .then(|| plan.provider.device_advice());
        Report { lines, advice }
    }

    /// Names the cloud identity the run created (after the `Done:` line).
    pub fn add_created(&mut self, c: &CreatedIdentity) {
        let at = self.lines.len().min(1);
        self.lines.insert(
            at,
            (
                Mark::Done,
                match c.key_id.as_str() {
                    // Azure: the identity says it all (its appId is the user name).
                    "" => format!("Created for CI: {}.", c.identity),
                    key_id => format!(
                        "Created for CI: {} with {} {key_id}.",
                        c.identity,
                        // An AWS ARN's key is an access key; a service account's is a key.
                        if c.identity.starts_with("arn:") {
                            "access key"
                        } else {
                            "key"
                        },
                    ),
                },
            ),
        );
    }

    /// The report as plain text, one line each, then the device advice after a blank line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (mark, line) in &self.lines {
            let _ = writeln!(out, "{}{}", mark.prefix(), line);
        }
        if let Some(advice) = self.advice {
            let _ = writeln!(out, "\n{advice}");
        }
        out
    }
}

/// What a step of applying is doing, as the line prompts and the TUI's Apply screen say it
/// (`None` for the end of a step).
pub fn progress_label(step: Progress, plan: &Plan, target: Target<'_>) -> Option<String> {
    let to = target.name();
    let name = &plan.secret_name;
    let config = plan.config_name();
    Some(match step {
        Progress::StoringSecret => format!("Storing the secret {name} in {to}"),
        Progress::WritingConfig => format!("Writing {config}"),
        Progress::DeletingSecret => format!("Deleting the secret {name} from {to}"),
        Progress::Committing => format!("Committing {config}"),
        Progress::Pushing => "Pushing".into(),
        Progress::SecretStored
        | Progress::ConfigWritten
        | Progress::SecretDeleted
        | Progress::Committed
        | Progress::Pushed => return None,
    })
}

/// The report of a wizard run that applied its plan (with the identity it created, if any).
pub fn wizard_report(state: &crate::wizard::state::State) -> Option<Report> {
    let (Some(run), Some(review)) = (&state.apply, &state.review) else {
        return None;
    };
    let Some(Ok(applied)) = &run.result else {
        return None;
    };
    let mut report = Report::of(
        &review.plan,
        applied,
        state.ctx.target(),
        state.settings_warning.as_deref(),
    );
    if let Some(created) = run.cloud.as_ref().and_then(|c| c.created.as_ref()) {
        report.add_created(created);
    }
    Some(report)
}

/// How a wizard run ended, from its final state: applied (with the report), failed while
/// applying (an error), not applied after a plan was reviewed, interrupted, or quit.
pub fn outcome(state: &crate::wizard::state::State) -> anyhow::Result<Outcome> {
    // Several factories: the CLI's outcome of the same rows (an error naming the factories not
    // done, exit 1).
    if let Some(several) = &state.several
        && let Some(rows) = &several.done
    {
        let stopped = several.stop.load(std::sync::atomic::Ordering::SeqCst);
        return crate::fleet::outcome(rows, stopped);
    }
    if let (Some(run), Some(_)) = (&state.apply, &state.review) {
        match &run.result {
            Some(Ok(_)) => {
                if let Some(report) = wizard_report(state) {
                    return Ok(Outcome::Applied(report));
                }
            }
            // Interrupted after creating in the cloud: the words say what exists and what to run.
            Some(Err(f)) if f.interrupted && run.cloud.is_some() => {
                return Ok(Outcome::Interrupted(f.message.clone()));
            }
            Some(Err(f)) if f.interrupted => {
                return Ok(Outcome::Interrupted(FIOCTL_INTERRUPTED.into()));
            }
            Some(Err(f)) => return Err(anyhow::anyhow!("{}", f.message)),
            None => {}
        }
    }
    if state.interrupted {
        return Ok(Outcome::Interrupted(INTERRUPTED.into()));
    }
    if state.review.is_some() {
        return Ok(Outcome::NotApplied(NOT_APPLIED.into()));
    }
    Ok(Outcome::Quit)
}

/// The applied change as a command line (never the secret), for the interactive front ends'
/// last words.
pub fn command_line(state: &crate::wizard::state::State) -> Option<String> {
    let review = state.review.as_ref()?;
    let committed = matches!(
        state.apply.as_ref().and_then(|a| a.result.as_ref()),
        Some(Ok(applied)) if applied.commit.is_some()
    );
    let mut line = review.source.command_line(
        &state.ctx.config_path,
        state.ctx.plan_factory.as_deref(),
        committed,
    );
    // Creating the IAM user: `add aws --create-user NAME [--admin-profile P]`; the service
    // account: `add gar --create-service-account NAME --project P --location L --repository R`
    // (instead of a key file); the principal: `add azure --create-principal NAME [--repository R
    // ... --expires-in-days D]` (instead of a client id).
    if let Some(cloud) = &review.cloud {
        let blank = crate::plan::shell_word("");
        let (typed, words) = match &cloud.plan.job {
            crate::cloud::Job::Gcp(job) => (Some(format!(" --key-file {blank}")), job.add_flags()),
            crate::cloud::Job::Azure(job) => (
                Some(format!(" --client-id {blank} --password-stdin")),
                job.add_flags(),
            ),
            crate::cloud::Job::Aws(_) => {
                let mut words = vec!["--create-user".to_string(), cloud.identity.name().into()];
                if let crate::wizard::update::NewIdentity::AwsUser {
                    admin_profile: Some(p),
                    ..
                } = &cloud.identity
                {
                    words.extend(["--admin-profile".into(), p.clone()]);
                }
                (None, words)
            }
        };
        if let Some(typed) = typed {
            line = line.replacen(&typed, "", 1);
        }
        let words: Vec<String> = words.iter().map(|w| crate::plan::shell_word(w)).collect();
        match line.find(" --commit") {
            Some(at) => line.insert_str(at, &format!(" {}", words.join(" "))),
            None => {
                line.push(' ');
                line.push_str(&words.join(" "));
            }
        }
    }
    Some(line)
}

/// What an interactive front end leaves on the screen at the end: after an applied plan the
/// report and the same change as a command line ([`closing_text`]); across factories the
/// CLI's summary table, whether or not a factory failed.
pub fn closing(
    state: &crate::wizard::state::State,
    outcome: &anyhow::Result<Outcome>,
) -> Option<String> {
    if let (Some(rows), Some(batch)) = (
        state.several.as_ref().and_then(|s| s.done.as_ref()),
        state.review.as_ref().and_then(|r| r.batch.as_ref()),
    ) {
        let mut out = batch.closing(rows);
        if let Some(line) = fleet_command_line(state, rows) {
            out.push_str(&line);
        }
        return Some(out);
    }
    match outcome {
        Ok(Outcome::Applied(report)) => Some(closing_text(report, state)),
        _ => None,
    }
}

/// Across factories: the same change as one command line, for the factories not done when some
/// failed or were refused (it finishes only those), else for those it was applied in.
fn fleet_command_line(
    state: &crate::wizard::state::State,
    rows: &[crate::fleet::summary::Row],
) -> Option<String> {
    use crate::fleet::summary::RowResult;
    let review = state.review.as_ref()?;
    let failed = rows.iter().any(|r| r.result.is_failure());
    let (head, names): (&str, Vec<&str>) = if failed {
        let names = rows.iter().filter(|r| r.result.is_failure());
        (
            "To finish only the rest from a script",
            names.map(|r| r.factory.as_str()).collect(),
        )
    } else {
        let names = rows.iter().filter(|r| r.result == RowResult::Ok);
        (
            "The same from a script",
            names.map(|r| r.factory.as_str()).collect(),
        )
    };
    if names.is_empty() {
        return None;
    }
    let committed = rows.iter().any(|r| r.commit != "-");
    // With no --config and no --factory the line is `fioreg SUBCOMMAND ...`: each factory uses
    // its remembered config.
    let line = review
        .source
        .command_line(Path::new("factory-config.yml"), None, committed);
    let rest = line.strip_prefix("fioreg")?;
    let factories: String = names
        .iter()
        .map(|n| format!(" --factory {}", crate::plan::shell_word(n)))
        .collect();
    Some(format!("\n{head}:\n  fioreg{factories}{rest}\n"))
}

/// What an interactive front end leaves on the screen after an applied plan: the report, then
/// the same change as a command line.
pub fn closing_text(report: &Report, state: &crate::wizard::state::State) -> String {
    let mut out = report.text();
    if let Some(line) = command_line(state) {
        let _ = write!(out, "\nThe same from a script:\n  {line}\n");
    }
    out
}
