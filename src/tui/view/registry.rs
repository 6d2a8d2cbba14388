//! Step 3: the registry's fields, checked as they are typed, and the plan's refusal if any.

use super::{Content, Theme, text_field, wrap_prefixed};
use crate::wizard::state::{FieldKind, State};

use crate::wizard::state::{field_help as hint, field_label as label};

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content::default();
    let Some(form) = &state.registry else {
        return c;
    };
    for (i, f) in form.fields.iter().enumerate() {
        if i > 0 {
            c.blank();
        }
        let error = form.shown_error(f.kind);
        let hint = if f.kind == FieldKind::SecretName && f.input.value().trim().is_empty() {
            let url = form.valid_url();
            format!(
                "empty: the default {} is used",
                form.provider.default_secret_name(url.as_deref())
            )
        } else {
            hint(form.provider, f.kind).to_string()
        };
        let valid = !f.input.value().trim().is_empty() && form.field_error(f.kind).is_none();
        text_field(
            &mut c,
            label(form.provider, f.kind),
            f.input.value(),
            f.input.cursor(),
            i == form.focus,
            error.as_deref(),
            valid,
            Some(&hint),
            width,
            theme,
        );
    }
    if let Some(e) = &form.plan_error {
        c.blank();
        let first = c.lines.len();
        c.extend(wrap_prefixed("✗ ", e, width, theme.error()));
        // The refusal is the news: keep it in view.
        let (f0, _) = c.focus.unwrap_or((first, first));
        c.focus = Some((f0.max(first.saturating_sub(1)), c.lines.len() - 1));
    }
    c
}
