//! The blocking HTTP client behind every login test: TLS rules, timeouts, and one clear sentence
//! for every way a request can fail.
//!
//! Credentials are only ever sent over TLS. Plain `http://` is allowed only when the caller set
//! `insecure_loopback` *and* the host is a loopback address; anything else is refused before a
//! connection is made. Redirects are never followed, so credentials can't be forwarded to a host
//! nobody chose.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use ureq::Agent;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use zeroize::Zeroizing;

use super::VerifyError;

/// The most of a response body that is read (token responses are a few KiB).
const BODY_LIMIT: u64 = 1024 * 1024;

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    Basic { user: &'a str, password: &'a str },
    Bearer(&'a str),
}

impl Auth<'_> {
    fn header(&self) -> Zeroizing<String> {
        match self {
            Auth::Basic { user, password } => {
                let mut pair =
                    Zeroizing::new(String::with_capacity(user.len() + 1 + password.len()));
                pair.push_str(user);
                pair.push(':');
                pair.push_str(password);
                let encoded = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
                );
                Zeroizing::new(format!("Basic {}", encoded.as_str()))
            }
            Auth::Bearer(token) => Zeroizing::new(format!("Bearer {token}")),
        }
    }
}

/// What came back: the status, the headers that matter, and (when asked for) the body.
pub(crate) struct Reply {
    pub status: u16,
    pub www_authenticate: Vec<String>,
    pub location: Option<String>,
    pub body: String,
}

/// A URL that passed the TLS rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    pub url: String,
    loopback: bool,
}

impl Checked {
    /// The same host with `suffix` appended to the URL (a path under a registry base).
    pub(crate) fn join(&self, suffix: &str) -> Checked {
        Checked {
            url: format!("{}{suffix}", self.url),
            loopback: self.loopback,
        }
    }
}

pub(crate) struct Client {
    /// Honours HTTPS_PROXY / NO_PROXY like docker does.
    proxied: Agent,
    /// For loopback hosts: never through a proxy.
    direct: Agent,
    insecure_loopback: bool,
    timeout: Duration,
}

/// Whether `host` (a name, an IPv4 address, or an IPv6 address with or without brackets) is a
/// loopback address: 127.0.0.0/8, ::1 or `localhost`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let bare = bare.strip_suffix('.').unwrap_or(bare);
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The host part of `host[:port]` (IPv6 in brackets).
pub(crate) fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => authority,
    }
}

