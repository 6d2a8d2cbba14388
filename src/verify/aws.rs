//! AWS ECR: `GetAuthorizationToken` with the `[default]` keys of the secret, as
//! `aws ecr get-login-password --region R` does in CI, then a registry login as user `AWS`.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::http::{Client, Reply};
use super::{Redactor, VerifyError, provider_reply, summary};

const TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The two keys of the `[default]` profile of an AWS credentials file.
pub(crate) struct AwsKeys {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

/// Reads `aws_access_key_id` and `aws_secret_access_key` of `[default]`, the profile CI's
/// `aws ecr get-login-password` (run without `--profile`) uses.
pub(crate) fn parse_credentials(bytes: &[u8]) -> Result<AwsKeys, VerifyError> {
    let bad = |reason: &str| VerifyError::BadSecret {
        reason: format!("the AWS credentials file {reason}"),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("is not UTF-8 text"))?;
    let mut in_default = false;
    let mut saw_default = false;
    let mut key_id: Option<String> = None;
    let mut secret: Option<Zeroizing<String>> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_default = section.trim() == "default";
            saw_default |= in_default;
            continue;
        }
        if !in_default {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => key_id = Some(v.trim().to_string()),
                "aws_secret_access_key" => secret = Some(Zeroizing::new(v.trim().to_string())),
                _ => {}
            }
        }
    }
    if !saw_default {
        return Err(bad("has no [default] profile"));
    }
    let access_key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad("has no aws_access_key_id under [default]"))?;
    let secret_access_key = secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("has no aws_secret_access_key under [default]"))?;
    Ok(AwsKeys {
        access_key_id,
        secret_access_key,
    })
}

