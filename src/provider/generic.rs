//! Any registry that takes a user name and a token: ghcr.io, Docker Hub, Harbor, ...

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
    fn hosts() {
        assert!(validate_url("ghcr.io").is_ok());
        assert!(validate_url("localhost:5000").is_ok());
        assert!(validate_url("host:port").is_err());
        assert!(validate_url("bad_host.io").is_err());
    }
}
