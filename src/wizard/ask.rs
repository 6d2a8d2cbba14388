//! The wizard's questions, declared as data (in the manner of cargo-generate's placeholders), and
//! the order in which a front end that asks one question at a time asks them.
//!
//! [`next`] looks at the state and says what comes next: a [`Question`] (its id, prompt, help,
//! kind and default), lines to say, actions that follow by themselves, or the end. [`answer`]
//! and [`back`] turn a reply (or Esc) into the [`Action`]s that the full-screen wizard's keys
//! would send. The refusals, the defaults and the order of the screens are the state's own
//! ([`super::update`]); the line prompts ([`crate::plain`]) only ask, say and send.

use super::state::{
    CommitState, CredsKind, Flow, KeyCheck, LoginCheck, NEW_AWS_USER_LABEL,
    NEW_AZURE_PRINCIPAL_LABEL, NEW_GAR_ACCOUNT_LABEL, Profiles, ReviewFocus, Screen, StartItem,
    State, UserTokenFocus, field_help, field_label, identity_intro, identity_words,
    profile_disabled_reason,
};
use super::update::{Action, Checkbox, Input, Nav};
use crate::credentials::user_token::UserTokenKind;
use crate::provider::Provider;
use secrecy::SecretString;
use std::collections::VecDeque;

/// One option of a [`Kind::Select`] question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    /// Why the option cannot be chosen; it is still listed, so the user learns it exists.
    pub disabled: Option<String>,
}

impl Choice {
    /// An option that can be chosen.
    pub fn new(label: impl Into<String>) -> Self {
        Choice {
            label: label.into(),
            disabled: None,
        }
    }

    /// An option that is listed with the reason it cannot be chosen (`None`: it can be).
    pub fn maybe(label: impl Into<String>, disabled: Option<&str>) -> Self {
        Choice {
            label: label.into(),
            disabled: disabled.map(str::to_string),
        }
    }
}

/// What a question takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// One of the options; disabled ones are refused with their reason.
    Select(Vec<Choice>),
    /// A line of text; Enter alone gives the default.
    Text { default: Option<String> },
    /// A file path (completed with Tab where the front end can).
    Path,
    /// A hidden answer: never shown, never echoed.
    Secret,
    /// Yes or no.
    Confirm { default: bool },
}

/// Which answer a question is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    /// Across factories: the factories the flows run on, one comma list.
    Factories,
    Start,
    Provider,
    /// Rotate and remove: the configured entry.
    Entry,
    Profile,
    /// GAR and Azure, adding: existing credentials (0), or a new identity (1).
    Identity,
    /// A text field, answered whole ([`Action::Answer`]).
    Text(Input),
    /// A checkbox ([`Action::Check`]).
    Check(Checkbox),
    Password,
    StoreAnyway,
    WhatNow,
    Apply,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: Id,
    pub prompt: String,
    pub help: Option<&'static str>,
    pub kind: Kind,
}

impl Question {
    fn new(id: Id, prompt: impl Into<String>, kind: Kind) -> Question {
        Question {
            id,
            prompt: prompt.into(),
            help: None,
            kind,
        }
    }

    fn help(mut self, help: &'static str) -> Question {
        self.help = Some(help);
        self
    }

    fn text(id: Id, prompt: impl Into<String>, value: &str) -> Question {
        let default = (!value.is_empty()).then(|| value.to_string());
        Question::new(id, prompt, Kind::Text { default })
    }

    fn confirm(id: Id, prompt: impl Into<String>, default: bool) -> Question {
        Question::new(id, prompt, Kind::Confirm { default })
    }
}

/// A reply to a [`Question`], matching its [`Kind`].
#[derive(Debug)]
pub enum Reply {
    Index(usize),
    Text(String),
    Secret(SecretString),
    Yes(bool),
}

/// What the one-question-at-a-time front end does next.
#[derive(Debug)]
pub enum Next {
    Ask(Question),
    /// Lines to print (they may quote files or servers: print them escaped).
    Say(Vec<String>),
    /// Text that is already escaped and may be coloured (the plan).
    Show(String),
    /// Actions that follow without a question.
    Go(Vec<Action>),
    /// Nothing more to ask: the run has an outcome.
    End,
}

/// Where a front end is among the questions (the full-screen wizard shows each screen whole and
/// needs none of this).
#[derive(Debug, Default)]
pub struct Cursor {
    place: Option<Place>,
    /// The question of the place being asked.
    at: usize,
    /// The place's opening lines were said on this visit.
    opened: bool,
    /// What the last answer's consequences are checked for.
    pending: Option<Pending>,
    /// Review: the commit was offered for this plan.
    commit_asked: bool,
    queue: VecDeque<Next>,
}

impl Cursor {
    fn say(&mut self, line: String) {
        self.queue.push_back(Next::Say(vec![line]));
    }
}