/// The ECR API endpoint for `region`: `explicit`, else `AWS_ENDPOINT_URL_ECR`, else
/// `AWS_ENDPOINT_URL` (both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else
/// `https://api.ecr.REGION.amazonaws.com` (`.com.cn` for China regions). `env` looks up a
/// variable.
pub(crate) fn endpoint(
    region: &str,
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> String {
    service_endpoint("ECR", "api.ecr", region, explicit, env).0
}

/// An AWS service's endpoint for `region`: `explicit`, else `AWS_ENDPOINT_URL_<SERVICE>`, else
/// `AWS_ENDPOINT_URL` (both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else
/// `https://<host_prefix>.REGION.amazonaws.com/` (`.com.cn` for China regions); a bare
/// `scheme://host[:port]` gets the root path, which is what is signed. The second value says
/// whether it came from the environment.
fn service_endpoint(
    service: &str,
    host_prefix: &str,
    region: &str,
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> (String, bool) {
    let configured = || {
        let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if ignore {
            return None;
        }
        env(&format!("AWS_ENDPOINT_URL_{service}"))
            .filter(|v| !v.trim().is_empty())
            .or_else(|| env("AWS_ENDPOINT_URL").filter(|v| !v.trim().is_empty()))
    };
    let (url, from_env) = match explicit {
        Some(u) => (u.to_string(), false),
        None => match configured() {
            Some(u) => (u, true),
            None => {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                (format!("https://{host_prefix}.{region}.{suffix}/"), false)
            }
        },
    };
    let url = url.trim().to_string();
    let url = match url.split_once("://") {
        Some((_, rest)) if !rest.contains('/') => format!("{url}/"),
        _ => url,
    };
    (url, from_env)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenReply {
    authorization_data: Vec<AuthorizationData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizationData {
    authorization_token: Option<String>,
}

#[derive(Deserialize)]
struct AwsErrorReply {
    #[serde(rename = "__type")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// POSTs `body` to `endpoint_url` with `unsigned` headers, SigV4-signed with `keys` for
/// `service` (`ecr`, `sts`) in `region`.
fn signed_post(
    client: &Client,
    endpoint_url: &str,
    service: &str,
    region: &str,
    keys: &AwsKeys,
    unsigned: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, VerifyError> {
    let target = client.check_url(endpoint_url)?;
    let unsignable = |e: &dyn std::fmt::Display| VerifyError::BadSecret {
        reason: format!("the request could not be signed: {e}"),
    };
    let identity: Identity = Credentials::new(
        keys.access_key_id.as_str(),
        keys.secret_access_key.as_str(),
        None,
        None,
        "fioreg",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| unsignable(&e))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        endpoint_url,
        unsigned.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| VerifyError::BadInput {
        reason: format!(
            "the {} endpoint {endpoint_url} can't be used: {e}",
            service.to_ascii_uppercase()
        ),
    })?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| unsignable(&e))?
        .into_parts();
    let mut headers: Vec<(&str, &str)> = unsigned.to_vec();
    headers.extend(instructions.headers());
    client.post(&target, &headers, body)
}

/// Calls GetAuthorizationToken and returns the registry user and password it grants.
pub(crate) fn authorization_token(
    client: &Client,
    endpoint_url: &str,
    region: &str,
    keys: &AwsKeys,
    redactor: &mut Redactor,
) -> Result<(String, Zeroizing<String>), VerifyError> {
    let headers = [("content-type", CONTENT_TYPE), ("x-amz-target", TARGET)];
    let reply = signed_post(client, endpoint_url, "ecr", region, keys, &headers, b"{}")?;
    let what = format!("AWS (ecr:GetAuthorizationToken in {region} at {endpoint_url})");
    let reply = provider_reply(reply, endpoint_url, what, |body| {
        let parsed: AwsErrorReply = serde_json::from_str(body).ok()?;
        let kind = parsed.kind?;
        let kind = kind.rsplit('#').next().unwrap_or(&kind);
        let hint = match kind {
            "UnrecognizedClientException" => {
                " (AWS does not know this access key id: it was deleted, deactivated or mistyped)"
            }
            "InvalidSignatureException" => {
                " (the secret access key does not belong to this access key id)"
            }
            "AccessDeniedException" => {
                " (the IAM user needs ecr:GetAuthorizationToken and the pull actions)"
            }
            _ => "",
        };
        let message = parsed.message.unwrap_or_default();
        Some(format!("{kind}: {}{hint}", summary_text(&message)))
    })?;
    let odd = |detail: &str| VerifyError::protocol(endpoint_url, detail);
    let parsed: TokenReply = serde_json::from_str(&reply.body)
        .map_err(|_| odd("the answer holds no authorizationData"))?;
    let encoded = parsed
        .authorization_data
        .into_iter()
        .next()
        .and_then(|d| d.authorization_token)
        .map(Zeroizing::new)
        .ok_or_else(|| odd("the answer holds no authorizationToken"))?;
    redactor.add(&encoded);
    let decoded = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| odd("the authorizationToken is not base64"))?,
    );
    let (user, password) = std::str::from_utf8(&decoded)
        .ok()
        .and_then(|text| text.split_once(':'))
        .ok_or_else(|| odd("the authorizationToken is not USER:PASSWORD"))?;
    let password = Zeroizing::new(password.to_string());
    redactor.add(&password);
    Ok((user.to_string(), password))
}

/// The STS endpoint for `region`: `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL` (both ignored
/// when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else `https://sts.REGION.amazonaws.com/`.
/// The second value says whether it came from the environment.
pub(crate) fn sts_endpoint(region: &str, env: impl Fn(&str) -> Option<String>) -> (String, bool) {
    service_endpoint("STS", "sts", region, None, env)
}

/// Who an access key belongs to, from `sts:GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub arn: String,
    pub account: String,
}

fn xml_field<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&close)?;
    Some(body[start..start + len].trim())
}

