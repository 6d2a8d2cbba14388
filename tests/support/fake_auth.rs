//! Loopback stand-ins for the token services a login test talks to. Each one really checks
//! what it is given, the way the real service would:
//!
//! - [`registry_token_server`]: a Docker registry token server (Bearer realm). It checks the
//!   Basic credentials and issues RS256 JWTs signed with the test key, with an `x5c` header the
//!   registry verifies against its `rootcertbundle`; each user gets all or none of the
//!   repository actions asked for.
//! - [`google_token_endpoint`]: an OAuth token endpoint for service-account keys. It checks the
//!   JWT-bearer assertion's RS256 signature with the public half of the expected key, and its
//!   claims, before issuing an access token.
//! - [`ecr_endpoint`]: ECR's GetAuthorizationToken. It recomputes the SigV4 signature from the
//!   request and the known secret access key before returning an authorization token.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};

use super::http_stub::{Request, Response, Stub};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/verify")
        .join(name)
}

/// The DER of the first PEM item of `pem` (a certificate or a private key).
pub fn pem_der(pem: &[u8]) -> Vec<u8> {
    match ureq::tls::parse_pem(pem).next() {
        Some(Ok(ureq::tls::PemItem::Certificate(c))) => c.der().to_vec(),
        Some(Ok(ureq::tls::PemItem::PrivateKey(k))) => k.der().to_vec(),
        _ => panic!("not a PEM certificate or key"),
    }
}

pub fn rsa_key(pem: &[u8]) -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(&pem_der(pem)).expect("an RSA PKCS#8 key")
}

fn sign_rs256(key: &RsaKeyPair, input: &str) -> String {
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("sign");
    URL_SAFE_NO_PAD.encode(sig)
}

// ---------------------------------------------------------------------------------------------
// Docker registry token server

/// What a token-server user may do with repositories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Every action asked for.
    All,
    /// No repository action at all (a login-only token).
    Nothing,
    /// Every action asked for, on these repositories only.
    Only(&'static [&'static str]),
}

pub const TOKEN_SERVICE: &str = "fioreg-test-registry";
pub const TOKEN_ISSUER: &str = "fioreg-test-issuer";

/// The signing certificate the registry must trust (`rootcertbundle`).
pub fn token_cert_path() -> std::path::PathBuf {
    fixture("token-cert.pem")
}

/// Starts a token server at `http://127.0.0.1:PORT/token` for `users` (user, password, grant).
pub fn registry_token_server(users: &[(&str, &str, Grant)]) -> Stub {
    token_server(users, None, Stub::start)
}

/// A token server's request handler.
pub type Handler = Box<dyn Fn(&Request) -> Response + Send + Sync>;

/// [`registry_token_server`] that also answers anonymous requests (no credentials), as Docker
/// Hub does: 200 with a token that grants `pull` on the repositories of `public` and nothing on
/// any other (so the registry then refuses a private repository with 401). `start` starts the
/// stub ([`Stub::start`], or a stub with other limits for benchmarks).
pub fn registry_token_server_with_public(
    users: &[(&str, &str, Grant)],
    public: &[&str],
    start: fn(Handler) -> Stub,
) -> Stub {
    let public: Vec<String> = public.iter().map(|s| s.to_string()).collect();
    token_server(users, Some(public), start)
}

