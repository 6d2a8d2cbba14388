//! Applying a plan in a safe order: the secret, then the config (atomically, locked), then the
//! secret to delete and the commit; with progress, and an error that says what was done.

use super::*;
use crate::factory_config;
use crate::fioctl::FioctlError;

impl Plan {
    /// Stores the secret, then (only if fioctl succeeded) writes the config atomically.
    pub fn apply(&self, store: &dyn SecretStore) -> Result<Applied, ApplyError> {
        self.apply_with_progress(store, &mut |_| {})
    }

    /// [`Plan::apply`], reporting each step as it starts and ends (for live progress).
    pub fn apply_with_progress(
        &self,
        store: &dyn SecretStore,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Applied, ApplyError> {
        // Hold the config's lock from before the secret is stored until the end.
        let _lock = factory_config::write::ConfigLock::acquire(&self.config_path)
            .map_err(ApplyError::Config)?;
        if std::fs::read(&self.config_path).ok().as_deref() != Some(self.old_text.as_bytes()) {
            return Err(ApplyError::Config(
                factory_config::write::WriteError::ChangedSinceRead {
                    path: self.config_path.display().to_string(),
                },
            ));
        }
        if self.new_text != self.old_text {
            factory_config::write::preflight(&self.config_path).map_err(ApplyError::Config)?;
        }
        let stored = self.secret_op == SecretOp::Store;
        if stored {
            progress(Progress::StoringSecret);
            store
                .update(&[(self.secret_name.as_str(), &self.secret)])
                .map_err(ApplyError::Fioctl)?;
            progress(Progress::SecretStored);
        }
        let config_written = self.new_text != self.old_text;
        if config_written {
            progress(Progress::WritingConfig);
            factory_config::write::replace(&self.config_path, &self.old_text, &self.new_text)
                .map_err(|source| {
                    if stored {
                        ApplyError::ConfigAfterSecret {
                            secret_name: self.secret_name.clone(),
                            source,
                        }
                    } else {
                        ApplyError::Config(source)
                    }
                })?;
            progress(Progress::ConfigWritten);
        }
        let mut done = Vec::new();
        if stored {
            done.push(format!("the secret `{}` WAS stored", self.secret_name));
        }
        if config_written {
            done.push(format!("{} WAS written", self.config_path.display()));
        }
        if self.secret_op == SecretOp::Delete {
            progress(Progress::DeletingSecret);
            store.delete(&[self.secret_name.as_str()]).map_err(|e| {
                later(
                    &done,
                    format!("deleting the secret `{}` failed: {e}", self.secret_name),
                )
            })?;
            done.push(format!("the secret `{}` WAS deleted", self.secret_name));
            progress(Progress::SecretDeleted);
        }
        let mut commit = None;
        if let Some(c) = self.commit.as_ref().filter(|_| config_written) {
            progress(Progress::Committing);
            let id = c
                .checkout
                .commit(&c.message)
                .map_err(|e| later(&done, format!("the commit failed: {e}")))?;
            done.push(format!("commit {id} was made"));
            progress(Progress::Committed);
            if c.push {
                progress(Progress::Pushing);
                c.checkout
                    .push()
                    .map_err(|e| later(&done, format!("the push failed: {e}")))?;
                progress(Progress::Pushed);
            }
            commit = Some(id);
        }
        Ok(Applied {
            config_written,
            commit,
        })
    }
}

/// A step after the config failed: what was done, and what failed.
fn later(done: &[String], failed: String) -> ApplyError {
    ApplyError::Later {
        done: done.join(" and "),
        failed,
    }
}

/// A step of [`Plan::apply_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    StoringSecret,
    SecretStored,
    WritingConfig,
    ConfigWritten,
    DeletingSecret,
    SecretDeleted,
    Committing,
    Committed,
    Pushing,
    Pushed,
}

/// What a failed fioctl call means for the factory: only an answer from fioctl says the secret
/// was not stored; a call that was stopped may have reached the server.
fn fioctl_outcome(e: &FioctlError) -> &'static str {
    match e {
        e if e.unanswered() => {
            "factory-config.yml is untouched. fioctl was stopped before it answered, so the \
             secret may or may not have been stored: run the same command again (storing it \
             twice is harmless)."
        }
        FioctlError::ValueNotReadWhole { .. } => {
            "factory-config.yml is untouched. The secret may have been stored incomplete: run \
             the same command again (storing it twice is harmless)."
        }
        _ => "Nothing was changed: the secret was not stored and factory-config.yml is untouched.",
    }
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub config_written: bool,
    /// The short id of the commit, when one was made.
    pub commit: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{err}\n{outcome}", err = .0, outcome = fioctl_outcome(.0))]
    Fioctl(FioctlError),
    #[error("{0}\nNothing was changed in the factory.")]
    Config(factory_config::write::WriteError),
    #[error("{done}, but {failed}")]
    Later { done: String, failed: String },
    #[error(
        "the secret `{secret_name}` WAS stored in the factory, but {source}\nFix the problem and \
         run the same command again: storing the secret again is harmless."
    )]
    ConfigAfterSecret {
        secret_name: String,
        source: factory_config::write::WriteError,
    },
}
