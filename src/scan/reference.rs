//! Image references, normalised the way docker does it, and the registry entry that covers a
//! registry host.
//!
//! Normalisation follows github.com/distribution/reference (`ParseNormalizedNamed`,
//! `TagNameOnly`), which docker, buildkit and compose all use:
//! - no `/` means `docker.io/library/NAME`;
//! - the first path component is a registry host only if it contains `.` or `:` or is
//!   `localhost` (otherwise the whole name is a Docker Hub repository);
//! - `index.docker.io` and `registry-1.docker.io` are `docker.io`, where a one-component name
//!   gets `library/`;
//! - a reference without a tag or digest means `:latest`;
//! - the repository path must be lowercase (`repository name must be lowercase`).

use crate::factory_config::RegistryEntry;
use crate::provider::{self, Provider};

/// Docker Hub's canonical host.
pub const DOCKER_HUB: &str = "docker.io";

/// The Foundries registry CI pushes the factory's containers to (`hub_fio` in ci-scripts).
pub const FOUNDRIES_HUB: &str = "hub.foundries.io";

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    /// The registry host (`host[:port]`), lowercase, Docker Hub as `docker.io`.
    pub host: String,
    /// The repository path within the registry, e.g. `library/alpine`.
    pub repository: String,
    /// The tag, `latest` when neither a tag nor a digest was given.
    pub tag: Option<String>,
    /// `sha256:...` when pinned by digest.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `text` as docker does. `Err` carries the reason in docker's words.
    pub fn parse(text: &str) -> Result<Reference, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the reference is empty".into());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((name, digest)) => {
                validate_digest(digest)?;
                (name, Some(digest.to_string()))
            }
            None => (text, None),
        };
        // A tag is after the last ':' that comes after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                let tag = &rest[at + 1..];
                validate_tag(tag)?;
                (&rest[..at], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if name.is_empty() {
            return Err("the image name is empty".into());
        }
        let (host, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_ascii_lowercase(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let host = match host.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => host,
        };
        validate_host(&host)?;
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("repository name must be lowercase".into());
        }
        validate_path(&path)?;
        let repository = if host == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(Reference {
            host,
            repository,
            tag,
            digest,
        })
    }

    /// `HOST/REPOSITORY[:TAG][@DIGEST]`, e.g. `docker.io/library/alpine:latest`.
    pub fn normalized(&self) -> String {
        let mut s = format!("{}/{}", self.host, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// What a pull asks the registry for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// `hub.foundries.io/<factory>/...`: built by this factory's CI, no entry needed.
    pub fn is_factory_image(&self, factory: Option<&str>) -> bool {
        match factory {
            Some(f) => {
                self.host == FOUNDRIES_HUB
                    && self
                        .repository
                        .split_once('/')
                        .is_some_and(|(first, _)| first == f.to_ascii_lowercase())
            }
            None => false,
        }
    }
}

fn validate_digest(d: &str) -> Result<(), String> {
    let ok = d.split_once(':').is_some_and(|(alg, hex)| {
        !alg.is_empty()
            && alg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'_' | b'-'))
            && hex.len() >= 32
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("`{d}` is not a digest (sha256:<64 hex digits>)"))
    }
}

fn validate_tag(t: &str) -> Result<(), String> {
    let ok = !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{t}` is not a valid tag"))
    }
}

fn validate_host(h: &str) -> Result<(), String> {
    let ok = !h.is_empty()
        && h.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("`{h}` is not a registry host"))
    }
}

/// Path components as distribution allows them: `[a-z0-9]+` joined by `.`, `_`, `__` or `-`+.
fn validate_path(p: &str) -> Result<(), String> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && !c.contains("..")
            && !c.contains("___")
    };
    if p.len() <= 255 && p.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(format!("`{p}` is not a valid repository name"))
    }
}

/// The host shapes CI's gar login covers: `docker-credential-gcr configure-docker
/// --include-artifact-registry` (ci-scripts apps/login_registries) registers every
/// `*-docker.pkg.dev` Artifact Registry host, the regional `docker.<region>.rep.pkg.dev`
/// endpoints, and Container Registry's `gcr.io` and `*.gcr.io`.
pub fn is_gar_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.ends_with("-docker.pkg.dev")
        || (h.starts_with("docker.") && h.ends_with(".rep.pkg.dev"))
        || h == "gcr.io"
        || h.ends_with(".gcr.io")
}

