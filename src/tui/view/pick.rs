//! Rotate and remove, step 2: the configured registries, each with its line and secret; the
//! ones the core refuses are listed with the reason. Remove adds "also delete its secret".

use super::{Content, Theme, checkbox, truncate, wrap_prefixed};
use crate::wizard::state::{Flow, Secrets, State};

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content::default();
    let remove = state.flow == Flow::Remove;
    let question = if remove {
        "Which registry should be removed from factory-config.yml?"
    } else {
        "Which registry gets new credentials? Its secret is stored anew; factory-config.yml \
         stays as it is."
    };
    c.extend(wrap_prefixed("", question, width, theme.title()));
    c.blank();
    let entries = state.entries();
    for (i, e) in entries.iter().enumerate() {
        let disabled = e.disabled();
        let selected = i == state.pick.cursor && disabled.is_none();
        let url = e.url.as_deref().unwrap_or("(no url)");
        let label = truncate(&format!("{:<8} {url}", e.kind), width.saturating_sub(2));
        let first = c.item(label, disabled.is_some(), selected, theme);
        let secret = match (&e.secret_name, &state.secrets) {
            (None, _) => "no secret name".to_string(),
            (Some(n), Secrets::Loaded(names)) if names.contains(n) => {
                format!("secret {n} (present)")
            }
            (Some(n), Secrets::Loaded(_)) => format!("secret {n} (MISSING)"),
            (Some(n), _) => format!("secret {n}"),
        };
        c.extend(wrap_prefixed(
            "    ",
            &format!("{} · {secret}", e.place()),
            width,
            theme.dim(),
        ));
        if let Some(reason) = disabled {
            c.disabled(reason, width, theme);
        }
        c.focus_from(first, selected);
    }
    if entries.iter().all(|e| e.disabled().is_some()) {
        c.blank();
        c.extend(wrap_prefixed(
            "✗ ",
            "No registry can be chosen: fix factory-config.yml first (see the reasons above).",
            width,
            theme.error(),
        ));
    }
    if remove {
        let chosen = entries.get(state.pick.cursor);
        let name = chosen
            .and_then(|e| e.secret_name.as_deref())
            .map_or("its secret".to_string(), |n| format!("its secret {n}"));
        c.blank();
        let first = c.lines.len();
        checkbox(
            &mut c,
            &format!("also delete {name} from the factory"),
            state.pick.delete_secret,
            false,
            width,
            theme,
        );
        let hint = if state.pick.delete_secret {
            "deleted after factory-config.yml is written"
        } else {
            "the secret stays in the factory"
        };
        c.extend(wrap_prefixed("      ", hint, width, theme.dim()));
        let top = match &state.pick.error {
            // The refusal matters most (it names the entry): keep it in view.
            Some(e) => {
                c.extend(wrap_prefixed("✗ ", e, width, theme.error()));
                first
            }
            // The option belongs to the chosen entry: keep both in view when they fit.
            None => c.focus.map_or(first, |(f, _)| f),
        };
        c.focus = Some((top, c.lines.len() - 1));
    }
    c
}