/// A screen, or the part of one that is asked as a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Start,
    /// Start across factories, reached from one factory's Start (Esc goes back to it).
    Switched,
    Containers,
    Provider,
    Registry,
    Pick,
    Profiles,
    /// The fields of a new cloud identity (AWS, GAR, Azure).
    NewIdentity,
    UserToken,
    KeyFile,
    /// The login test numbered so: a new test is a new visit.
    TestLogin(u64),
    Review,
    Over,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    /// A question was answered: stay on it with its refusal, else on to the next.
    Answered(Id),
    /// The place's answers were sent with Enter: a refusal is said and the place asked again.
    Submitted,
    /// A device-wrap was chosen on Start (the result before it).
    Wrapped(Option<Result<String, String>>),
    /// The containers.git path was given.
    Scanned,
    /// The key file's path was given and checked.
    KeyChecked,
    /// The commit was asked for.
    Commit,
}

fn place(state: &State) -> Place {
    match state.screen {
        Screen::Start if state.containers_input.is_some() => Place::Containers,
        Screen::Start if state.switched_to_several() => Place::Switched,
        Screen::Start => Place::Start,
        Screen::Provider => Place::Provider,
        Screen::Registry => Place::Registry,
        Screen::Pick => Place::Pick,
        Screen::Credentials => match state.creds.as_ref().map(|c| &c.kind) {
            Some(kind) if kind.identity().editing => Place::NewIdentity,
            Some(CredsKind::Aws { .. }) => Place::Profiles,
            Some(CredsKind::KeyFile { .. }) => Place::KeyFile,
            Some(CredsKind::UserToken { .. }) | None => Place::UserToken,
        },
        Screen::TestLogin => Place::TestLogin(state.login.as_ref().map_or(0, |l| l.run)),
        Screen::Review => Place::Review,
        Screen::Apply | Screen::Done => Place::Over,
    }
}

/// What comes next for `state`; `cur` remembers what was asked and said.
pub fn next(state: &State, cur: &mut Cursor) -> Next {
    loop {
        if let Some(n) = cur.queue.pop_front() {
            return n;
        }
        if state.quit {
            return Next::End;
        }
        let here = place(state);
        if let Some(p) = cur.pending.take() {
            let same = cur.place == Some(here);
            consequences(state, cur, p, same);
            continue;
        }
        if cur.place != Some(here) {
            let back = cur.place == Some(Place::Switched) && here == Place::Start;
            *cur = Cursor {
                place: Some(here),
                ..Cursor::default()
            };
            if back {
                cur.say(format!("Back to one factory: {}.", state.ctx.factory_label));
            }
        }
        if !cur.opened {
            cur.opened = true;
            open(state, cur, here);
            continue;
        }
        let questions = questions(state, cur, here);
        return match questions.into_iter().nth(cur.at) {
            Some(q) => Next::Ask(q),
            None if here == Place::Over => Next::End,
            // Every question of the place is answered: Enter, as on the full screen.
            None => {
                cur.pending = Some(Pending::Submitted);
                if let Some(line) = submitting(state, here) {
                    cur.queue
                        .push_back(Next::Go(vec![Action::Nav(Nav::Choose)]));
                    return Next::Say(vec![line]);
                }
                Next::Go(vec![Action::Nav(Nav::Choose)])
            }
        };
    }
}

/// What is said as a place's answers go off to a cloud.
fn submitting(state: &State, place: Place) -> Option<String> {
    let provider = state.creds.as_ref().map(|c| c.provider)?;
    (place == Place::NewIdentity).then(|| format!("{} ...", identity_intro(provider).1))
}

/// The lines a place opens with, and what follows by itself (a login test that passed goes on).
fn open(state: &State, cur: &mut Cursor, here: Place) {
    let azure = state.creds.as_ref().map(|c| c.provider) == Some(Provider::Azure);
    if (matches!(here, Place::Profiles | Place::KeyFile) || here == Place::UserToken && azure)
        && let Some(why) = state.no_identity_reason()
    {
        cur.say(why.into());
    }
    match here {
        Place::Profiles => {
            let create = state.creates_identities();
            let failed = match &state.profiles {
                Profiles::Loaded(list) if !list.is_empty() => None,
                Profiles::Failed(why) => Some(format!("✗ {why}")),
                _ => Some("✗ no AWS profiles were found".to_string()),
            };
            if let Some(failed) = failed {
                cur.say(failed);
                if !create {
                    cur.queue.push_back(Next::Go(vec![Action::Nav(Nav::Back)]));
                    return;
                }
            }
            cur.say(
                "CI gets only the chosen profile's two keys, stored as [default]: never your \
                 other profiles."
                    .into(),
            );
        }
        Place::TestLogin(_) => {
            let Some(login) = &state.login else {
                cur.queue.push_back(Next::Go(vec![Action::Nav(Nav::Back)]));
                return;
            };
            let Some(result) = login.result() else {
                cur.queue.push_back(Next::End);
                return;
            };
            let go_on = Next::Go(vec![Action::Nav(Nav::Choose)]);
            match result {
                LoginCheck::Accepted => {
                    cur.say("✓ accepted".into());
                    cur.queue.push_back(go_on);
                }
                LoginCheck::NoLogin => {
                    cur.say(format!(
                        "! {} needs no login, so the credentials could not be tested.",
                        login.host
                    ));
                    cur.queue.push_back(go_on);
                }
                LoginCheck::Failed(why) | LoginCheck::Unreachable(why) => {
                    cur.say(format!("✗ {why}"));
                    cur.say(if result.may_store_anyway() {
                        "The credentials could not be tested.".into()
                    } else {
                        "Nothing was stored.".into()
                    });
                }
            }
        }
        Place::Review => open_review(state, cur),
        Place::Switched => {
            cur.say(super::flow::SEVERAL_START.into());
            if let Some(note) = state.switched_note() {
                cur.say(note);
            }
        }
        _ => {}
    }
}