fn token_server<F>(users: &[(&str, &str, Grant)], public: Option<Vec<String>>, start: F) -> Stub
where
    F: FnOnce(Handler) -> Stub,
{
    let users: HashMap<String, (String, Grant)> = users
        .iter()
        .map(|(u, p, g)| (u.to_string(), (p.to_string(), *g)))
        .collect();
    let key = rsa_key(&std::fs::read(fixture("token-key.pem")).expect("token key"));
    let cert = pem_der(&std::fs::read(token_cert_path()).expect("token cert"));
    let x5c = STANDARD.encode(cert);
    let counter = std::sync::atomic::AtomicU64::new(0);
    start(Box::new(move |req: &Request| {
        let denied = |why: &str| {
            Response::json(
                401,
                serde_json::json!({"errors": [{"code": "UNAUTHORIZED", "message": why}]}),
            )
        };
        if req.method != "GET" || req.path != "/token" {
            return Response::json(404, serde_json::json!({"error": "not found"}));
        }
        if req.query_one("service") != Some(TOKEN_SERVICE) {
            return Response::json(400, serde_json::json!({"error": "unknown service"}));
        }
        let (user, grant) = match (req.basic_auth(), &public) {
            (Some((user, password)), _) => match users.get(&user) {
                Some((p, g)) if *p == password => (user, *g),
                _ => return denied("incorrect username or password"),
            },
            (None, Some(_)) => (String::new(), Grant::Nothing),
            (None, None) => return denied("authentication required"),
        };
        let mut access = Vec::new();
        for scope in req.query_all("scope") {
            let parts: Vec<&str> = scope.split(':').collect();
            let allowed = match grant {
                Grant::All => true,
                Grant::Nothing => false,
                Grant::Only(repos) => repos.contains(&parts.get(1).copied().unwrap_or_default()),
            };
            let anonymous_pull = user.is_empty()
                && public
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|r| Some(r.as_str()) == parts.get(1).copied()));
            if parts.len() == 3 && parts[0] == "repository" && anonymous_pull {
                access.push(serde_json::json!({
                    "type": "repository", "name": parts[1], "actions": ["pull"]
                }));
            } else if parts.len() == 3 && parts[0] == "repository" && allowed {
                let actions: Vec<&str> = parts[2].split(',').collect();
                access.push(serde_json::json!({
                    "type": "repository", "name": parts[1], "actions": actions
                }));
            }
        }
        let t = now();
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
        let claims = serde_json::json!({
            "iss": TOKEN_ISSUER, "sub": user, "aud": TOKEN_SERVICE,
            "exp": t + 300, "nbf": t - 10, "iat": t, "jti": format!("fioreg-test-{n}"),
            "access": access,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let jwt = format!("{input}.{}", sign_rs256(&key, &input));
        Response::json(
            200,
            serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": 300}),
        )
    }))
}

// ---------------------------------------------------------------------------------------------
// Google OAuth token endpoint

/// The access token the Google stand-in issues.
pub const GOOGLE_ACCESS_TOKEN: &str = "ya29.fioreg-test-access-token-0123456789";

/// Starts an endpoint at `http://127.0.0.1:PORT/token` that accepts JWT-bearer assertions from
/// `client_email` signed by the key whose public half (RSAPublicKey DER) is `public_key`.
/// Successful exchanges are counted in the stub's requests (status 200 answers).
pub fn google_token_endpoint(client_email: &str, public_key: Vec<u8>) -> Stub {
    let email = client_email.to_string();
    // The endpoint's own URL is only known once it listens: `aud` is checked against the
    // `Host` header the client sent.
    Stub::start(move |req: &Request| {
        let invalid = |desc: &str| {
            Response::json(
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": desc}),
            )
        };
        if req.method != "POST" || req.path != "/token" {
            return Response::json(404, serde_json::json!({"error": "not_found"}));
        }
        if req.header("content-type") != Some("application/x-www-form-urlencoded") {
            return Response::json(400, serde_json::json!({"error": "invalid_request"}));
        }
        let form: HashMap<String, String> = req.form().into_iter().collect();
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Response::json(400, serde_json::json!({"error": "unsupported_grant_type"}));
        }
        let Some(assertion) = form.get("assertion") else {
            return invalid("Missing assertion.");
        };
        let parts: Vec<&str> = assertion.split('.').collect();
        if parts.len() != 3 {
            return invalid("Invalid JWT.");
        }
        let decode = |s: &str| -> Option<serde_json::Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
        };
        let (Some(header), Some(claims), Ok(sig)) = (
            decode(parts[0]),
            decode(parts[1]),
            URL_SAFE_NO_PAD.decode(parts[2]),
        ) else {
            return invalid("Invalid JWT.");
        };
        if header["alg"] != "RS256" {
            return invalid("Invalid JWT: alg must be RS256.");
        }
        let signed = format!("{}.{}", parts[0], parts[1]);
        if UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public_key)
            .verify(signed.as_bytes(), &sig)
            .is_err()
        {
            return invalid("Invalid JWT Signature.");
        }
        let host = req.header("host").unwrap_or_default();
        let me = format!("http://{host}/token");
        let t = now();
        if claims["iss"] != email.as_str() {
            return invalid("Invalid issuer.");
        }
        if claims["aud"] != me.as_str() {
            return invalid("Invalid JWT: aud is not this token endpoint.");
        }
        let (Some(iat), Some(exp)) = (claims["iat"].as_u64(), claims["exp"].as_u64()) else {
            return invalid("Invalid JWT: iat/exp missing.");
        };
        if exp <= t || iat > t + 60 || exp - iat > 3600 {
            return invalid(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
            );
        }
        if !claims["scope"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .any(|s| s == "https://www.googleapis.com/auth/cloud-platform")
        {
            return invalid("Invalid scope.");
        }
        Response::json(
            200,
            serde_json::json!({
                "access_token": GOOGLE_ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"
            }),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// ECR GetAuthorizationToken

/// The registry password the ECR stand-in hands out (as `AWS:` + this, base64).
pub const ECR_PASSWORD: &str = "ecr-test-password-eyJwYXlsb2FkIjoiZmlvcmVnIn0";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&k, data.as_bytes()).as_ref().to_vec()
}

