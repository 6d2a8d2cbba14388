//! Step 4: the credentials CI logs in with: an AWS profile, a user and password, or a GCP key file.

use super::{Content, Theme, checkbox, spinner, text_field, truncate, wrap_prefixed};
use crate::provider::Provider;
use crate::wizard::state::{
    CredsKind, Flow, IdentityForm, KeyCheck, NEW_AWS_USER_LABEL, NEW_AZURE_PRINCIPAL_LABEL,
    NEW_GAR_ACCOUNT_LABEL, Profiles, State, UserTokenFocus, identity_intro, identity_words,
    profile_disabled_reason,
};
use ratatui::style::Style;
use ratatui::text::Line;

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content::default();
    let Some(creds) = &state.creds else {
        return c;
    };
    if let (Flow::Rotate, Some(t)) = (state.flow, &state.target) {
        let secret = t.secret_name.as_deref().unwrap_or("-");
        c.extend(wrap_prefixed(
            "Rotating: ",
            &format!("{} ({}), secret {secret}", t.label(), t.place()),
            width,
            theme.title(),
        ));
        c.blank();
    }
    match &creds.kind {
        kind if kind.identity().editing => {
            new_identity(&mut c, state, kind.identity(), width, theme)
        }
        CredsKind::Aws { cursor, .. } => aws(&mut c, state, *cursor, width, theme),
        CredsKind::UserToken {
            user,
            password,
            focus,
            keyring,
            ..
        } => {
            let (intro, user_label, pass_label) = if creds.provider == Provider::Azure {
                (
                    "The service principal CI logs in with (give it the AcrPull role).",
                    "Client (application) id",
                    "Password",
                )
            } else {
                (
                    "The user and access token CI logs in with (read-only access is enough).",
                    "User name",
                    "Token",
                )
            };
            c.extend(wrap_prefixed("", intro, width, Style::new()));
            c.blank();
            text_field(
                &mut c,
                user_label,
                user.value(),
                user.cursor(),
                *focus == UserTokenFocus::User,
                None,
                false,
                None,
                width,
                theme,
            );
            let items = keyring.items();
            let noun = pass_label.to_lowercase();
            if let Some(account) = keyring.held_account() {
                c.blank();
                checkbox(
                    &mut c,
                    &format!("use the {noun} remembered in the OS keyring for {account}"),
                    keyring.use_remembered,
                    *focus == UserTokenFocus::UseRemembered,
                    width,
                    theme,
                );
            }
            if items.contains(&UserTokenFocus::Password) {
                c.blank();
                let dots = "•".repeat(password.len());
                text_field(
                    &mut c,
                    pass_label,
                    &dots,
                    password.len(),
                    *focus == UserTokenFocus::Password,
                    None,
                    false,
                    Some("hidden; never shown, logged or passed on a command line"),
                    width,
                    theme,
                );
            } else {
                c.extend(wrap_prefixed(
                    "      ",
                    &format!("the {noun} is read from the keyring; it is never shown"),
                    width,
                    theme.dim(),
                ));
            }
            if items.contains(&UserTokenFocus::Remember) {
                checkbox(
                    &mut c,
                    &format!("remember the {noun} in the OS keyring"),
                    keyring.remember,
                    *focus == UserTokenFocus::Remember,
                    width,
                    theme,
                );
                if keyring.remember {
                    c.extend(wrap_prefixed(
                        "      ",
                        "kept when you continue, before anything is applied",
                        width,
                        theme.dim(),
                    ));
                }
            }
            if crate::wizard::update::offers_new_principal(state) {
                c.blank();
                create_item(
                    &mut c,
                    NEW_AZURE_PRINCIPAL_LABEL,
                    "AcrPull on this registry only (or a token for some repositories); its \
                     password goes straight to the factory, never shown (Tab to it, then Enter)",
                    *focus == UserTokenFocus::CreateNew,
                    theme,
                    width,
                );
            }
        }
        CredsKind::KeyFile {
            path,
            check,
            candidates,
            new_account,
        } => {
            c.extend(wrap_prefixed(
                "",
                "The service account's JSON key file (it needs roles/artifactregistry.reader).",
                width,
                Style::new(),
            ));
            c.blank();
            let (error, valid) = match check {
                KeyCheck::Invalid { error, .. } => (Some(error.as_str()), false),
                KeyCheck::Valid { .. } => (None, true),
                _ => (None, false),
            };
            text_field(
                &mut c,
                "Key file",
                path.value(),
                path.cursor(),
                !new_account.selected,
                error,
                valid,
                None,
                width,
                theme,
            );
            match check {
                KeyCheck::Valid { email, .. } => c.extend(wrap_prefixed(
                    "  ✓ ",
                    &format!("service account {email}"),
                    width,
                    theme.ok(),
                )),
                KeyCheck::Checking(_) => c.push(Line::styled(
                    format!("  {} checking the key…", spinner(state.tick)),
                    theme.dim(),
                )),
                KeyCheck::Empty => c.extend(wrap_prefixed(
                    "  ",
                    "a path; Tab completes it",
                    width,
                    theme.dim(),
                )),
                KeyCheck::Invalid { .. } => {}
            }
            if !candidates.is_empty() {
                c.extend(wrap_prefixed(
                    "  ",
                    &candidates.join("  "),
                    width,
                    theme.dim(),
                ));
            }
            let last = c.lines.len() - 1;
            c.focus = c.focus.map(|(f, _)| (f, last));
            if let Some(why) = state.no_identity_reason() {
                c.blank();
                c.extend(wrap_prefixed("", why, width, theme.dim()));
            }
            if state.creates_identities() {
                c.blank();
                create_item(
                    &mut c,
                    NEW_GAR_ACCOUNT_LABEL,
                    "reads this one repository only; its key goes straight to the factory, never \
                     shown (Down, then Enter)",
                    new_account.selected,
                    theme,
                    width,
                );
            }
            if matches!(check, KeyCheck::Empty) && !new_account.selected {
                c.blank();
                c.extend(wrap_prefixed(
                    "",
                    "No key yet? `gcloud iam service-accounts keys create key.json \
                     --iam-account=NAME@PROJECT.iam.gserviceaccount.com`",
                    width,
                    theme.dim(),
                ));
            }
        }
    }
    if let Some(e) = &creds.error {
        c.blank();
        let first = c.lines.len();
        c.extend(wrap_prefixed("✗ ", e, width, theme.error()));
        c.focus = Some((first.saturating_sub(1), c.lines.len() - 1));
    }
    c
}