/// The Review: the plan (printed once per visit), or why it cannot be applied.
fn open_review(state: &State, cur: &mut Cursor) {
    let Some(review) = &state.review else {
        cur.queue.push_back(Next::Go(vec![Action::Nav(Nav::Back)]));
        return;
    };
    let ctx = &state.ctx;
    let mut lines = vec![String::new()];
    lines.extend(review.source.kept_note(&ctx.keyring));
    if let Some(cloud) = &review.cloud {
        lines.push(super::flow::new_key_login_note(
            &cloud.plan,
            ctx.verify.is_some(),
        ));
        lines.push(cloud.plan.render().trim_end().to_string());
    } else if review.login.is_none()
        && super::flow::plan_needs_login_test(&review.plan)
        && let Some(why) = ctx.login_skipped()
    {
        lines.push(format!("Login test skipped ({why})."));
    }
    cur.queue.push_back(Next::Say(lines));
    // Escaped by render itself, before the diff's colours.
    let text = match &review.batch {
        // Across factories: the plan for all.
        Some(batch) => batch.render(ctx.color),
        None => review.plan.render(ctx.color),
    };
    cur.queue.push_back(Next::Show(text.trim_end().to_string()));
    cur.queue.push_back(Next::Say(vec![String::new()]));
    if super::flow::store_blocks(ctx, review) {
        let why = ctx.store_error.clone().unwrap_or_default();
        cur.queue
            .push_back(Next::Say(vec![format!("Applying is impossible: {why}")]));
        cur.queue.push_back(Next::Go(vec![Action::Nav(Nav::Quit)]));
    }
}

/// The questions of a place, in order, as the state now stands.
fn questions(state: &State, cur: &Cursor, here: Place) -> Vec<Question> {
    match here {
        Place::Start | Place::Switched => {
            let mut qs = Vec::new();
            // Across factories the factories are one question (asked on each visit, the last
            // answer as its default), not items of the menu.
            if state.several.is_some() {
                let chosen = state.chosen_names();
                qs.push(
                    Question::text(
                        Id::Factories,
                        "Which factories? (names, separated by commas)",
                        &chosen.join(", "),
                    )
                    .help("the flows run on these; the others are left as they are"),
                );
            }
            let options = menu(state)
                .iter()
                .map(|(_, a)| Choice::maybe(a.label(), state.start_disabled(a).as_deref()))
                .collect();
            qs.push(Question::new(
                Id::Start,
                "What do you want to do?",
                Kind::Select(options),
            ));
            qs
        }
        Place::Containers => vec![
            Question::new(
                Id::Text(Input::Containers),
                "Path to the factory's containers.git checkout",
                Kind::Path,
            )
            .help("scanned now, and remembered for this factory"),
        ],
        Place::Provider => {
            let options = Provider::ALL
                .iter()
                .map(|p| Choice::new(format!("{} — {}", p.title(), p.blurb())))
                .collect();
            vec![Question::new(
                Id::Provider,
                "Which kind of registry should CI pull from?",
                Kind::Select(options),
            )]
        }
        Place::Registry => {
            let Some(form) = &state.registry else {
                return Vec::new();
            };
            form.fields
                .iter()
                .map(|f| {
                    // A refused value is not offered again: Enter would only give it back.
                    let refused = form.field_error(f.kind).is_some();
                    let value = if refused { "" } else { f.input.value() };
                    Question::text(
                        Id::Text(Input::Registry(f.kind)),
                        field_label(form.provider, f.kind),
                        value,
                    )
                    .help(field_help(form.provider, f.kind))
                })
                .collect()
        }
        Place::Pick => pick_questions(state),
        Place::Profiles => {
            let mut options: Vec<Choice> = (state.profiles.list().iter())
                .map(|pi| {
                    let mut label = match &pi.access_key_id_masked {
                        Some(id) => format!("{} ({id})", pi.name),
                        None => pi.name.clone(),
                    };
                    if pi.looks_personal {
                        label.push_str(" — looks personal: prefer a pull-only IAM user");
                    }
                    Choice::maybe(label, profile_disabled_reason(pi))
                })
                .collect();
            if state.creates_identities() {
                options.push(Choice::new(NEW_AWS_USER_LABEL));
            }
            vec![Question::new(
                Id::Profile,
                "Which AWS profile should CI use?",
                Kind::Select(options),
            )]
        }
        Place::NewIdentity => {
            let Some(creds) = &state.creds else {
                return Vec::new();
            };
            let form = creds.kind.identity();
            // Azure: the expiry is a token's, asked only when repositories were given.
            let token = !form.value(Input::AcrRepositories).trim().is_empty();
            form.fields
                .iter()
                .filter(|(input, _)| *input != Input::TokenDays || token)
                .map(|(input, text)| {
                    let words = identity_words(*input);
                    Question::text(Id::Text(*input), words.prompt, text.value()).help(words.help)
                })
                .collect()
        }
        Place::KeyFile => {
            let mut qs = Vec::new();
            if state.creates_identities() {
                qs.push(identity(
                    "How does CI get its Google Cloud key?",
                    "Use an existing service-account JSON key file",
                    NEW_GAR_ACCOUNT_LABEL,
                ));
            }
            qs.push(
                Question::new(
                    Id::Text(Input::KeyFile),
                    "Path to the service-account JSON key file",
                    Kind::Path,
                )
                .help(
                    "Tab completes paths. Create a key with `gcloud iam service-accounts keys \
                     create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`",
                ),
            );
            qs
        }
        Place::UserToken => {
            let mut qs = Vec::new();
            if super::update::offers_new_principal(state) {
                qs.push(identity(
                    "How does CI log in to Azure?",
                    "Use an existing service principal (its id and password)",
                    NEW_AZURE_PRINCIPAL_LABEL,
                ));
            }
            qs.extend(user_token_questions(state));
            qs
        }
        Place::TestLogin(_) => {
            let mut qs = Vec::new();
            if state
                .login
                .as_ref()
                .and_then(|l| l.result())
                .is_some_and(LoginCheck::may_store_anyway)
            {
                qs.push(Question::confirm(
                    Id::StoreAnyway,
                    "Store them anyway?",
                    false,
                ));
            }
            qs.push(Question::new(
                Id::WhatNow,
                "What now?",
                Kind::Select(
                    ["Change the credentials", "Test again", "Quit"]
                        .map(Choice::new)
                        .to_vec(),
                ),
            ));
            qs
        }
        Place::Review => {
            let Some(review) = &state.review else {
                return Vec::new();
            };
            let mut qs = Vec::new();
            let prompt = match (&review.batch, &state.ctx.checkout) {
                (Some(_), _) => Some(
                    "Commit each changed factory-config.yml in its own checkout after applying?"
                        .to_string(),
                ),
                (None, Some(checkout)) => Some(format!(
                    "Commit {} on {} after applying?",
                    review.plan.config_name(),
                    checkout.branch
                )),
                (None, None) => None,
            };
            if matches!(review.commit, CommitState::Off)
                && !cur.commit_asked
                && let Some(prompt) = prompt
            {
                qs.push(Question::confirm(
                    Id::Check(Checkbox::Commit),
                    prompt,
                    false,
                ));
            }
            qs.push(Question::confirm(Id::Apply, "Apply this plan?", false));
            // One at a time: the commit (until answered), then the confirmation.
            qs.truncate(1);
            qs
        }
        Place::Over => Vec::new(),
    }
}

