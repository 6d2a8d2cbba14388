//! The remembered factories side by side (what the wizards' Start screen shows): one row per
//! registry (by url, or by type when it has none), one column per factory, and a one-line
//! summary of the gaps ("acme lacks ghcr.io; beta's secret ghcr_creds is MISSING").

use super::Tools;
use super::inspect::FactoryOverview;
use std::path::PathBuf;

/// Where the wizards read the remembered factories from (`fleet::remembered_overview`'s
/// arguments); a session has one only when its settings remember two factories or more, or
/// when it was started with several factories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSource {
    pub settings: PathBuf,
    /// Each factory's fioctl (`--fioctl`, else PATH) and how many factories are read or
    /// changed at a time (`--jobs`).
    pub tools: Tools,
    /// A session started with several factories (`fioreg --all-factories`, or `--factory`
    /// given several times): these factories, which its flows run on (the ones chosen on
    /// Start). `None`: a one-factory session, which only shows the remembered ones.
    pub several: Option<Vec<super::Member>>,
    /// `--commit` (or `--push`, `--message`): each written config is committed, with this
    /// message (else the default one), and pushed when asked. `None`: no commit.
    pub commit: Option<(Option<String>, bool)>,
}

impl FleetSource {
    /// The source for the settings at `settings`, when they remember two factories or more.
    pub fn when_several(settings: Option<PathBuf>, tools: Tools) -> Option<FleetSource> {
        let settings = settings?;
        let n = crate::settings::Settings::load(&settings)
            .ok()?
            .factories()
            .len();
        (n >= 2).then_some(FleetSource {
            settings,
            tools,
            several: None,
            commit: None,
        })
    }

    /// The source of a session started with several factories: `members`, worked on with
    /// `tools`.
    pub fn several(settings: PathBuf, members: Vec<super::Member>, tools: &Tools) -> FleetSource {
        FleetSource {
            settings,
            tools: tools.clone(),
            several: Some(members),
            commit: None,
        }
    }

    /// The overview of the session's factories, or of every remembered factory (`jobs`
    /// factories at a time), or why the settings could not be read.
    pub fn load(&self) -> Result<Vec<FactoryOverview>, String> {
        match &self.several {
            Some(members) => Ok(super::overview(members, &self.tools)),
            None => {
                super::remembered_overview(&self.settings, &self.tools).map_err(|e| e.to_string())
            }
        }
    }
}

/// One cell: what a factory has for a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Configured, and its secret exists in the factory.
    Present,
    /// Configured, but its secret is not in the factory (or it has no secret name).
    Missing,
    /// Configured; whether its secret exists is not known.
    Unknown,
    /// Not configured in this factory.
    Absent,
    /// The factory's config could not be read.
    Unreadable,
}

impl Cell {
    pub fn mark(self) -> &'static str {
        match self {
            Cell::Present => "✓",
            Cell::Missing => "✗",
            Cell::Unknown => "?",
            Cell::Absent => "·",
            Cell::Unreadable => "!",
        }
    }
}

/// The marks' meanings, for a legend.
pub const LEGEND: &str = "✓ secret present, ✗ secret MISSING, · no entry, ? unknown";

/// A row per registry (in the order first seen), a column per factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub factories: Vec<String>,
    pub rows: Vec<(String, Vec<Cell>)>,
}

/// How a registry is named in a row: its url, else its type.
fn key(kind: &str, url: Option<&str>) -> String {
    url.map(|u| u.to_ascii_lowercase())
        .unwrap_or_else(|| kind.to_string())
}

pub fn matrix(views: &[FactoryOverview]) -> Matrix {
    let mut rows: Vec<String> = Vec::new();
    for v in views {
        for r in v.registries.iter().flatten() {
            let k = key(&r.kind, r.url.as_deref());
            if !rows.contains(&k) {
                rows.push(k);
            }
        }
    }
    let rows = rows
        .into_iter()
        .map(|k| {
            let cells = views.iter().map(|v| cell(v, &k)).collect();
            (k, cells)
        })
        .collect();
    Matrix {
        factories: views.iter().map(|v| v.factory.clone()).collect(),
        rows,
    }
}

fn cell(v: &FactoryOverview, row: &str) -> Cell {
    let Ok(regs) = &v.registries else {
        return Cell::Unreadable;
    };
    let mine: Vec<_> = regs
        .iter()
        .filter(|r| key(&r.kind, r.url.as_deref()) == row)
        .collect();
    if mine.is_empty() {
        return Cell::Absent;
    }
    if mine.iter().any(|r| r.secret_present == Some(false)) {
        Cell::Missing
    } else if mine.iter().any(|r| r.secret_present.is_none()) {
        Cell::Unknown
    } else {
        Cell::Present
    }
}