/// Calls `sts:GetCallerIdentity` signed with `keys`: the ARN of the identity behind them.
pub(crate) fn caller_identity(
    client: &Client,
    endpoint_url: &str,
    region: &str,
    keys: &AwsKeys,
) -> Result<CallerIdentity, VerifyError> {
    let headers = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let reply = signed_post(client, endpoint_url, "sts", region, keys, &headers, body)?;
    let what = format!("AWS (sts:GetCallerIdentity at {endpoint_url})");
    let reply = provider_reply(reply, endpoint_url, what, |body| {
        let code = xml_field(body, "Code").filter(|c| !c.is_empty())?;
        let message = xml_field(body, "Message").unwrap_or("");
        Some(format!("{code}: {}", summary_text(message)))
    })?;
    match (
        xml_field(&reply.body, "Arn"),
        xml_field(&reply.body, "Account"),
    ) {
        (Some(arn), Some(account)) if !arn.is_empty() => Ok(CallerIdentity {
            arn: arn.to_string(),
            account: account.to_string(),
        }),
        _ => Err(VerifyError::protocol(
            endpoint_url,
            "the answer holds no Arn",
        )),
    }
}

fn summary_text(message: &str) -> String {
    let s = summary(message);
    s.strip_prefix(": ").unwrap_or(&s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_keys() {
        let keys = parse_credentials(
            b"[default]\naws_access_key_id = AKIAEXAMPLE000000001\naws_secret_access_key = s3cr3t/Key+\n",
        )
        .unwrap();
        assert_eq!(keys.access_key_id, "AKIAEXAMPLE000000001");
        assert_eq!(keys.secret_access_key.as_str(), "s3cr3t/Key+");

        let keys = parse_credentials(
            b"# c\n[other]\naws_access_key_id=AKIAOTHER\n\n[ default ]\naws_secret_access_key=x\naws_access_key_id=AKIADEF\n",
        )
        .unwrap();
        assert_eq!(keys.access_key_id, "AKIADEF");
        assert_eq!(keys.secret_access_key.as_str(), "x");
    }

    #[test]
    fn bad_files() {
        for (text, what) in [
            (
                &b"[ci]\naws_access_key_id = A\naws_secret_access_key = B\n"[..],
                "[default]",
            ),
            (
                b"[default]\naws_secret_access_key = B\n",
                "aws_access_key_id",
            ),
            (
                b"[default]\naws_access_key_id = A\n",
                "aws_secret_access_key",
            ),
            (b"\xff", "UTF-8"),
        ] {
            let err = parse_credentials(text).err().unwrap();
            assert!(matches!(err, VerifyError::BadSecret { .. }), "{err:?}");
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn sts_endpoints_and_answers() {
        let none = |_: &str| None;
        assert_eq!(
            sts_endpoint("eu-west-1", none),
            ("https://sts.eu-west-1.amazonaws.com/".to_string(), false)
        );
        let env = |k: &str| (k == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:5".to_string());
        assert_eq!(
            sts_endpoint("eu-west-1", env),
            ("http://127.0.0.1:5/".to_string(), true)
        );
        let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>A</UserId>\
                    <Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/ci</Arn>\
                    </GetCallerIdentityResult></GetCallerIdentityResponse>";
        assert_eq!(
            xml_field(body, "Arn"),
            Some("arn:aws:iam::123456789012:user/ci")
        );
        assert_eq!(xml_field(body, "Missing"), None);
    }

    #[test]
    fn endpoints() {
        let none = |_: &str| None;
        assert_eq!(
            endpoint("us-east-2", None, none),
            "https://api.ecr.us-east-2.amazonaws.com/"
        );
        assert_eq!(
            endpoint("cn-north-1", None, none),
            "https://api.ecr.cn-north-1.amazonaws.com.cn/"
        );
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_string()),
            _ => None,
        };
        assert_eq!(endpoint("us-east-2", None, env), "http://127.0.0.1:4566/");
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_string()),
            "AWS_ENDPOINT_URL_ECR" => Some("http://127.0.0.1:9999/ecr".to_string()),
            _ => None,
        };
        assert_eq!(
            endpoint("us-east-2", None, env),
            "http://127.0.0.1:9999/ecr"
        );
        assert_eq!(
            endpoint("us-east-2", Some("http://[::1]:1"), env),
            "http://[::1]:1/"
        );
        let ignored = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_string()),
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            _ => None,
        };
        assert_eq!(
            endpoint("eu-west-1", None, ignored),
            "https://api.ecr.eu-west-1.amazonaws.com/"
        );
    }
}
