//! Wraps a private registry image into hub.foundries.io: a containers.git `<CONTAINER>/Dockerfile`
//! holding `FROM <image>`, built by Foundries CI (which can pull it thanks to the registry entry),
//! so devices pull from hub.foundries.io and never need the private registry's credentials.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The comment line written above `FROM`.
pub const COMMENT: &str = "# Wrapped by fioreg: devices pull this image from hub.foundries.io";

/// What to do after [`wrap`]; `<factory>` and `<container>` are placeholders.
pub const DEVICE_WRAP_HINT: &str = "\
Next steps:
  1. Commit and push containers.git: git add <container>/Dockerfile && git commit -m \"Wrap <container>\" && git push
  2. Foundries CI builds it (pulling the base image with the registry credentials fioreg stored)
     and publishes hub.foundries.io/<factory>/<container>.
  3. In the docker-compose.yml of your compose app use image: hub.foundries.io/<factory>/<container>:latest
     Devices then pull it from hub.foundries.io and need no credentials for your registry.";

/// What [`wrap`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrapOutcome {
    /// The Dockerfile was created at this path.
    Written(PathBuf),
    /// The Dockerfile at this path already wraps the same image; nothing was changed.
    AlreadyThere(PathBuf),
}

/// Why [`wrap`] refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    #[error("`{image}` is not an image reference: {reason}")]
    InvalidImage { image: String, reason: String },
    #[error("`{name}` is not a container name: {reason}")]
    InvalidContainer { name: String, reason: String },
    #[error(
        "{} is not a directory: pass the path of your containers.git checkout \
         (git clone https://source.foundries.io/factories/<factory>/containers.git)",
        .0.display()
    )]
    NotADirectory(PathBuf),
    #[error(
        "{} already exists with different content: refusing to overwrite it; choose another \
         container name or edit that file yourself",
        .0.display()
    )]
    WouldOverwrite(PathBuf),
    #[error("cannot write {}: {source}; check that the containers.git checkout is writable", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `<containers_repo>/<container>/Dockerfile` holding `FROM <image>`; never overwrites.
pub fn wrap(
    image: &str,
    container: &str,
    containers_repo: &Path,
) -> Result<WrapOutcome, WrapError> {
    let image = image.trim();
    validate_image(image).map_err(|reason| WrapError::InvalidImage {
        image: image.to_string(),
        reason,
    })?;
    validate_container(container).map_err(|reason| WrapError::InvalidContainer {
        name: container.to_string(),
        reason,
    })?;
    if !containers_repo.is_dir() {
        return Err(WrapError::NotADirectory(containers_repo.to_path_buf()));
    }
    let dir = containers_repo.join(container);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WrapError::Io { path, source }
    };
    if dir.exists() && !dir.is_dir() {
        return Err(WrapError::NotADirectory(dir));
    }
    if !dir.exists() {
        std::fs::create_dir(&dir).map_err(io(&dir))?;
    }
    let path = dir.join("Dockerfile");
    let content = dockerfile(image);
    // create_new: an existing file (even one created a moment ago) is never replaced.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(content.as_bytes()).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            Ok(WrapOutcome::Written(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(io(&path))?;
            if same_wrap(&existing, image) {
                Ok(WrapOutcome::AlreadyThere(path))
            } else {
                Err(WrapError::WouldOverwrite(path))
            }
        }
        Err(e) => Err(io(&path)(e)),
    }
}

/// The Dockerfile text for `image`.
pub fn dockerfile(image: &str) -> String {
    format!("{COMMENT}\nFROM {image}\n")
}

/// [`DEVICE_WRAP_HINT`] with the placeholders filled in.
pub fn hint(factory: &str, container: &str) -> String {
    DEVICE_WRAP_HINT
        .replace("<factory>", factory)
        .replace("<container>", container)
}

/// Whether `existing` wraps `image` (comments, blank lines and CRLF line ends ignored).
fn same_wrap(existing: &str, image: &str) -> bool {
    let lines: Vec<&str> = existing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    match lines.as_slice() {
        [only] => only
            .split_once(char::is_whitespace)
            .is_some_and(|(kw, rest)| kw.eq_ignore_ascii_case("FROM") && rest.trim() == image),
        _ => false,
    }
}

