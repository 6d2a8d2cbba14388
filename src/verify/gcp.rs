//! Google Artifact Registry: trade the service-account key for an OAuth access token at the
//! key's own `token_uri` (the JWT-bearer grant, RFC 7523, signed RS256 with the key), then log
//! in to `LOCATION-docker.pkg.dev` as `oauth2accesstoken` with that token, as
//! docker-credential-gcr does in CI.
//!
//! gcp_auth would do the exchange too, but only inside a Tokio runtime; signing the assertion
//! here with ring (which gcp_auth already uses) keeps fioreg free of an async runtime.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::http::Client;
use super::{Redactor, VerifyError, provider_reply};

/// The user docker logs in as with a Google access token.
pub(crate) const TOKEN_USER: &str = "oauth2accesstoken";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

#[derive(Deserialize)]
struct Key {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl Drop for Key {
    fn drop(&mut self) {
        if let Some(k) = self.private_key.as_mut() {
            k.zeroize();
        }
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

fn bad(reason: &str) -> VerifyError {
    VerifyError::BadSecret {
        reason: format!("the service-account key {reason}"),
    }
}

/// The signed JWT assertion for `key`, valid for an hour from `now` (seconds since the epoch).
fn assertion(
    client_email: &str,
    key_id: Option<&str>,
    token_uri: &str,
    pkcs8: &[u8],
    now: u64,
) -> Result<String, VerifyError> {
    let mut header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
    if let Some(kid) = key_id.filter(|k| !k.is_empty()) {
        header["kid"] = serde_json::Value::String(kid.to_string());
    }
    let claims = serde_json::json!({
        "iss": client_email,
        "scope": SCOPE,
        "aud": token_uri,
        "iat": now,
        "exp": now + 3600,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let pair = RsaKeyPair::from_pkcs8(pkcs8)
        .map_err(|e| bad(&format!("has a private_key that is not an RSA key ({e})")))?;
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| bad("could not sign the token request"))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(&signature)
    ))
}

/// Exchanges the key (the secret's bytes) for an access token.
pub(crate) fn access_token(
    client: &Client,
    secret: &[u8],
    redactor: &mut Redactor,
) -> Result<Zeroizing<String>, VerifyError> {
    let key: Key = serde_json::from_slice(secret).map_err(|_| bad("is not JSON"))?;
    if key.kind.as_deref() != Some("service_account") {
        return Err(bad("is not of type service_account"));
    }
    let client_email = key
        .client_email
        .as_deref()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| bad("has no client_email"))?;
    let token_uri = key
        .token_uri
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("has no token_uri"))?;
    let pem = key
        .private_key
        .as_deref()
        .ok_or_else(|| bad("has no private_key"))?;
    let pkcs8 = ureq::tls::parse_pem(pem.as_bytes())
        .find_map(|item| match item {
            Ok(ureq::tls::PemItem::PrivateKey(k)) => Some(Zeroizing::new(k.der().to_vec())),
            _ => None,
        })
        .ok_or_else(|| bad("has a private_key that is not a PEM private key"))?;

    let target = client.check_url(token_uri)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let jwt = Zeroizing::new(assertion(
        client_email,
        key.private_key_id.as_deref(),
        token_uri,
        &pkcs8,
        now,
    )?);
    redactor.add(&jwt);
    let form = Zeroizing::new(format!(
        "grant_type={}&assertion={}",
        form_encode(GRANT_TYPE),
        form_encode(&jwt)
    ));
    let reply = client.post(
        &target,
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )?;
    let what = format!("Google's token endpoint ({token_uri}) for {client_email}");
    let reply = provider_reply(reply, token_uri, what, |body| {
        let Ok(OAuthError {
            error: Some(error),
            error_description,
        }) = serde_json::from_str::<OAuthError>(body)
        else {
            return None;
        };
        let hint = if error == "invalid_grant" {
            " (the key was deleted or disabled, or its service account no longer exists)"
        } else {
            ""
        };
        Some(match error_description.filter(|d| !d.is_empty()) {
            Some(d) => format!("{error}: {}{hint}", d.trim()),
            None => format!("{error}{hint}"),
        })
    })?;
    let odd = |detail: &str| VerifyError::protocol(token_uri, detail);
    let parsed: TokenReply = serde_json::from_str(&reply.body)
        .map_err(|_| odd("the answer is not a JSON token response"))?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .map(Zeroizing::new)
        .ok_or_else(|| odd("the answer holds no access_token"))?;
    redactor.add(&token);
    Ok(token)
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    const KEY: &str = include_str!("../../tests/fixtures/gcp/sa-key.json");

    #[test]
    fn assertion_is_a_verifiable_rs256_jwt() {
        let key: serde_json::Value = serde_json::from_str(KEY).unwrap();
        let pem = key["private_key"].as_str().unwrap();
        let der = match ureq::tls::parse_pem(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
        {
            ureq::tls::PemItem::PrivateKey(k) => k.der().to_vec(),
            _ => panic!("not a key"),
        };
        let jwt = assertion(
            "ci@p.iam.gserviceaccount.com",
            Some("kid1"),
            "https://oauth2.googleapis.com/token",
            &der,
            1_000,
        )
        .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], "kid1");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "ci@p.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(claims["exp"], 4_600);
        let public = RsaKeyPair::from_pkcs8(&der)
            .unwrap()
            .public_key()
            .as_ref()
            .to_vec();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
            .verify(
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .unwrap();
    }

    #[test]
    fn malformed_keys_are_bad_secrets() {
        let client = Client::new(true, None, std::time::Duration::from_secs(1)).unwrap();
        let mut r = Redactor::default();
        for (text, what) in [
            ("nope", "not JSON"),
            (r#"{"type":"authorized_user"}"#, "service_account"),
            (
                r#"{"type":"service_account","token_uri":"https://x/t","private_key":"k"}"#,
                "client_email",
            ),
            (
                r#"{"type":"service_account","client_email":"a@b","private_key":"k"}"#,
                "token_uri",
            ),
            (
                r#"{"type":"service_account","client_email":"a@b","token_uri":"https://x/t","private_key":"garbage"}"#,
                "not a PEM private key",
            ),
        ] {
            let err = access_token(&client, text.as_bytes(), &mut r)
                .err()
                .unwrap();
            assert!(matches!(err, VerifyError::BadSecret { .. }), "{err:?}");
            assert!(err.to_string().contains(what), "{what}: {err}");
        }
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b+c/d=e~"), "a%20b%2Bc%2Fd%3De%7E");
        assert_eq!(
            form_encode(GRANT_TYPE),
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        );
    }
}