/// What the ECR stand-in checked about the last signed request it accepted.
fn check_sigv4(
    req: &Request,
    keys: &HashMap<String, String>,
    region: &str,
) -> Result<String, (u16, &'static str, String)> {
    let err = |status, kind, msg: &str| Err((status, kind, msg.to_string()));
    let Some(auth) = req.header("authorization") else {
        return err(
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    };
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return err(400, "IncompleteSignatureException", "Unsupported algorithm");
    };
    let fields: HashMap<&str, &str> = rest
        .split(',')
        .filter_map(|f| f.trim().split_once('='))
        .collect();
    let (Some(credential), Some(signed_headers), Some(signature)) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
    ) else {
        return err(400, "IncompleteSignatureException", "Incomplete signature");
    };
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[3] != "ecr" || scope[4] != "aws4_request" {
        return err(400, "IncompleteSignatureException", "Bad credential scope");
    }
    let (key_id, date, signed_region) = (scope[0], scope[1], scope[2]);
    let Some(secret) = keys.get(key_id) else {
        return err(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    };
    if signed_region != region {
        return err(
            400,
            "InvalidSignatureException",
            "Credential should be scoped to a valid region.",
        );
    }
    let Some(amz_date) = req.header("x-amz-date") else {
        return err(400, "IncompleteSignatureException", "Missing X-Amz-Date");
    };
    if !amz_date.starts_with(date) {
        return err(400, "InvalidSignatureException", "Date mismatch");
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    for required in ["host", "x-amz-date", "x-amz-target", "content-type"] {
        if !names.contains(&required) {
            return err(
                400,
                "InvalidSignatureException",
                &format!("{required} is not signed"),
            );
        }
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<&str> = req
            .headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let canonical_query = {
        let mut q: Vec<String> = req.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        q.sort();
        q.join("&")
    };
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        canonical_query,
        canonical_headers,
        signed_headers,
        sha256_hex(&req.body)
    );
    let scope_str = format!("{date}/{signed_region}/ecr/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope_str}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac(&k_date, signed_region);
    let k_service = hmac(&k_region, "ecr");
    let k_signing = hmac(&k_service, "aws4_request");
    let expected = hex(&hmac(&k_signing, &string_to_sign));
    if expected != *signature {
        return err(
            400,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        );
    }
    Ok(key_id.to_string())
}

/// Starts an ECR API stand-in at `http://127.0.0.1:PORT/` that knows `keys` (access key id,
/// secret access key) in `region`. Successful calls answer 200 (see the stub's requests).
pub fn ecr_endpoint(keys: &[(&str, &str)], region: &str) -> Stub {
    let keys: HashMap<String, String> = keys
        .iter()
        .map(|(k, s)| (k.to_string(), s.to_string()))
        .collect();
    let region = region.to_string();
    Stub::start(move |req: &Request| {
        let aws_error = |status: u16, kind: &str, msg: &str| {
            Response::json(status, serde_json::json!({"__type": kind, "message": msg}))
        };
        if req.method != "POST" || req.path != "/" {
            return aws_error(404, "UnknownOperationException", "not found");
        }
        if req.header("x-amz-target")
            != Some("AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
        {
            return aws_error(400, "UnknownOperationException", "Unknown operation");
        }
        if req.header("content-type") != Some("application/x-amz-json-1.1") {
            return aws_error(400, "SerializationException", "bad content type");
        }
        match check_sigv4(req, &keys, &region) {
            Err((status, kind, msg)) => aws_error(status, kind, &msg),
            Ok(_key_id) => {
                let token = STANDARD.encode(format!("AWS:{ECR_PASSWORD}"));
                Response::json(
                    200,
                    serde_json::json!({"authorizationData": [{
                        "authorizationToken": token,
                        "expiresAt": (now() + 43200) as f64,
                        "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-2.amazonaws.com"
                    }]}),
                )
            }
        }
    })
}

/// The RSAPublicKey DER of a PKCS#8 PEM key, for [`google_token_endpoint`].
pub fn public_key_of(pem: &[u8]) -> Vec<u8> {
    rsa_key(pem).public_key().as_ref().to_vec()
}