/// The "create a new IAM user" item after the profiles (adding only).
fn new_user_item(c: &mut Content, selected: bool, theme: Theme, width: usize) {
    create_item(
        c,
        NEW_AWS_USER_LABEL,
        "ecr pull permissions only; its key goes straight to the factory, never shown",
        selected,
        theme,
        width,
    );
}

/// A "+ create a new pull-only identity" item and its explanation.
fn create_item(
    c: &mut Content,
    label: &str,
    explanation: &str,
    selected: bool,
    theme: Theme,
    width: usize,
) {
    let first = c.lines.len();
    let (mark, style) = if selected {
        ("▸ + ", theme.focus())
    } else {
        ("  + ", Style::new())
    };
    c.extend(wrap_prefixed(mark, label, width, style));
    c.extend(wrap_prefixed("    ", explanation, width, theme.dim()));
    c.focus_from(first, selected);
}

/// The new cloud identity's fields (declared once in the wizard: `IdentityForm`, with their
/// words), and the spinner while the cloud is asked for the review.
fn new_identity(c: &mut Content, state: &State, form: &IdentityForm, width: usize, theme: Theme) {
    let provider = state.creds.as_ref().map_or(Provider::Aws, |c| c.provider);
    let (intro, asking) = identity_intro(provider);
    c.extend(wrap_prefixed("", intro, width, Style::new()));
    for (at, (input, text)) in form.fields.iter().enumerate() {
        let words = identity_words(*input);
        c.blank();
        text_field(
            c,
            words.label,
            text.value(),
            text.cursor(),
            form.focus == at,
            None,
            false,
            Some(words.help),
            width,
            theme,
        );
    }
    if form.planning {
        c.blank();
        c.push(Line::styled(
            format!("{} {asking}…", spinner(state.tick)),
            theme.dim(),
        ));
    }
}

fn aws(c: &mut Content, state: &State, cursor: usize, width: usize, theme: Theme) {
    c.extend(wrap_prefixed(
        "",
        "Which AWS profile's keys should CI use? Only its two keys are uploaded, as [default].",
        width,
        Style::new(),
    ));
    if let Some(why) = state.no_identity_reason() {
        c.extend(wrap_prefixed("", why, width, theme.dim()));
    }
    c.blank();
    let create = state.creates_identities();
    let list = match &state.profiles {
        Profiles::Loaded(list) => list,
        Profiles::Failed(e) => {
            c.extend(wrap_prefixed("✗ ", e, width, theme.error()));
            if create {
                c.blank();
                new_user_item(c, true, theme, width);
            }
            return;
        }
        Profiles::NotLoaded | Profiles::Loading => {
            c.push(Line::styled(
                format!("{} reading your AWS profiles…", spinner(state.tick)),
                theme.dim(),
            ));
            return;
        }
    };
    if list.is_empty() {
        c.extend(wrap_prefixed(
            "✗ ",
            "No AWS profiles found. Create a pull-only IAM user's access key with `aws iam \
             create-access-key --user-name NAME` and store it with `aws configure --profile NAME`.",
            width,
            theme.error(),
        ));
        if create {
            c.blank();
            new_user_item(c, cursor == 0, theme, width);
        }
        return;
    }
    let name_width = list
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for (i, p) in list.iter().enumerate() {
        let disabled = profile_disabled_reason(p);
        let selected = i == cursor && disabled.is_none();
        let key = p.access_key_id_masked.as_deref().unwrap_or("(no keys)");
        let row = format!("{:<name_width$}  {key}", p.name);
        let label = truncate(&row, width.saturating_sub(2));
        let first = c.item(label, disabled.is_some(), selected, theme);
        if let Some(reason) = disabled {
            c.disabled(reason, width, theme);
        } else if p.looks_personal {
            c.extend(wrap_prefixed(
                "    ! ",
                "looks personal: prefer a pull-only IAM user",
                width,
                theme.warn(),
            ));
        }
        c.focus_from(first, selected);
    }
    if create {
        new_user_item(c, cursor == list.len(), theme, width);
    }
    if list.iter().all(|p| profile_disabled_reason(p).is_some()) && !create {
        c.blank();
        c.extend(wrap_prefixed(
            "✗ ",
            "No profile can be used: CI needs the long-lived keys of a pull-only IAM user. Create \
             them with `aws iam create-access-key --user-name NAME` and `aws configure --profile \
             NAME`.",
            width,
            theme.error(),
        ));
    }
}