/// `REGISTRY/IMAGE[:TAG][@sha256:DIGEST]` with a registry host holding a `.` or `:`.
fn validate_image(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("it is empty; write REGISTRY/IMAGE:TAG, e.g. ghcr.io/acme/app:1.0".into());
    }
    if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains a space; write REGISTRY/IMAGE:TAG without spaces".into());
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("the digest must be sha256: followed by 64 lowercase hex digits".into());
        }
    }
    let Some((registry, path)) = name.split_once('/') else {
        return Err(
            "it has no registry host; write REGISTRY/IMAGE:TAG, e.g. ghcr.io/acme/app:1.0".into(),
        );
    };
    if !(registry.contains('.') || registry.contains(':')) {
        return Err(format!(
            "`{registry}` is not a registry host (it needs a `.` or a port), e.g. ghcr.io/acme/app:1.0"
        ));
    }
    let (host, port) = match registry.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (registry, None),
    };
    let host_ok = !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !host_ok || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(format!(
            "`{registry}` is not a registry host, e.g. ghcr.io or harbor.example.com:8443"
        ));
    }
    if host.eq_ignore_ascii_case("hub.foundries.io") {
        return Err(
            "it is already in hub.foundries.io; use it in docker-compose directly instead of wrapping it".into(),
        );
    }
    let (repo, tag) = match path.rsplit_once('/') {
        Some((prefix, last)) => match last.split_once(':') {
            Some((l, t)) => (format!("{prefix}/{l}"), Some(t)),
            None => (path.to_string(), None),
        },
        None => match path.split_once(':') {
            Some((l, t)) => (l.to_string(), Some(t)),
            None => (path.to_string(), None),
        },
    };
    let component_ok = |c: &str| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|&x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"._-".contains(&x))
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    if !repo.split('/').all(component_ok) {
        return Err(format!(
            "the image path `{repo}` must be lowercase letters, digits, `.`, `_`, `-` and `/`"
        ));
    }
    if let Some(t) = tag {
        let b = t.as_bytes();
        let ok = (1..=128).contains(&b.len())
            && b.first()
                .is_some_and(|&x| x.is_ascii_alphanumeric() || x == b'_')
            && b.iter()
                .all(|&x| x.is_ascii_alphanumeric() || b"._-".contains(&x));
        if !ok {
            return Err(format!(
                "the tag `{t}` must be 1-128 letters, digits, `.`, `_` or `-`"
            ));
        }
    }
    Ok(())
}

