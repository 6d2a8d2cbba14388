//! The four registry types Foundries CI understands: what each entry in `container_registries`
//! holds, how its fields are validated, its default secret name and what devices need.
//!
//! Every rule lives here once; the CLI, the wizard and the plain prompts all call into it.

pub mod aws;
pub mod azure;
pub mod gar;
pub mod generic;

use std::fmt;

/// A registry type, as written in the `type:` key of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Aws,
    Azure,
    Gar,
    Generic,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Aws,
        Provider::Azure,
        Provider::Gar,
        Provider::Generic,
    ];

    /// The value of `type:` in factory-config.yml.
    pub fn type_name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Azure => "azure",
            Provider::Gar => "gar",
            Provider::Generic => "generic",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.type_name() == name)
    }

    /// A human name, e.g. "AWS ECR".
    pub fn title(self) -> &'static str {
        match self {
            Provider::Aws => "AWS Elastic Container Registry",
            Provider::Azure => "Azure Container Registry",
            Provider::Gar => "Google Artifact Registry",
            Provider::Generic => "Generic registry (user:token)",
        }
    }

    /// One line on when to choose this provider.
    pub fn blurb(self) -> &'static str {
        match self {
            Provider::Aws => "ECR in an AWS account; CI logs in with a pull-only IAM user's keys",
            Provider::Azure => "ACR; CI logs in with a service principal that has AcrPull",
            Provider::Gar => "Artifact Registry (*-docker.pkg.dev); CI uses a service-account key",
            Provider::Generic => {
                "ghcr.io, Docker Hub, Harbor, ...: a user name and an access token"
            }
        }
    }

    /// The key that names the factory secret in this type's entry.
    pub fn secret_key(self) -> &'static str {
        match self {
            Provider::Aws => "aws_creds_secret_name",
            Provider::Azure => "azure_principal_secret_name",
            Provider::Gar => "gar_creds_secret_name",
            Provider::Generic => "generic_secret_name",
        }
    }

    /// Keys CI reads for this type (a missing one crashes CI with a KeyError).
    pub fn required_keys(self) -> &'static [&'static str] {
        match self {
            Provider::Aws => &["region", "url", "aws_creds_secret_name"],
            Provider::Azure => &["url", "azure_principal_secret_name"],
            Provider::Gar => &["gar_creds_secret_name"],
            Provider::Generic => &["url", "generic_secret_name"],
        }
    }

    /// Whether CI allows only one entry of this type per factory (it crashes on a second one).
    pub fn single_per_factory(self) -> bool {
        matches!(self, Provider::Aws | Provider::Gar)
    }

    /// The default secret name for a registry at `url`.
    pub fn default_secret_name(self, url: Option<&str>) -> String {
        match self {
            Provider::Aws => "aws_creds".into(),
            Provider::Azure => "azprincipal".into(),
            Provider::Gar => "gcp_creds".into(),
            Provider::Generic => generic::default_secret_name(url.unwrap_or("")),
        }
    }

    /// Checks a registry url for this type; `Ok` carries the normalized url. For a generic
    /// registry, Docker Hub's other names become `docker.io` (see [`generic::docker_hub_alias`]).
    pub fn validate_url(self, url: &str) -> Result<String, String> {
        if self == Provider::Generic && generic::docker_hub_alias(url) {
            return Ok(generic::DOCKER_HUB.to_string());
        }
        let url = normalize_url(url)?;
        match self {
            Provider::Aws => aws::parse_url(&url).map(|_| ())?,
            Provider::Azure => azure::validate_url(&url)?,
            Provider::Gar => gar::validate_url(&url)?,
            Provider::Generic => generic::validate_url(&url)?,
        }
        Ok(url)
    }

    /// What devices need in order to pull images from this registry.
    pub fn device_advice(self) -> &'static str {
        match self {
            Provider::Aws => aws::DEVICE_ADVICE,
            Provider::Azure => azure::DEVICE_ADVICE,
            Provider::Gar => gar::DEVICE_ADVICE,
            Provider::Generic => generic::DEVICE_ADVICE,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

/// Trims, and refuses a scheme or a path: CI passes the url to `docker login` as a host name.
pub fn normalize_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("the registry url is empty".into());
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(format!(
            "write the registry host without `{scheme}://` (CI passes it to docker login as a host)"
        ));
    }
    if url.contains('/') {
        return Err("write only the registry host, without a path or repository".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the registry url contains a space or a control character".into());
    }
    Ok(url.to_ascii_lowercase())
}

/// Factory secret names must match `^[a-zA-Z0-9_\-.]+$` (the server answers 400 otherwise).
pub fn validate_secret_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the secret name is empty".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "secret name `{name}` contains `{bad}`: use only letters, digits, `_`, `-` and `.`"
        ));
    }
    // The server accepts them, but CI reads each secret from /secrets/NAME.
    if name == "." || name == ".." {
        return Err(format!(
            "secret name `{name}` cannot be read by CI: it reads each secret from /secrets/NAME, \
             and /secrets/{name} is a directory; use a name such as `ghcr_creds`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_type_name(p.type_name()), Some(p));
        }
        assert_eq!(Provider::from_type_name("docker"), None);
    }

    #[test]
    fn default_secret_names() {
        assert_eq!(Provider::Aws.default_secret_name(None), "aws_creds");
        assert_eq!(Provider::Azure.default_secret_name(None), "azprincipal");
        assert_eq!(Provider::Gar.default_secret_name(None), "gcp_creds");
        assert_eq!(
            Provider::Generic.default_secret_name(Some("ghcr.io")),
            "ghcr_creds"
        );
    }

    #[test]
    fn secret_names() {
        assert!(validate_secret_name("aws_creds-1.b").is_ok());
        assert!(validate_secret_name("").is_err());
        let err = validate_secret_name("my creds").unwrap_err();
        assert!(err.contains("` `"), "{err}");
        assert!(validate_secret_name("a/b").is_err());
        for dots in [".", ".."] {
            let err = validate_secret_name(dots).unwrap_err();
            assert!(err.contains("/secrets/NAME"), "{err}");
        }
        assert!(validate_secret_name("...").is_ok());
        assert!(validate_secret_name(".hidden").is_ok());
    }

    #[test]
    fn docker_hub_becomes_docker_io_for_generic_only() {
        for alias in [
            "index.docker.io",
            "https://index.docker.io/v1/",
            "registry-1.docker.io",
        ] {
            assert_eq!(Provider::Generic.validate_url(alias).unwrap(), "docker.io");
        }
        assert!(Provider::Azure.validate_url("index.docker.io").is_err());
        assert_eq!(
            Provider::Generic.validate_url("docker.io").unwrap(),
            "docker.io"
        );
    }

    #[test]
    fn urls_are_hosts() {
        assert_eq!(normalize_url(" GHCR.io ").unwrap(), "ghcr.io");
        assert!(
            normalize_url("https://ghcr.io")
                .unwrap_err()
                .contains("https://")
        );
        assert!(normalize_url("ghcr.io/acme/app").is_err());
        assert!(normalize_url("").is_err());
    }
}
