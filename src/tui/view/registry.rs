//! Step 3: the registry's fields, checked as they are typed, and the plan's refusal if any.

use super::{Content, Theme, text_field, wrap_prefixed};
use crate::provider::Provider;
use crate::tui::state::{FieldKind, State};

fn label(p: Provider, kind: FieldKind) -> &'static str {
    match (kind, p) {
        (FieldKind::Url, Provider::Gar) => "Location URL (optional)",
        (FieldKind::Url, Provider::Generic) => "Registry host",
        (FieldKind::Url, _) => "Registry URL",
        (FieldKind::Region, _) => "Region",
        (FieldKind::SecretName, _) => "Secret name",
    }
}

fn hint(p: Provider, kind: FieldKind) -> &'static str {
    match (kind, p) {
        (FieldKind::Url, Provider::Aws) => "ACCOUNT.dkr.ecr.REGION.amazonaws.com",
        (FieldKind::Url, Provider::Azure) => "NAME.azurecr.io",
        (FieldKind::Url, Provider::Gar) => {
            "LOCATION-docker.pkg.dev; may stay empty: CI logs in to every *-docker.pkg.dev host"
        }
        (FieldKind::Url, Provider::Generic) => "a host such as ghcr.io or harbor.example.com",
        (FieldKind::Region, _) => "filled from the url; it must match it",
        (FieldKind::SecretName, Provider::Aws) => {
            "CI reads this secret as an AWS credentials file with one [default] profile."
        }
        (FieldKind::SecretName, Provider::Azure) => {
            "CI reads this secret as <client id>:<password>."
        }
        (FieldKind::SecretName, Provider::Gar) => {
            "CI reads this secret as the service-account JSON key."
        }
        (FieldKind::SecretName, Provider::Generic) => "CI reads this secret as <user>:<token>.",
    }
}

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
