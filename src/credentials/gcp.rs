//! GCP: a service-account key file, uploaded verbatim.
//!
//! CI writes the `gar_creds_secret_name` secret to
//! `~/.config/gcloud/application_default_credentials.json`, so the file must be a
//! service-account key (`"type": "service_account"`). Personal credentials from
//! `gcloud auth application-default login` (`authorized_user`) would also "work", and would hand
//! the user's whole Google identity to CI: they are refused.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use zeroize::Zeroize;

use super::CredError;
use crate::secret::Secret;

/// What may be shown about an accepted key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpKeyInfo {
    /// `NAME@PROJECT.iam.gserviceaccount.com`.
    pub client_email: String,
    pub project_id: Option<String>,
}

/// The fields looked at before handing the file to gcp_auth. `private_key` is never copied out
/// of the file's bytes here ([`IgnoredAny`]), so it can't end up in an error message either.
#[derive(Deserialize)]
struct Header {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    project_id: Option<String>,
    private_key: Option<IgnoredAny>,
    token_uri: Option<String>,
}

/// Reads and checks a service-account key file; the secret is the file's bytes, unchanged.
pub fn key_file(path: &Path) -> Result<(Secret, GcpKeyInfo), CredError> {
    let bytes = super::read_bounded(path).map_err(|err| CredError::GcpFileUnreadable {
        path: path.to_path_buf(),
        reason: err.to_string(),
    })?;
    key_bytes(bytes, path)
}

/// Checks a service-account key held in memory (e.g. read from gcloud's stdout) exactly as
/// [`key_file`] checks a file; `origin` names it in messages. The bytes become the secret.
pub fn key_bytes(mut bytes: Vec<u8>, origin: &Path) -> Result<(Secret, GcpKeyInfo), CredError> {
    match check(origin, &bytes) {
        Ok(info) => {
            let secret = Secret::new(
                bytes,
                format!("GCP service-account key {}", info.client_email),
            );
            Ok((secret, info))
        }
        Err(err) => {
            bytes.zeroize();
            Err(err)
        }
    }
}

fn check(path: &Path, bytes: &[u8]) -> Result<GcpKeyInfo, CredError> {
    let path_buf = || path.to_path_buf();
    let text = std::str::from_utf8(bytes).map_err(|e| CredError::NotUtf8 {
        input: format!("The GCP key file {}", path.display()),
        offset: e.valid_up_to(),
    })?;
    let header: Header = serde_json::from_str(text).map_err(|err| json_error(path_buf(), err))?;

    match header.kind.as_deref() {
        Some("service_account") => {}
        Some("authorized_user") => return Err(CredError::GcpUserCredentials { path: path_buf() }),
        Some(other) => {
            return Err(CredError::GcpNotServiceAccount {
                path: path_buf(),
                kind: format!("a credential of type `{other}`"),
            });
        }
        None => {
            return Err(CredError::GcpNotServiceAccount {
                path: path_buf(),
                kind: "JSON without a \"type\" field".to_string(),
            });
        }
    }
    let missing = |field: &str| CredError::GcpBadField {
        path: path_buf(),
        problem: format!("has no \"{field}\" field"),
    };
    let client_email = header
        .client_email
        .filter(|e| !e.is_empty())
        .ok_or_else(|| missing("client_email"))?;
    if header.private_key.is_none() {
        return Err(missing("private_key"));
    }
    if header.token_uri.as_deref().is_none_or(str::is_empty) {
        return Err(missing("token_uri"));
    }
    if !client_email.contains('@') || client_email.chars().any(char::is_whitespace) {
        return Err(CredError::GcpBadField {
            path: path_buf(),
            problem: format!("has client_email `{client_email}`, which is not an email address"),
        });
    }

    // Offline validation of private_key (PEM PKCS#8 RSA), client_email and token_uri. It builds
    // an HTTPS client too, but neither connects nor needs a Tokio runtime to do so.
    gcp_auth::CustomServiceAccount::from_json(text).map_err(|err| gcp_auth_error(path, err))?;

    Ok(GcpKeyInfo {
        client_email,
        project_id: header.project_id.filter(|p| !p.is_empty()),
    })
}

fn json_error(path: PathBuf, err: serde_json::Error) -> CredError {
    use serde_json::error::Category;
    let (line, column) = (err.line(), err.column());
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            // The message without serde_json's own " at line L column C" suffix.
            let full = err.to_string();
            let detail = match full.rfind(" at line ") {
                Some(at) => full[..at].to_string(),
                None => full,
            };
            CredError::GcpNotJson {
                path,
                line,
                column,
                detail,
            }
        }
        // Valid JSON of the wrong shape: not an object, or a known field of the wrong type.
        // serde's message would quote the offending value (a whole file that is one JSON
        // string, say a pasted private key), so only its location is kept.
        Category::Data => CredError::GcpBadField {
            path,
            problem: format!(
                "is JSON but not a service-account key object (unexpected value at line {line}, column {column})"
            ),
        },
    }
}