/// The Start menu: its items with their indices among the state's (the factories are asked
/// apart).
fn menu(state: &State) -> Vec<(usize, StartItem)> {
    state
        .start_items()
        .into_iter()
        .enumerate()
        .filter(|(_, a)| !matches!(a, StartItem::Factory { .. }))
        .collect()
}

/// Adding to GAR or Azure: existing credentials, or a new pull-only identity made with the
/// admin's own cloud login.
fn identity(prompt: &str, existing: &str, create: &str) -> Question {
    let options = vec![Choice::new(existing), Choice::new(create)];
    Question::new(Id::Identity, prompt, Kind::Select(options))
}

/// Rotate and remove: the configured entries (the refused ones with the core's reason), and
/// for a removal whether its secret goes too.
fn pick_questions(state: &State) -> Vec<Question> {
    let entries = state.entries();
    let options = entries
        .iter()
        .map(|e| {
            let secret = e
                .secret_name
                .as_deref()
                .map_or("no secret name".to_string(), |n| format!("secret {n}"));
            Choice::maybe(
                format!("{} ({}, {secret})", e.label(), e.place()),
                e.disabled(),
            )
        })
        .collect();
    let remove = state.flow == Flow::Remove;
    let prompt = if remove {
        "Which registry should be removed?"
    } else {
        "Which registry gets new credentials?"
    };
    let mut qs = vec![Question::new(Id::Entry, prompt, Kind::Select(options))];
    if remove
        && let Some(name) = entries
            .get(state.pick.cursor)
            .and_then(|e| e.secret_name.as_ref())
    {
        let target = match state.several {
            Some(_) => "each factory".to_string(),
            None => state.ctx.target().name(),
        };
        qs.push(Question::confirm(
            Id::Check(Checkbox::DeleteSecret),
            format!("Also delete its secret {name} from {target}?"),
            false,
        ));
    }
    qs
}

