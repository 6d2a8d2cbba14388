//! Runs the effects `update` asks for: slow ones on a background thread that reports back
//! through the channel, quick ones at once.

use super::state::{State, expand_home};
use super::update::{Effect, Event};
use crate::credentials;
use crate::plan::{Answers, Plan};
use crate::session::Session;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// How many completion candidates are listed under the key-file field.
const MAX_CANDIDATES: usize = 12;

/// The session's resources, and where background results go.
pub struct Runner<'a> {
    session: &'a Session,
    tx: Sender<Event>,
}

impl<'a> Runner<'a> {
    pub fn new(session: &'a Session, tx: Sender<Event>) -> Runner<'a> {
        Runner { session, tx }
    }

    /// Runs `effect`; a quick one returns its event at once, a slow one reports later.
    pub fn run(&self, effect: Effect, state: &State) -> Option<Event> {
        match effect {
            Effect::None => None,
            Effect::ListSecrets => {
                let Ok(store) = self.session.store.clone() else {
                    return None;
                };
                self.spawn(move || Event::SecretsListed(store.list().map_err(|e| e.to_string())));
                None
            }
            Effect::LoadProfiles => {
                let aws = Arc::clone(&self.session.aws);
                self.spawn(move || {
                    Event::ProfilesLoaded(
                        credentials::aws::list_profiles(&aws).map_err(|e| e.to_string()),
                    )
                });
                None
            }
            Effect::CheckKeyFile { typed, path } => {
                self.spawn(move || Event::KeyFileChecked {
                    path: typed,
                    result: credentials::gcp::key_file(&path)
                        .map(|(_secret, info)| info.client_email)
                        .map_err(|e| e.to_string()),
                });
                None
            }
            Effect::CompletePath(input) => {
                let (completed, candidates) = complete_path(&input, state.ctx.home.as_deref());
                Some(Event::PathCompleted {
                    input,
                    completed,
                    candidates,
                })
            }
            Effect::BuildPlan(answers) => {
                let result = build_plan(self.session, state, &answers);
                Some(Event::PlanBuilt { answers, result })
            }
            Effect::Apply(plan) => {
                let Ok(store) = self.session.store.clone() else {
                    return Some(Event::Applied(Err(
                        "no secret store: fioctl was not found".into()
                    )));
                };
                let tx = self.tx.clone();
                self.spawn(move || {
                    let result = plan.apply_with_progress(store.as_ref(), &mut |p| {
                        let _ = tx.send(Event::Progress(p));
                    });
                    Event::Applied(result.map_err(|e| e.to_string()))
                });
                None
            }
        }
    }

    /// Runs `work` on a thread and sends its event.
    fn spawn(&self, work: impl FnOnce() -> Event + Send + 'static) {
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // The receiver is gone only when the wizard has ended: nothing left to tell.
            let _ = tx.send(work());
        });
    }
}

/// Reads the credentials and builds the plan, exactly as `fioreg add` does.
fn build_plan(session: &Session, state: &State, answers: &Answers) -> Result<Arc<Plan>, String> {
    let cfg = state.config.as_ref().map_err(Clone::clone)?;
    let secret = answers.secret(&session.aws).map_err(|e| e.to_string())?;
    Plan::build(
        cfg,
        &answers.request,
        secret,
        state.ctx.plan_factory.clone(),
    )
    .map(Arc::new)
    .map_err(|e| e.to_string())
}

/// Completes the last component of a path from the directory it names: one match completes
/// (with `/` after a directory), several complete to their common prefix and are listed.
/// Hidden entries are offered only when the prefix starts with `.`.
pub fn complete_path(input: &str, home: Option<&Path>) -> (String, Vec<String>) {
    let (dir_part, prefix) = match input.rfind('/') {
        Some(i) => input.split_at(i + 1),
        None => ("", input),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_part, home)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (input.to_string(), Vec::new());
    };
    let mut found: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            Some((name, is_dir))
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [] => (input.to_string(), Vec::new()),
        [(name, is_dir)] => {
            let slash = if *is_dir { "/" } else { "" };
            (format!("{dir_part}{name}{slash}"), Vec::new())
        }
        many => {
            let first = &many[0].0;
            let mut common = first.len();
            for (name, _) in many {
                common = first
                    .bytes()
                    .zip(name.bytes())
                    .take(common)
                    .take_while(|(a, b)| a == b)
                    .count();
            }
            while !first.is_char_boundary(common) {
                common -= 1;
            }
            let mut names: Vec<String> = many
                .iter()
                .map(|(n, d)| if *d { format!("{n}/") } else { n.clone() })
                .collect();
            if names.len() > MAX_CANDIDATES {
                let more = names.len() - MAX_CANDIDATES;
                names.truncate(MAX_CANDIDATES);
                names.push(format!("(+{more} more)"));
            }
            (format!("{dir_part}{}", &first[..common]), names)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_from_the_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("sa-key.json"), "{}").unwrap();
        std::fs::write(d.join("sa-other.json"), "{}").unwrap();
        std::fs::write(d.join(".hidden"), "").unwrap();
        std::fs::create_dir(d.join("keys")).unwrap();
        let base = format!("{}/", d.display());

        let (done, list) = complete_path(&format!("{base}k"), None);
        assert_eq!((done, list.len()), (format!("{base}keys/"), 0));

        let (done, list) = complete_path(&format!("{base}sa"), None);
        assert_eq!(done, format!("{base}sa-"));
        assert_eq!(list, vec!["sa-key.json", "sa-other.json"]);

        let (done, _) = complete_path(&format!("{base}sa-k"), None);
        assert_eq!(done, format!("{base}sa-key.json"));

        let (_, list) = complete_path(&base, None);
        assert_eq!(list, vec!["keys/", "sa-key.json", "sa-other.json"]);
        let (done, _) = complete_path(&format!("{base}.h"), None);
        assert_eq!(done, format!("{base}.hidden"));

        // `~/` is the home directory; the completion keeps what was typed.
        let (done, _) = complete_path("~/sa-k", Some(d));
        assert_eq!(done, "~/sa-key.json");
        // Nothing to complete: unchanged.
        assert_eq!(complete_path("/no/such/dir/x", None).0, "/no/such/dir/x");
    }
}
