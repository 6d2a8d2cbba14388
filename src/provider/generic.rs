//! Any registry that takes a user name and a token: ghcr.io, Docker Hub, Harbor, ...

/// The url of a Docker Hub entry. Docker stores Docker Hub credentials under
/// `https://index.docker.io/v1/` only when the login names `docker.io` (or nothing): a login to
/// `index.docker.io` or `registry-1.docker.io` is stored under a key that Docker Hub pulls never
/// look up.
pub const DOCKER_HUB: &str = "docker.io";

/// Whether `url` names Docker Hub by a name other than `docker.io` (`index.docker.io`,
/// `registry-1.docker.io`, `https://index.docker.io/v1/`, with or without scheme, `/v1` or
/// `/v2` and a trailing slash, in any case).
pub fn docker_hub_alias(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(&u);
    let u = u.trim_end_matches('/');
    let host = u
        .strip_suffix("/v1")
        .or_else(|| u.strip_suffix("/v2"))
        .unwrap_or(u);
    matches!(host, "index.docker.io" | "registry-1.docker.io")
}

/// Why an alias of Docker Hub is written as `docker.io` (for plans and `check`).
pub fn docker_hub_note(url: &str) -> String {
    format!(
        "`{url}` is Docker Hub, written as `{DOCKER_HUB}`: Docker keeps Docker Hub credentials \
         under `{DOCKER_HUB}` only, so CI's login to `{url}` would never be used by its pulls"
    )
}

pub fn validate_url(url: &str) -> Result<(), String> {
    let (host, port) = match url.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (url, None),
    };
    if let Some(p) = port
        && p.parse::<u16>().is_err()
    {
        return Err(format!("`{url}`: the port `{p}` is not a number"));
    }
    let ok = !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{url}` is not a registry host name (e.g. ghcr.io or harbor.example.com)"
        ))
    }
}

/// `ghcr.io` -> `ghcr_creds`, `registry.gitlab.com` -> `registry_gitlab_creds`,
/// `harbor.example.com:8443` -> `harbor_example_creds`.
pub fn default_secret_name(url: &str) -> String {
    let host = url.split(':').next().unwrap_or("");
    let mut labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() > 1 {
        labels.pop(); // the top-level domain says nothing
    }
    let stem: String = labels
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "registry_creds".into()
    } else {
        format!("{stem}_creds")
    }
}

pub const DEVICE_ADVICE: &str = "\
Devices: the factory's devices cannot use CI's token. Either wrap each image into hub.foundries.io
(containers.git <CONTAINER>/Dockerfile holding `FROM <registry>/<image>:<tag>`), or give devices
their own read-only token for this registry.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_from_hosts() {
        assert_eq!(default_secret_name("ghcr.io"), "ghcr_creds");
        assert_eq!(
            default_secret_name("registry.gitlab.com"),
            "registry_gitlab_creds"
        );
        assert_eq!(
            default_secret_name("harbor.example.com:8443"),
            "harbor_example_creds"
        );
        assert_eq!(default_secret_name("localhost:5000"), "localhost_creds");
    }

    #[test]
    fn docker_hub_aliases() {
        for alias in [
            "index.docker.io",
            "registry-1.docker.io",
            "https://index.docker.io/v1/",
            "https://index.docker.io/v1",
            "Index.Docker.IO/v2/",
            "http://registry-1.docker.io",
        ] {
            assert!(docker_hub_alias(alias), "{alias}");
        }
        for other in [
            "docker.io",
            "ghcr.io",
            "index.docker.io.example.com",
            "quay.io/v1",
        ] {
            assert!(!docker_hub_alias(other), "{other}");
        }
    }

    #[test]
    fn hosts() {
        assert!(validate_url("ghcr.io").is_ok());
        assert!(validate_url("localhost:5000").is_ok());
        assert!(validate_url("host:port").is_err());
        assert!(validate_url("bad_host.io").is_err());
    }
}
