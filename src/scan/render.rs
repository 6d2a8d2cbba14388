//! The human-readable scan report.

use std::fmt::Write as _;

use super::probe::{Access, Exists, RepoCreds};
use super::{Image, Puller, RegistryReport, ScanReport, Severity};

fn pullers(p: &[Puller]) -> String {
    p.iter()
        .map(|p| match p {
            Puller::Ci => "CI",
            Puller::Devices => "devices",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn registry_line(r: &RegistryReport, online: bool) -> String {
    if r.factory_built {
        return format!(
            "{}: the factory's own images, built by CI (no entry needed)",
            r.host
        );
    }
    let entry = match &r.entry {
        Some(e) => format!(
            "{} entry, secret {} {}",
            e.kind,
            e.secret.as_deref().unwrap_or("(none)"),
            match e.secret_present {
                Some(true) => "present",
                Some(false) => "MISSING",
                None => "(not checked)",
            }
        ),
        None if online => "no entry".to_string(),
        None if super::reference::is_ecr_host(&r.host) => {
            "no entry (ECR is never public)".to_string()
        }
        None => "no entry (public?)".to_string(),
    };
    let access = match r.public {
        Some(true) => ", public",
        Some(false) => ", private",
        None if online => ", access unknown",
        None => "",
    };
    let note = r
        .probe_note
        .as_deref()
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    format!("{}: {entry}{access}{note}", r.host)
}

fn image_status(i: &Image) -> String {
    let Some(s) = &i.status else {
        return String::new();
    };
    let mut parts = Vec::new();
    parts.push(match s.access {
        Access::Public => "public",
        Access::Private => "private",
        Access::Unknown => "access unknown",
    });
    match s.creds {
        Some(RepoCreds::Pull) => parts.push("pull permission proven"),
        Some(RepoCreds::NoPull) => parts.push("NO pull permission"),
        None => {}
    }
    match s.exists {
        Exists::Yes => parts.push("exists"),
        Exists::No => parts.push("NOT FOUND"),
        Exists::Unknown => {}
    }
    format!("  ({})", parts.join(", "))
}

/// The report as text: one block per registry, then the findings with their fixes.
pub fn render(report: &ScanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "containers.git {}: {} containers, {} compose apps{}; {}",
        report.root.display(),
        report.containers,
        report.apps,
        report
            .factory
            .as_deref()
            .map(|f| format!(" (factory {f})"))
            .unwrap_or_default(),
        if report.online {
            "registries probed"
        } else {
            "offline: registries not probed, secrets not checked"
        }
    );
    for r in &report.registries {
        let _ = writeln!(out, "\n{}", registry_line(r, report.online));
        for i in &r.images {
            let _ = writeln!(out, "  {}{}", i.image, image_status(i));
            for u in &i.uses {
                let _ = writeln!(out, "    {}:{}  {}", u.file, u.line, pullers(&u.pulled_by));
            }
        }
    }
    if report.registries.is_empty() {
        let _ = writeln!(out, "\nNo image references found.");
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\nFindings:");
        for f in &report.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let place = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("{file}:{line}: "),
                (Some(file), None) => format!("{file}: "),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {sev}: {place}{}", f.message);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "    fix: {fix}");
            }
        }
    }
    let images: usize = report.registries.iter().map(|r| r.images.len()).sum();
    let errors = report.errors();
    let _ = writeln!(
        out,
        "\n{} registries, {images} images, {errors} errors, {} warnings",
        report.registries.len(),
        report.findings.len() - errors
    );
    out
}