/// The gaps in a sentence: which factory lacks which registry, whose secret is missing, whose
/// config or secrets could not be read.
pub fn summary(views: &[FactoryOverview]) -> String {
    let m = matrix(views);
    let mut parts = Vec::new();
    for (i, v) in views.iter().enumerate() {
        if let Err(e) = &v.registries {
            let first = e.lines().next().unwrap_or_default();
            parts.push(format!("{}'s config cannot be read: {first}", v.factory));
            continue;
        }
        let lacks: Vec<&str> = m
            .rows
            .iter()
            .filter(|(_, cells)| cells[i] == Cell::Absent)
            .map(|(k, _)| k.as_str())
            .collect();
        if !lacks.is_empty() {
            parts.push(format!("{} lacks {}", v.factory, lacks.join(", ")));
        }
        let missing = v.missing_secrets();
        if !missing.is_empty() {
            let (word, verb) = if missing.len() == 1 {
                ("secret", "is")
            } else {
                ("secrets", "are")
            };
            parts.push(format!(
                "{}'s {word} {} {verb} MISSING",
                v.factory,
                missing.join(", ")
            ));
        }
        if let Some(why) = &v.secrets_unknown_reason {
            parts.push(format!("{}'s secrets are unknown: {why}", v.factory));
        }
    }
    if parts.is_empty() {
        "Every factory has every registry, with its secret.".to_string()
    } else {
        parts.join("; ")
    }
}

/// The matrix as text lines at most `width` columns wide: a header of factory names, then a
/// row per registry. Long registry names and factory names are cut with `…`.
pub fn lines(m: &Matrix, width: usize) -> Vec<String> {
    use crate::tui::view::truncate as cut;
    // Each column: the factory's name (at most 10 columns) and 1 space before it.
    let cols: Vec<String> = m.factories.iter().map(|f| cut(f, 10)).collect();
    let col_w: Vec<usize> = cols.iter().map(|c| c.chars().count().max(1)).collect();
    let cells_w: usize = col_w.iter().map(|w| w + 1).sum();
    let longest = m
        .rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .max("registry".len());
    let label_w = longest.min(width.saturating_sub(cells_w)).max(1);
    let mut out = Vec::new();
    let mut header = format!("{:<label_w$}", cut("registry", label_w));
    for (c, w) in cols.iter().zip(&col_w) {
        header.push_str(&format!(" {c:<w$}"));
    }
    out.push(header.trim_end().to_string());
    for (k, cells) in &m.rows {
        let mut line = format!("{:<label_w$}", cut(k, label_w));
        for (cell, w) in cells.iter().zip(&col_w) {
            line.push_str(&format!(" {:<w$}", cell.mark()));
        }
        out.push(line.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::inspect::RegistryView;

    fn reg(url: &str, secret: &str, present: Option<bool>) -> RegistryView {
        RegistryView {
            kind: "user-token".into(),
            url: Some(url.into()),
            region: None,
            secret_name: Some(secret.into()),
            line: 1,
            secret_present: present,
        }
    }

    fn view(name: &str, regs: Vec<RegistryView>) -> FactoryOverview {
        FactoryOverview {
            factory: name.into(),
            config: Some(PathBuf::from(format!("/{name}/factory-config.yml"))),
            registries: Ok(regs),
            secrets_unknown_reason: None,
        }
    }

    fn two() -> Vec<FactoryOverview> {
        vec![
            view(
                "acme",
                vec![reg("hub.example.com", "hub_creds", Some(true))],
            ),
            view(
                "beta",
                vec![
                    reg("GHCR.io", "ghcr_creds", Some(false)),
                    reg("hub.example.com", "hub_creds", Some(true)),
                ],
            ),
        ]
    }

    #[test]
    fn rows_are_registries_and_columns_factories() {
        let m = matrix(&two());
        assert_eq!(m.factories, ["acme", "beta"]);
        assert_eq!(
            m.rows,
            vec![
                (
                    "hub.example.com".to_string(),
                    vec![Cell::Present, Cell::Present]
                ),
                ("ghcr.io".to_string(), vec![Cell::Absent, Cell::Missing]),
            ]
        );
        assert_eq!(
            summary(&two()),
            "acme lacks ghcr.io; beta's secret ghcr_creds is MISSING"
        );
    }

    #[test]
    fn unreadable_and_unknown_factories_are_named() {
        let mut views = two();
        views[0].registries = Err("line 3: bad yaml\nmore".into());
        views[1].secrets_unknown_reason = Some("fioctl not found".into());
        for r in views[1].registries.as_mut().into_iter().flatten() {
            r.secret_present = None;
        }
        let m = matrix(&views);
        assert_eq!(m.rows[0].1, vec![Cell::Unreadable, Cell::Unknown]);
        assert_eq!(
            summary(&views),
            "acme's config cannot be read: line 3: bad yaml; beta's secrets are unknown: \
             fioctl not found"
        );
    }

    #[test]
    fn nothing_missing_says_so_and_lines_fit_the_width() {
        let views = vec![
            view("acme", vec![reg("hub.example.com", "h", Some(true))]),
            view("beta", vec![reg("hub.example.com", "h", Some(true))]),
        ];
        assert_eq!(
            summary(&views),
            "Every factory has every registry, with its secret."
        );
        let m = matrix(&two());
        assert_eq!(
            lines(&m, 80),
            [
                "registry        acme beta",
                "hub.example.com ✓    ✓",
                "ghcr.io         ·    ✗",
            ]
        );
        for l in lines(&m, 14) {
            assert!(l.chars().count() <= 14, "{l:?}");
        }
        assert_eq!(lines(&m, 14)[1], "hub… ✓    ✓");
    }
}