/// A containers.git directory name: lowercase letters, digits, `-`, `_`, `.`, not starting with `.` or `-`.
fn validate_container(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty; use e.g. the image's name".into());
    }
    if name.contains('/') || name.contains('\\') {
        return Err("it contains a `/`; use a single directory name such as app".into());
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err("it starts with `.` or `-`; start with a letter or digit".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "it contains `{bad}`; use only lowercase letters, digits, `-`, `_` and `.`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = "acmeprod.azurecr.io/team/app:1.2";

    #[test]
    fn writes_from_line() {
        let repo = tempfile::tempdir().unwrap();
        let out = wrap(IMAGE, "app", repo.path()).unwrap();
        let path = repo.path().join("app/Dockerfile");
        assert_eq!(out, WrapOutcome::Written(path.clone()));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# Wrapped by fioreg: devices pull this image from hub.foundries.io\n\
             FROM acmeprod.azurecr.io/team/app:1.2\n"
        );
    }

    #[test]
    fn existing_container_dir_is_used() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join("app")).unwrap();
        std::fs::write(repo.path().join("app/README.md"), "keep").unwrap();
        assert!(matches!(
            wrap(IMAGE, "app", repo.path()).unwrap(),
            WrapOutcome::Written(_)
        ));
        assert_eq!(
            std::fs::read_to_string(repo.path().join("app/README.md")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn same_content_is_already_there() {
        let repo = tempfile::tempdir().unwrap();
        wrap(IMAGE, "app", repo.path()).unwrap();
        let path = repo.path().join("app/Dockerfile");
        assert_eq!(
            wrap(IMAGE, "app", repo.path()).unwrap(),
            WrapOutcome::AlreadyThere(path.clone())
        );
        // A hand-written equivalent (no comment, CRLF) counts as the same.
        std::fs::write(&path, format!("FROM {IMAGE}\r\n")).unwrap();
        assert_eq!(
            wrap(IMAGE, "app", repo.path()).unwrap(),
            WrapOutcome::AlreadyThere(path.clone())
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("FROM {IMAGE}\r\n")
        );
    }

    #[test]
    fn different_content_is_never_overwritten() {
        let repo = tempfile::tempdir().unwrap();
        let path = repo.path().join("app/Dockerfile");
        std::fs::create_dir(repo.path().join("app")).unwrap();
        let mine = format!("FROM {IMAGE}\nRUN apk add curl\n");
        std::fs::write(&path, &mine).unwrap();
        let err = wrap(IMAGE, "app", repo.path()).unwrap_err();
        assert!(
            matches!(err, WrapError::WouldOverwrite(ref p) if *p == path),
            "{err}"
        );
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        let err = wrap("acmeprod.azurecr.io/team/app:1.3", "app", repo.path()).unwrap_err();
        assert!(matches!(err, WrapError::WouldOverwrite(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), mine);
    }

    #[test]
    fn repo_must_be_a_directory() {
        let repo = tempfile::tempdir().unwrap();
        let missing = repo.path().join("containers");
        let err = wrap(IMAGE, "app", &missing).unwrap_err();
        assert!(matches!(err, WrapError::NotADirectory(_)), "{err}");
        assert!(err.to_string().contains("containers.git"), "{err}");
        let file = repo.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(
            wrap(IMAGE, "app", &file).unwrap_err(),
            WrapError::NotADirectory(_)
        ));
        std::fs::write(repo.path().join("app"), "").unwrap();
        assert!(matches!(
            wrap(IMAGE, "app", repo.path()).unwrap_err(),
            WrapError::NotADirectory(_)
        ));
    }

    #[test]
    fn images_are_validated() {
        let good = [
            "ghcr.io/acme/app",
            "ghcr.io/acme/app:1.0",
            "harbor.example.com:8443/team/app:latest",
            "localhost:5000/app",
            "europe-west4-docker.pkg.dev/acme-prod/containers/app:v2",
            "123456789012.dkr.ecr.us-east-2.amazonaws.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ghcr.io/acme/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ];
        for image in good {
            assert!(
                validate_image(image).is_ok(),
                "{image}: {:?}",
                validate_image(image)
            );
        }
        let bad = [
            ("", "empty"),
            ("nginx:1.25", "no registry host"),
            ("acme/app:1.0", "not a registry host"),
            ("ghcr.io/acme/app 1.0", "space"),
            ("ghcr.io/Acme/App", "lowercase"),
            ("ghcr.io/acme/app:", "tag"),
            ("ghcr.io/acme/app@sha256:abc", "digest"),
            ("ghcr.io/", "image path"),
            ("ghcr.io:x/app", "registry host"),
            ("hub.foundries.io/acme/app", "already in hub.foundries.io"),
        ];
        for (image, why) in bad {
            let err = wrap(image, "app", Path::new("/nonexistent")).unwrap_err();
            assert!(
                matches!(err, WrapError::InvalidImage { .. }),
                "{image}: {err}"
            );
            assert!(err.to_string().contains(why), "{image}: {err}");
        }
    }

    #[test]
    fn container_names_are_validated() {
        let repo = tempfile::tempdir().unwrap();
        for good in ["app", "my-app_2.1", "0app"] {
            assert!(validate_container(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("team/app", "`/`"),
            ("..", "starts with"),
            (".hidden", "starts with"),
            ("-app", "starts with"),
            ("App", "`A`"),
            ("my app", "` `"),
        ] {
            let err = wrap(IMAGE, bad, repo.path()).unwrap_err();
            assert!(
                matches!(err, WrapError::InvalidContainer { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        assert_eq!(std::fs::read_dir(repo.path()).unwrap().count(), 0);
    }

    #[test]
    fn hint_fills_placeholders() {
        let h = hint("acme", "app");
        assert!(h.contains("hub.foundries.io/acme/app:latest"), "{h}");
        assert!(h.contains("git add app/Dockerfile"), "{h}");
        assert!(!h.contains('<'), "{h}");
    }
}