/// The user, the remembered password (when the keyring holds one), the password and the
/// remember box, as the form shows them.
fn user_token_questions(state: &State) -> Vec<Question> {
    let Some(creds) = &state.creds else {
        return Vec::new();
    };
    let CredsKind::UserToken { user, keyring, .. } = &creds.kind else {
        return Vec::new();
    };
    let kind = UserTokenKind::of(creds.provider);
    let noun = kind.password_noun();
    let keys = &state.ctx.keyring;
    let account = keyring.account.as_deref().unwrap_or_default();
    keyring
        .items()
        .into_iter()
        .filter_map(|item| match item {
            UserTokenFocus::User => Some(Question::text(
                Id::Text(Input::User),
                match kind {
                    UserTokenKind::AzurePrincipal => {
                        "Service principal id (the application / client id)"
                    }
                    UserTokenKind::Generic => "User name",
                },
                user.value(),
            )),
            UserTokenFocus::UseRemembered => Some(Question::confirm(
                Id::Check(Checkbox::UseRemembered),
                format!("Use the remembered {noun} for {account} ({keys})?"),
                true,
            )),
            UserTokenFocus::Password => {
                let mut prompt = format!("{noun} (hidden: nothing is shown as you type)");
                if let Some(first) = prompt.get(..1) {
                    prompt.replace_range(..1, &first.to_uppercase());
                }
                Some(Question::new(Id::Password, prompt, Kind::Secret))
            }
            UserTokenFocus::Remember => Some(Question::confirm(
                Id::Check(Checkbox::Remember),
                format!("Remember the {noun} in the OS keyring ({keys}) for {account}?"),
                false,
            )),
            // The "create" item is the Identity question, asked first.
            UserTokenFocus::CreateNew => None,
        })
        .collect()
}

/// After an answer's actions have run: say a refusal and stay, or go on. `same`: the answer
/// left the place as it was (else only what it did is said).
fn consequences(state: &State, cur: &mut Cursor, p: Pending, same: bool) {
    if !same && !matches!(p, Pending::Wrapped(_) | Pending::Scanned) {
        return;
    }
    match p {
        Pending::Answered(Id::Text(Input::Registry(kind))) => {
            match state.registry.as_ref().and_then(|f| f.field_error(kind)) {
                Some(why) => cur.say(format!("✗ {why}")),
                None => cur.at += 1,
            }
        }
        Pending::Answered(Id::Factories) => {
            match state.several.as_ref().and_then(|s| s.error.clone()) {
                Some(why) => cur.say(format!("✗ {why}")),
                None => cur.at += 1,
            }
        }
        Pending::Answered(_) => cur.at += 1,
        Pending::Submitted => {
            let refusal = match state.screen {
                Screen::Registry => state.registry.as_ref().and_then(|f| f.plan_error.clone()),
                Screen::Pick => state.pick.error.clone(),
                Screen::Credentials => state.creds.as_ref().and_then(|c| c.error.clone()),
                _ => None,
            };
            if let Some(why) = refusal {
                cur.say(format!("✗ {why}"));
            }
            // Asked again from its first question (after the choice of existing credentials,
            // which stands).
            let here = place(state);
            let chosen = questions(state, cur, here)
                .first()
                .is_some_and(|q| q.id == Id::Identity);
            cur.at = usize::from(chosen);
            cur.opened = false;
        }
        Pending::Wrapped(before) => {
            if state.wrapped != before {
                match &state.wrapped {
                    Some(Ok(done)) => cur.say(format!("✓ {done}")),
                    Some(Err(why)) => cur.say(format!("✗ device-wrap: {why}")),
                    None => {}
                }
            }
        }
        Pending::Scanned => {
            if state.containers_input.is_some() {
                // Nothing given: back to the menu.
                cur.queue.push_back(Next::Go(vec![Action::Nav(Nav::Back)]));
            }
            say_scan(state, cur);
        }
        Pending::KeyChecked => match state.creds.as_ref().map(|c| &c.kind) {
            Some(CredsKind::KeyFile {
                check: KeyCheck::Valid { email, .. },
                ..
            }) => {
                cur.say(format!("Service account: {email}"));
                cur.at += 1;
            }
            Some(CredsKind::KeyFile {
                check: KeyCheck::Invalid { error, .. },
                ..
            }) => cur.say(format!("✗ {error}")),
            _ => cur.say("✗ Give the path of the key file.".into()),
        },
        Pending::Commit => match state.review.as_ref().map(|r| &r.commit) {
            Some(CommitState::Refused(why)) => {
                cur.say(format!("✗ {why}"));
                cur.queue
                    .push_back(Next::Go(vec![Action::Check(Checkbox::Commit, false)]));
            }
            Some(CommitState::On(c)) => {
                cur.say(super::flow::commit_step(c));
                cur.commit_asked = true;
            }
            Some(CommitState::All) => {
                let batch = state.review.as_ref().and_then(|r| r.batch.as_ref());
                for (factory, commit) in batch.map(|b| b.commits()).unwrap_or_default() {
                    cur.say(match commit {
                        Ok(c) => format!("{factory}: {}", super::flow::commit_step(c)),
                        Err(why) => format!("{factory}: will not be changed: {why}"),
                    });
                }
                cur.commit_asked = true;
            }
            _ => cur.commit_asked = true,
        },
    }
}

fn say_scan(state: &State, cur: &mut Cursor) {
    let lines = super::flow::scan_lines(state)
        .into_iter()
        .map(|(mark, line)| format!("{}{line}", mark.prefix()))
        .collect();
    cur.queue.push_back(Next::Say(lines));
}