/// `NAME.azurecr.io`.
pub fn is_acr_host(host: &str) -> bool {
    host.to_ascii_lowercase().ends_with(".azurecr.io")
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com`: private ECR, which never allows anonymous pulls.
pub fn is_ecr_host(host: &str) -> bool {
    provider::aws::parse_url(host).is_ok()
}

/// The provider to add for a host no entry covers, by the host's shape.
pub fn provider_for_host(host: &str) -> Provider {
    if is_ecr_host(host) {
        Provider::Aws
    } else if is_acr_host(host) {
        Provider::Azure
    } else if is_gar_host(host) {
        Provider::Gar
    } else {
        Provider::Generic
    }
}

/// The entry of `entries` that makes CI able to pull from `host`, if any.
///
/// ci-scripts apps/login_registries: an aws entry runs `docker login` to its `url`, azure and
/// generic entries `docker login` to their `url`, and a gar entry configures docker for every
/// gar host ([`is_gar_host`]). So an aws/azure/generic entry covers exactly the host of its
/// url (whatever the host's shape), and the gar entry covers every gar host. For Docker Hub,
/// docker keeps credentials under `https://index.docker.io/v1/` only when the login names
/// `docker.io`: an entry for `index.docker.io` is never used by a pull.
pub fn covering_entry<'a>(host: &str, entries: &'a [RegistryEntry]) -> Option<&'a RegistryEntry> {
    let by_url = entries.iter().find(|e| {
        matches!(
            e.provider,
            Some(Provider::Aws | Provider::Azure | Provider::Generic)
        ) && e.url.as_deref().is_some_and(|u| {
            let u = u.trim().to_ascii_lowercase();
            u == host || (host == DOCKER_HUB && u == "registry-1.docker.io")
        })
    });
    by_url.or_else(|| {
        is_gar_host(host)
            .then(|| entries.iter().find(|e| e.provider == Some(Provider::Gar)))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        Reference::parse(s).unwrap().normalized()
    }

    #[test]
    fn docker_hub_names() {
        assert_eq!(n("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(n("alpine:3.19"), "docker.io/library/alpine:3.19");
        assert_eq!(n("library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(n("docker.io/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(n("index.docker.io/alpine:3"), "docker.io/library/alpine:3");
        assert_eq!(
            n("registry-1.docker.io/bitnami/redis"),
            "docker.io/bitnami/redis:latest"
        );
        assert_eq!(n("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        // The first component is a host only with '.' or ':' or as localhost.
        assert_eq!(n("foo/bar/baz"), "docker.io/foo/bar/baz:latest");
        assert_eq!(n("localhost/app"), "localhost/app:latest");
        assert_eq!(n("localhost:5000/app:1"), "localhost:5000/app:1");
        assert_eq!(
            n("127.0.0.1:5000/team/app"),
            "127.0.0.1:5000/team/app:latest"
        );
    }

    #[test]
    fn tags_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/acme/app@{d}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), d);
        let r = Reference::parse(&format!("ghcr.io/acme/app:1.2@{d}")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.manifest_reference(), d);
        assert_eq!(r.normalized(), format!("ghcr.io/acme/app:1.2@{d}"));
        // A port is not a tag.
        let r = Reference::parse("reg.example.com:5000/app").unwrap();
        assert_eq!(r.host, "reg.example.com:5000");
        assert_eq!(r.tag.as_deref(), Some("latest"));
    }

    #[test]
    fn bad_references() {
        assert!(
            Reference::parse("ghcr.io/Acme/app")
                .unwrap_err()
                .contains("lowercase")
        );
        assert!(Reference::parse("").is_err());
        assert!(Reference::parse("alpine:").is_err());
        assert!(Reference::parse("alpine@sha256:xyz").is_err());
        assert!(Reference::parse("a b").is_err());
        assert!(Reference::parse("ghcr.io/a//b").is_err());
    }

    #[test]
    fn host_shapes() {
        assert!(is_gar_host("us-central1-docker.pkg.dev"));
        assert!(is_gar_host("docker.europe-west4.rep.pkg.dev"));
        assert!(is_gar_host("gcr.io"));
        assert!(is_gar_host("eu.gcr.io"));
        assert!(!is_gar_host("pkg.dev"));
        assert!(!is_gar_host("notgcr.io"));
        assert_eq!(
            provider_for_host("123456789012.dkr.ecr.us-east-2.amazonaws.com"),
            Provider::Aws
        );
        assert_eq!(provider_for_host("acme.azurecr.io"), Provider::Azure);
        assert_eq!(provider_for_host("eu.gcr.io"), Provider::Gar);
        assert_eq!(provider_for_host("ghcr.io"), Provider::Generic);
        assert_eq!(provider_for_host("docker.io"), Provider::Generic);
    }

    #[test]
    fn factory_images() {
        let r = Reference::parse("hub.foundries.io/acme/app:latest").unwrap();
        assert!(r.is_factory_image(Some("acme")));
        assert!(!r.is_factory_image(Some("other")));
        assert!(!r.is_factory_image(None));
    }
}