impl Client {
    pub(crate) fn new(
        insecure_loopback: bool,
        ca_file: Option<&Path>,
        timeout: Duration,
    ) -> Result<Client, VerifyError> {
        let roots = match ca_file {
            None => RootCerts::WebPki,
            Some(path) => {
                let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|der| Certificate::from_der(der.as_ref()))
                    .collect();
                certs.extend(read_ca_file(path)?);
                RootCerts::from(certs)
            }
        };
        let tls = TlsConfig::builder().root_certs(roots).build();
        let build = |proxy: Option<ureq::Proxy>| {
            Agent::config_builder()
                .tls_config(tls.clone())
                .proxy(proxy)
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(timeout))
                .user_agent(concat!(
                    "fioreg/",
                    env!("CARGO_PKG_VERSION"),
                    " (login test)"
                ))
                .build()
                .new_agent()
        };
        Ok(Client {
            proxied: build(ureq::Proxy::try_from_env()),
            direct: build(None),
            insecure_loopback,
            timeout,
        })
    }

    /// `https://HOST[:PORT]` for a registry given as `host[:port]`, or `http://` when the
    /// insecure loopback mode is on (refused for any other host).
    pub(crate) fn registry_base(&self, authority: &str) -> Result<Checked, VerifyError> {
        let loopback = is_loopback(host_of(authority));
        if self.insecure_loopback {
            if !loopback {
                return Err(VerifyError::InsecureNotAllowed {
                    url: format!("http://{authority}"),
                });
            }
            Ok(Checked {
                url: format!("http://{authority}"),
                loopback,
            })
        } else {
            Ok(Checked {
                url: format!("https://{authority}"),
                loopback,
            })
        }
    }

    /// Applies the TLS rules to an absolute URL that credentials will be sent to (a token
    /// service, a provider's endpoint).
    pub(crate) fn check_url(&self, url: &str) -> Result<Checked, VerifyError> {
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|_| VerifyError::protocol(url, "it is not a valid URL"))?;
        let host = uri.host().unwrap_or_default();
        if host.is_empty() {
            return Err(VerifyError::protocol(url, "the URL has no host"));
        }
        let loopback = is_loopback(host);
        match uri.scheme_str() {
            Some("https") => Ok(Checked {
                url: url.to_string(),
                loopback,
            }),
            Some("http") if self.insecure_loopback && loopback => Ok(Checked {
                url: url.to_string(),
                loopback,
            }),
            Some("http") => Err(VerifyError::InsecureNotAllowed {
                url: url.to_string(),
            }),
            _ => Err(VerifyError::protocol(
                url,
                "only https:// URLs are supported",
            )),
        }
    }

    fn agent(&self, target: &Checked) -> &Agent {
        if target.loopback {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// GET `target` with `query` parameters appended.
    pub(crate) fn get(
        &self,
        target: &Checked,
        query: &[(&str, &str)],
        auth: Option<&Auth<'_>>,
        want_body: bool,
    ) -> Result<Reply, VerifyError> {
        let mut req = self.agent(target).get(&target.url);
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        if let Some(auth) = auth {
            req = req.header("Authorization", auth.header().as_str());
        }
        let response = req.call().map_err(|e| self.failure(&target.url, e))?;
        self.reply(&target.url, response, want_body)
    }

    /// HEAD `target` with `headers` (no body is read).
    pub(crate) fn head(
        &self,
        target: &Checked,
        headers: &[(&str, &str)],
        auth: Option<&Auth<'_>>,
    ) -> Result<Reply, VerifyError> {
        let mut req = self.agent(target).head(&target.url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(auth) = auth {
            req = req.header("Authorization", auth.header().as_str());
        }
        let response = req.call().map_err(|e| self.failure(&target.url, e))?;
        self.reply(&target.url, response, false)
    }

    /// POST `body` to `target` with `headers`.
    pub(crate) fn post(
        &self,
        target: &Checked,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, VerifyError> {
        let mut req = self.agent(target).post(&target.url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = req.send(body).map_err(|e| self.failure(&target.url, e))?;
        self.reply(&target.url, response, true)
    }

    fn reply(
        &self,
        url: &str,
        mut response: ureq::http::Response<ureq::Body>,
        want_body: bool,
    ) -> Result<Reply, VerifyError> {
        let headers = response.headers();
        let www_authenticate = headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = response.status().as_u16();
        let body = if want_body {
            let bytes = response
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec()
                .map_err(|e| self.failure(url, e))?;
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            String::new()
        };
        Ok(Reply {
            status,
            www_authenticate,
            location,
            body,
        })
    }

    /// One sentence for a request that got no HTTP answer.
    fn failure(&self, url: &str, err: ureq::Error) -> VerifyError {
        let unreachable = |reason: String| VerifyError::Unreachable {
            url: url.to_string(),
            reason,
        };
        let host = url
            .parse::<ureq::http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_string))
            .unwrap_or_else(|| url.to_string());
        match err {
            ureq::Error::HostNotFound => {
                unreachable(format!("the host name {host} could not be resolved (DNS)"))
            }
            ureq::Error::Timeout(_) => {
                unreachable(format!("no answer within {}", seconds(self.timeout)))
            }
            ureq::Error::ConnectionFailed => unreachable("the connection failed".to_string()),
            ureq::Error::Io(e) => {
                // rustls reports handshake failures through the stream, as an io::Error.
                match e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    Some(tls) => unreachable(tls_reason(tls)),
                    None => {
                        // std reports getaddrinfo failures as an uncategorized io::Error.
                        let text = e.to_string();
                        match text.strip_prefix("failed to lookup address information") {
                            Some(rest) => unreachable(format!(
                                "the host name {host} could not be resolved (DNS{})",
                                rest.trim_start_matches(':')
                                    .trim()
                                    .split_terminator('\n')
                                    .next()
                                    .filter(|r| !r.is_empty())
                                    .map(|r| format!(": {r}"))
                                    .unwrap_or_default()
                            )),
                            None => unreachable(io_reason(&e)),
                        }
                    }
                }
            }
            ureq::Error::Rustls(e) => unreachable(tls_reason(&e)),
            ureq::Error::Tls(e) => unreachable(format!("the TLS connection failed: {e}")),
            ureq::Error::Pem(e) => unreachable(format!("a certificate could not be read: {e}")),
            ureq::Error::BodyExceedsLimit(_) => {
                VerifyError::protocol(url, "the response is larger than 1 MiB")
            }
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                VerifyError::protocol(url, "the URL or a header is not valid HTTP")
            }
            ureq::Error::Protocol(e) => {
                VerifyError::protocol(url, format!("the answer is not valid HTTP ({e})"))
            }
            other => VerifyError::protocol(url, other.to_string()),
        }
    }
}

fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "the connection was refused (nothing is listening there)".into(),
        K::ConnectionReset | K::ConnectionAborted => {
            "the connection was closed by the other side".into()
        }
        K::UnexpectedEof => {
            "the connection was closed before an answer (is it serving plain HTTP on an HTTPS port, or the other way round?)"
                .into()
        }
        K::HostUnreachable => "the host is unreachable".into(),
        K::NetworkUnreachable | K::NetworkDown => "the network is unreachable".into(),
        K::TimedOut | K::WouldBlock => "the connection timed out".into(),
        K::AddrNotAvailable => "the address is not available".into(),
        _ => format!("network error: {e}"),
    }
}

fn tls_reason(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the TLS certificate is signed by an unknown authority (for a private CA, pass its certificate with --ca-file)"
                .into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForName)
        | Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            "the TLS certificate is not valid for this host name".into()
        }
        Error::InvalidCertificate(CertificateError::Expired)
        | Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            "the TLS certificate has expired".into()
        }
        Error::InvalidCertificate(other) => format!("the TLS certificate is not valid ({other:?})"),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            "the TLS handshake failed: the server did not answer with TLS (does it serve plain HTTP?)"
                .into()
        }
        other => format!("the TLS handshake failed: {other}"),
    }
}

/// The certificates of a PEM file, for `ca_file`.
fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, VerifyError> {
    let bad = |reason: String| VerifyError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = crate::credentials::read_bounded(path).map_err(|e| bad(e.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("it is not a PEM file ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(bad("it holds no PEM certificate".to_string()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.1.2.3",
            "localhost",
            "LOCALHOST",
            "localhost.",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.1",
            "registry.example.com",
            "localhost.example.com",
            "[::2]",
            "128.0.0.1",
            "",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn host_of_authorities() {
        assert_eq!(host_of("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(host_of("ghcr.io"), "ghcr.io");
        assert_eq!(host_of("[::1]:5000"), "[::1]");
        assert_eq!(host_of("[::1]"), "[::1]");
        assert_eq!(host_of("::1"), "::1");
    }

    #[test]
    fn tls_rules() {
        let secure = Client::new(false, None, Duration::from_secs(1)).unwrap();
        let insecure = Client::new(true, None, Duration::from_secs(1)).unwrap();
        assert_eq!(
            secure.registry_base("127.0.0.1:5000").unwrap().url,
            "https://127.0.0.1:5000"
        );
        assert_eq!(
            insecure.registry_base("127.0.0.1:5000").unwrap().url,
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            insecure.registry_base("[::1]:5000").unwrap().url,
            "http://[::1]:5000"
        );
        assert!(matches!(
            insecure.registry_base("ghcr.io"),
            Err(VerifyError::InsecureNotAllowed { .. })
        ));
        assert!(secure.check_url("https://auth.docker.io/token").is_ok());
        assert!(matches!(
            secure.check_url("http://127.0.0.1:9/token"),
            Err(VerifyError::InsecureNotAllowed { .. })
        ));
        assert!(insecure.check_url("http://127.0.0.1:9/token").is_ok());
        assert!(insecure.check_url("http://localhost:9/token").is_ok());
        assert!(matches!(
            insecure.check_url("http://auth.example.com/token"),
            Err(VerifyError::InsecureNotAllowed { .. })
        ));
        assert!(matches!(
            insecure.check_url("ftp://127.0.0.1/token"),
            Err(VerifyError::Protocol { .. })
        ));
        assert!(matches!(
            insecure.check_url("/relative"),
            Err(VerifyError::Protocol { .. })
        ));
    }

    #[test]
    fn ca_file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let err = Client::new(false, Some(&missing), Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(matches!(err, VerifyError::CaFile { .. }), "{err:?}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = Client::new(false, Some(&empty), Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn seconds_format() {
        assert_eq!(seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