/// The actions a reply to `q` stands for (what the full-screen wizard's keys would send).
pub fn answer(state: &State, cur: &mut Cursor, q: &Question, reply: Reply) -> Vec<Action> {
    let nav = |n: Nav| Action::Nav(n);
    cur.pending = Some(Pending::Answered(q.id));
    match (q.id, reply) {
        (Id::Start, Reply::Index(i)) => {
            cur.pending = Some(Pending::Wrapped(state.wrapped.clone()));
            let at = menu(state).get(i).map_or(i, |(at, _)| *at);
            vec![Action::Select(at)]
        }
        (Id::Factories, Reply::Text(t)) => {
            let names = t
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect();
            vec![Action::Factories(names)]
        }
        (Id::Text(Input::Containers), Reply::Text(t)) => {
            cur.pending = Some(Pending::Scanned);
            vec![Action::Answer(Input::Containers, t), nav(Nav::Choose)]
        }
        // Enter on the value shown is no edit: the region and the secret name go on following
        // the url, as in the full-screen wizard.
        (Id::Text(Input::Registry(kind)), Reply::Text(t))
            if state.registry.as_ref().is_some_and(|f| f.text(kind) == t) =>
        {
            Vec::new()
        }
        (Id::Text(Input::KeyFile), Reply::Text(t)) => {
            cur.pending = Some(Pending::KeyChecked);
            vec![Action::Answer(Input::KeyFile, t)]
        }
        (Id::Text(input), Reply::Text(t)) => vec![Action::Answer(input, t)],
        (Id::Check(Checkbox::Commit), Reply::Yes(true)) => {
            cur.pending = Some(Pending::Commit);
            vec![Action::Check(Checkbox::Commit, true)]
        }
        (Id::Check(Checkbox::Commit), Reply::Yes(false)) => {
            cur.pending = None;
            cur.commit_asked = true;
            Vec::new()
        }
        (Id::Check(which), Reply::Yes(on)) => vec![Action::Check(which, on)],
        (Id::Provider, Reply::Index(i)) => vec![Action::Select(i)],
        (Id::Entry, Reply::Index(i)) if state.flow == Flow::Rotate => {
            cur.pending = Some(Pending::Submitted);
            vec![Action::Select(i)]
        }
        (Id::Entry, Reply::Index(i)) => vec![Action::Cursor(i)],
        (Id::Profile, Reply::Index(i)) => {
            if state.creates_identities() && i == state.profiles.list().len() {
                // Opens the new user's fields, with their defaults.
                cur.pending = None;
                vec![Action::Select(i)]
            } else {
                cur.pending = Some(Pending::Submitted);
                vec![Action::Cursor(i), nav(Nav::Choose)]
            }
        }
        // A new identity: its fields open, with their defaults.
        (Id::Identity, Reply::Index(1)) => {
            cur.pending = None;
            vec![Action::Select(1)]
        }
        // Existing credentials: their questions come next.
        (Id::Identity, Reply::Index(_)) => vec![Action::Cursor(0)],
        (Id::Password, Reply::Secret(s)) => vec![Action::Password(s)],
        (Id::StoreAnyway, Reply::Yes(true)) => vec![nav(Nav::FocusNext), nav(Nav::Choose)],
        (Id::StoreAnyway, Reply::Yes(false)) => Vec::new(),
        (Id::WhatNow, Reply::Index(0)) => vec![nav(Nav::Back)],
        (Id::WhatNow, Reply::Index(1)) => vec![nav(Nav::Retry)],
        (Id::WhatNow, Reply::Index(_)) => vec![nav(Nav::Quit)],
        (Id::Apply, Reply::Yes(true)) => {
            cur.pending = None;
            let focused = state.review.as_ref().map(|r| r.focus) == Some(ReviewFocus::Apply);
            let mut go = if focused {
                vec![]
            } else {
                vec![nav(Nav::FocusNext)]
            };
            go.push(nav(Nav::Choose));
            go
        }
        (Id::Apply, Reply::Yes(false)) => vec![nav(Nav::Quit)],
        // A reply of another kind than asked: the question is asked again.
        _ => {
            cur.pending = None;
            Vec::new()
        }
    }
}