fn gcp_auth_error(path: &Path, err: gcp_auth::Error) -> CredError {
    let path = path.to_path_buf();
    match err {
        gcp_auth::Error::Other(msg, _) if msg.contains("PKCS#8") => CredError::GcpBadPrivateKey {
            path,
            problem: "is not a PEM-encoded PKCS#8 private key (-----BEGIN PRIVATE KEY-----)",
        },
        gcp_auth::Error::Str(msg) if msg.contains("private key") => CredError::GcpBadPrivateKey {
            path,
            problem: "could not be parsed as an RSA private key",
        },
        // Our own checks ran first, so this is an unexpected shape: keep serde's location only.
        gcp_auth::Error::Json(msg, json) => CredError::GcpBadField {
            path,
            problem: format!(
                "is not a service-account key ({msg} at line {}, column {})",
                json.line(),
                json.column()
            ),
        },
        other => CredError::GcpKeyRejected {
            path,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gcp")).join(name)
    }

    /// A fixture with one field replaced, written to a temp file.
    fn variant(
        edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> tempfile::NamedTempFile {
        let text = std::fs::read_to_string(fixture("sa-key.json")).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        edit(value.as_object_mut().unwrap());
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), serde_json::to_vec_pretty(&value).unwrap()).unwrap();
        file
    }

    #[test]
    fn valid_key_is_accepted_verbatim() {
        let path = fixture("sa-key.json");
        let (secret, info) = key_file(&path).unwrap();
        assert_eq!(secret.expose(), std::fs::read(&path).unwrap().as_slice());
        assert_eq!(
            info,
            GcpKeyInfo {
                client_email: "ci-pull@fioreg-test.iam.gserviceaccount.com".into(),
                project_id: Some("fioreg-test".into()),
            }
        );
        assert_eq!(
            secret.description(),
            "GCP service-account key ci-pull@fioreg-test.iam.gserviceaccount.com"
        );
        assert!(!format!("{secret:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn authorized_user_is_refused_with_the_gcloud_hint() {
        let err = key_file(&fixture("authorized-user.json")).unwrap_err();
        assert!(
            matches!(err, CredError::GcpUserCredentials { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("personal user credentials"), "{msg}");
        assert!(
            msg.contains("gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com"),
            "{msg}"
        );
        assert!(!msg.contains("FAKE-refresh-token") && !msg.contains("FAKE-user-client-secret"));
    }

    #[test]
    fn other_types_are_refused() {
        let file = variant(|m| {
            m.insert("type".into(), "external_account".into());
        });
        let err = key_file(file.path()).unwrap_err();
        assert!(
            matches!(err, CredError::GcpNotServiceAccount { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("`external_account`"), "{msg}");
        assert!(
            msg.contains("gcloud iam service-accounts keys create key.json"),
            "{msg}"
        );

        let file = variant(|m| {
            m.remove("type");
        });
        let err = key_file(file.path()).unwrap_err();
        assert!(
            err.to_string().contains("without a \"type\" field"),
            "{err}"
        );
    }

    #[test]
    fn bad_private_key_is_refused() {
        let err = key_file(&fixture("bad-private-key.json")).unwrap_err();
        assert!(matches!(err, CredError::GcpBadPrivateKey { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("could not be parsed as an RSA private key"),
            "{msg}"
        );
        assert!(msg.contains("bad-private-key.json"), "{msg}");

        // Not PEM at all (e.g. pasted without the header lines).
        let file = variant(|m| {
            m.insert(
                "private_key".into(),
                "MIIEvAIBADANBgkqhkiG9w0BAQEFAASC".into(),
            );
        });
        let err = key_file(file.path()).unwrap_err();
        assert!(
            err.to_string().contains("not a PEM-encoded PKCS#8"),
            "{err}"
        );
        assert!(!err.to_string().contains("MIIEvAIBADANBgkqhkiG9w0BAQEFAASC"));

        // Wrong JSON type: the value must not be echoed.
        let file = variant(|m| {
            m.insert("private_key".into(), serde_json::json!(["secret-part"]));
        });
        let err = key_file(file.path()).unwrap_err();
        assert!(!err.to_string().contains("secret-part"), "{err}");
    }

    #[test]
    fn missing_fields_are_named() {
        for field in ["client_email", "private_key", "token_uri"] {
            let file = variant(|m| {
                m.remove(field);
            });
            let err = key_file(file.path()).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("has no \"{field}\" field")),
                "{err}"
            );
        }
    }

    #[test]
    fn not_json_reports_line_and_column() {
        let path = fixture("not-json.json");
        let err = key_file(&path).unwrap_err();
        match &err {
            CredError::GcpNotJson { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("not-json.json is not valid JSON"), "{msg}");
        assert!(msg.contains("line 3, column 3"), "{msg}");

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "[1, 2]").unwrap();
        let err = key_file(file.path()).unwrap_err();
        assert!(matches!(err, CredError::GcpBadField { .. }), "{err:?}");

        // Valid JSON whose value would be quoted by serde: never echoed.
        std::fs::write(file.path(), r#""-----BEGIN PRIVATE KEY-----\nMIIsecret""#).unwrap();
        let err = key_file(file.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("not a service-account key object"), "{msg}");
        assert!(
            !msg.contains("MIIsecret") && !msg.contains("BEGIN"),
            "{msg}"
        );
        let file = variant(|m| {
            m.insert("client_email".into(), serde_json::json!(12345));
        });
        let err = key_file(file.path()).unwrap_err();
        assert!(!err.to_string().contains("12345"), "{err}");
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let err = key_file(Path::new("/nonexistent/dir/key.json")).unwrap_err();
        assert!(
            matches!(err, CredError::GcpFileUnreadable { .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("/nonexistent/dir/key.json"),
            "{err}"
        );
    }
}