/// Esc at `q`: back one question, or from a place's first question back a screen (from the
/// first question of all: quit).
pub fn back(cur: &mut Cursor, q: &Question) -> Vec<Action> {
    match q.id {
        // The first question of all leaves.
        // Across factories reached from one factory's Start: back to it.
        Id::Start | Id::Factories if cur.at == 0 && cur.place == Some(Place::Switched) => {
            vec![Action::Nav(Nav::Back)]
        }
        Id::Start | Id::Factories if cur.at == 0 => vec![Action::Nav(Nav::Quit)],
        // Back at the login test's or the review's questions leaves the screen.
        Id::StoreAnyway | Id::WhatNow | Id::Check(Checkbox::Commit) | Id::Apply => {
            vec![Action::Nav(Nav::Back)]
        }
        _ if cur.at > 0 => {
            cur.at -= 1;
            Vec::new()
        }
        _ => vec![Action::Nav(Nav::Back)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::{self, AWS_URL};
    use crate::wizard::state::FieldKind;
    use crate::wizard::update::update;

    /// Runs `next` until it asks (or ends), sending what goes by itself; returns the question
    /// and what was said on the way.
    fn ask(s: &mut State, cur: &mut Cursor) -> (Option<Question>, Vec<String>) {
        let mut said = Vec::new();
        for _ in 0..50 {
            match next(s, cur) {
                Next::Ask(q) => return (Some(q), said),
                Next::Say(lines) => said.extend(lines),
                Next::Show(text) => said.push(text),
                Next::Go(actions) => {
                    for a in actions {
                        update(s, a);
                    }
                }
                Next::End => return (None, said),
            }
        }
        panic!("no question after 50 steps")
    }

    fn reply(s: &mut State, cur: &mut Cursor, q: &Question, r: Reply) {
        for a in answer(s, cur, q, r) {
            update(s, a);
        }
    }

    fn esc(s: &mut State, cur: &mut Cursor, q: &Question) {
        for a in back(cur, q) {
            update(s, a);
        }
    }

    /// Start -> Add -> the provider at `index`: the Registry's first question.
    fn to_registry(s: &mut State, cur: &mut Cursor, index: usize) -> Question {
        let (q, _) = ask(s, cur);
        let q = q.expect("Start asks");
        assert_eq!(q.id, Id::Start);
        reply(s, cur, &q, Reply::Index(0));
        let (q, _) = ask(s, cur);
        let q = q.expect("the provider is asked");
        assert_eq!(q.id, Id::Provider);
        reply(s, cur, &q, Reply::Index(index));
        ask(s, cur).0.expect("the registry is asked")
    }

    #[test]
    fn one_factory_start_switches_across_factories_and_esc_at_the_names_goes_back() {
        let mut s = testing::state();
        s.ctx.verify = None;
        update(&mut s, Action::SecretsListed(Ok(vec!["aws_creds".into()])));
        crate::wizard::init_fleet(&mut s, true);
        update(&mut s, Action::FleetLoaded(Ok(testing::fleet_views())));
        let mut cur = Cursor::default();
        let (q, _) = ask(&mut s, &mut cur);
        let q = q.expect("Start asks");
        let Kind::Select(options) = &q.kind else {
            panic!("{q:?}")
        };
        let at = options
            .iter()
            .position(|c| c.label == crate::wizard::state::SEVERAL_LABEL)
            .expect("the switch is offered");
        assert_eq!(options[at].disabled, None);
        reply(&mut s, &mut cur, &q, Reply::Index(at));
        // Across factories: what stays one-factory, who is chosen, then the names (acme alone
        // as the default).
        let (q, said) = ask(&mut s, &mut cur);
        let q = q.expect("the factories are asked");
        assert_eq!(q.id, Id::Factories);
        assert_eq!(
            q.kind,
            Kind::Text {
                default: Some("acme".into())
            }
        );
        assert_eq!(said[0], crate::wizard::flow::SEVERAL_START);
        assert!(said[1].starts_with("Chosen: acme;"), "{said:?}");
        // Esc: acme's own Start again, said so.
        esc(&mut s, &mut cur, &q);
        assert!(!s.quit);
        assert!(s.several.is_none());
        let (q, said) = ask(&mut s, &mut cur);
        let q = q.expect("Start asks");
        assert_eq!(q.id, Id::Start);
        assert_eq!(said, ["Back to one factory: acme (from --factory)."]);
        // Again, and two factories named: the menu of the flows across them.
        reply(&mut s, &mut cur, &q, Reply::Index(at));
        let (q, _) = ask(&mut s, &mut cur);
        let q = q.expect("the factories are asked");
        reply(&mut s, &mut cur, &q, Reply::Text("acme, beta".into()));
        let (q, _) = ask(&mut s, &mut cur);
        assert_eq!(q.map(|q| q.id), Some(Id::Start));
        assert_eq!(
            s.several.as_ref().map(|x| x.chosen.clone()),
            Some(vec![true, true, false])
        );
    }

    #[test]
    fn a_refused_field_is_said_and_asked_again_without_its_value() {
        let (mut s, mut cur) = (testing::state(), Cursor::default());
        let q = to_registry(&mut s, &mut cur, 3);
        assert_eq!(q.id, Id::Text(Input::Registry(FieldKind::Url)));
        assert_eq!(q.kind, Kind::Text { default: None });
        reply(
            &mut s,
            &mut cur,
            &q,
            Reply::Text("https://ghcr.io/x y".into()),
        );
        let (again, said) = ask(&mut s, &mut cur);
        let again = again.unwrap();
        assert_eq!(again.id, q.id, "the same field is asked again");
        assert_eq!(
            again.kind,
            Kind::Text { default: None },
            "not offered again"
        );
        assert!(said.len() == 1 && said[0].starts_with("✗ "), "{said:?}");
        reply(
            &mut s,
            &mut cur,
            &again,
            Reply::Text("registry.example.com".into()),
        );
        let (q, said) = ask(&mut s, &mut cur);
        assert!(said.is_empty(), "{said:?}");
        let q = q.unwrap();
        // The secret name follows the url: offered as the default.
        assert_eq!(q.id, Id::Text(Input::Registry(FieldKind::SecretName)));
        let Kind::Text { default: Some(d) } = &q.kind else {
            panic!("{q:?}")
        };
        assert!(!d.is_empty());
    }

    #[test]
    fn esc_goes_back_one_field_and_from_the_first_one_screen() {
        let (mut s, mut cur) = (testing::state(), Cursor::default());
        let first = to_registry(&mut s, &mut cur, 3);
        reply(
            &mut s,
            &mut cur,
            &first,
            Reply::Text("registry.example.com".into()),
        );
        let second = ask(&mut s, &mut cur).0.unwrap();
        assert_ne!(second.id, first.id);
        esc(&mut s, &mut cur, &second);
        let q = ask(&mut s, &mut cur).0.unwrap();
        assert_eq!(q.id, first.id);
        // The earlier answer is kept as the default.
        assert_eq!(
            q.kind,
            Kind::Text {
                default: Some("registry.example.com".into())
            }
        );
        esc(&mut s, &mut cur, &q);
        assert_eq!(s.screen, Screen::Provider);
        assert_eq!(ask(&mut s, &mut cur).0.unwrap().id, Id::Provider);
    }

    #[test]
    fn the_remembered_password_replaces_the_password_questions() {
        let mut s = testing::state();
        testing::to_generic_credentials(&mut s, "docker.io");
        let Some(CredsKind::UserToken { keyring, .. }) = s.creds.as_ref().map(|c| &c.kind) else {
            panic!("user and token")
        };
        let account = keyring.account.clone().unwrap();
        update(
            &mut s,
            Action::KeyringChecked {
                account: account.clone(),
                held: true,
            },
        );
        let mut cur = Cursor::default();
        let ids = |s: &State, cur: &Cursor| -> Vec<Id> {
            questions(s, cur, Place::UserToken)
                .iter()
                .map(|q| q.id)
                .collect()
        };
        assert_eq!(
            ids(&s, &cur),
            [
                Id::Text(Input::User),
                Id::Check(Checkbox::UseRemembered),
                Id::Password,
                Id::Check(Checkbox::Remember)
            ]
        );
        let q = ask(&mut s, &mut cur).0.unwrap();
        reply(&mut s, &mut cur, &q, Reply::Text("ci".into()));
        let q = ask(&mut s, &mut cur).0.unwrap();
        assert_eq!(q.id, Id::Check(Checkbox::UseRemembered));
        assert_eq!(q.kind, Kind::Confirm { default: true });
        assert!(q.prompt.contains(&account), "{}", q.prompt);
        reply(&mut s, &mut cur, &q, Reply::Yes(true));
        assert_eq!(
            ids(&s, &cur),
            [Id::Text(Input::User), Id::Check(Checkbox::UseRemembered)]
        );
        // Nothing left to ask: the answers go off as Enter would send them.
        let Next::Go(actions) = next(&s, &mut cur) else {
            panic!("not submitted")
        };
        assert!(matches!(actions[..], [Action::Nav(Nav::Choose)]));
    }

    #[test]
    fn the_review_offers_the_commit_once_then_asks_to_apply_with_no_as_default() {
        let mut s = State::new(
            testing::ctx_in_checkout(),
            Ok(testing::config(testing::CONFIG)),
        );
        testing::to_review(&mut s);
        let mut cur = Cursor::default();
        let (q, said) = ask(&mut s, &mut cur);
        let q = q.unwrap();
        assert!(said.iter().any(|l| l.contains("docker.io")), "{said:?}");
        assert_eq!(q.id, Id::Check(Checkbox::Commit));
        assert_eq!(q.kind, Kind::Confirm { default: false });
        reply(&mut s, &mut cur, &q, Reply::Yes(false));
        let (q, said) = ask(&mut s, &mut cur);
        assert!(said.is_empty(), "the plan is shown once a visit: {said:?}");
        let q = q.unwrap();
        assert_eq!(q.id, Id::Apply);
        assert_eq!(q.kind, Kind::Confirm { default: false });
        reply(&mut s, &mut cur, &q, Reply::Yes(false));
        assert!(s.quit);
        assert!(matches!(next(&s, &mut cur), Next::End));
    }

    #[test]
    fn rotating_aws_without_profiles_says_so_and_goes_back() {
        let mut s = State::new(testing::ctx(), Ok(testing::config(testing::CONFIG)));
        testing::to_pick(&mut s, 1);
        assert_eq!(s.flow, Flow::Rotate);
        let i = s
            .entries()
            .iter()
            .position(|e| e.url.as_deref() == Some(AWS_URL))
            .expect("the aws entry");
        let mut cur = Cursor::default();
        let q = ask(&mut s, &mut cur).0.unwrap();
        assert_eq!(q.id, Id::Entry);
        reply(&mut s, &mut cur, &q, Reply::Index(i));
        assert_eq!(s.screen, Screen::Credentials);
        update(&mut s, Action::ProfilesLoaded(Ok(Vec::new())));
        let (q, said) = ask(&mut s, &mut cur);
        assert_eq!(said, ["✗ no AWS profiles were found"]);
        assert_eq!(q.unwrap().id, Id::Entry, "back on the list");
    }
}
