//! A loopback stand-in for the two Google APIs `gcloud` calls when fioreg creates a pull-only
//! service account: IAM v1 (service accounts and their keys) and Artifact Registry v1
//! (repositories and their IAM policies), with the documented REST shapes:
//! - ServiceAccount `{name, projectId, uniqueId, email, displayName, etag, oauth2ClientId}`
//! - ServiceAccountKey `{name, privateKeyType, privateKeyData (base64 of the key file),
//!   validAfterTime, validBeforeTime, keyAlgorithm, keyOrigin, keyType}`; `keys.list` gives
//!   `{keys: [...]}` without privateKeyData
//! - Policy `{version, etag, bindings: [{role, members}]}`; `setIamPolicy` takes `{policy}`
//! - errors `{error: {code, message, status, details}}`; key creation under the organisation
//!   policy `iam.disableServiceAccountKeyCreation` is 400 FAILED_PRECONDITION with a
//!   PreconditionFailure violation of type `constraints/iam.disableServiceAccountKeyCreation`.
//!
//! gcloud reaches it through `api_endpoint_overrides/iam` and `.../artifactregistry` and
//! authenticates with `auth/access_token_file` (env CLOUDSDK_AUTH_ACCESS_TOKEN_FILE): every
//! request must carry `Authorization: Bearer <TOKEN>`.

#![allow(dead_code)]

use super::http_stub::{Request, Response, Stub};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "ya29.test-admin-token";

#[derive(Default)]
pub struct State {
    /// Repository resource names that exist (`projects/P/locations/L/repositories/R`).
    pub repositories: BTreeSet<String>,
    /// Email -> ServiceAccount.
    pub accounts: BTreeMap<String, Value>,
    /// Email -> keys (id, key file bytes).
    pub keys: BTreeMap<String, Vec<(String, Vec<u8>)>>,
    /// Repository name -> Policy.
    pub policies: BTreeMap<String, Value>,
    /// Refuse key creation as the organisation policy does.
    pub keys_forbidden: bool,
    /// Issue new keys naming this account as their client_email instead of the right one.
    pub keys_of: Option<String>,
    next: u64,
}

pub struct GcpApi {
    pub stub: Stub,
    pub state: Arc<Mutex<State>>,
}

fn error(code: u16, status: &str, message: &str) -> Response {
    Response::json(
        code,
        json!({"error": {"code": code, "message": message, "status": status}}),
    )
}

/// A key file like the ones Google issues, for `email`, with the fixture's RSA key.
fn key_file(email: &str, project: &str, id: &str) -> Vec<u8> {
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gcp/sa-key.json"
    ))
    .expect("fixture key");
    let mut v: Value = serde_json::from_str(&fixture).expect("fixture json");
    v["client_email"] = json!(email);
    v["project_id"] = json!(project);
    v["private_key_id"] = json!(id);
    serde_json::to_vec_pretty(&v).expect("key json")
}

impl GcpApi {
    pub fn start() -> GcpApi {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let stub = Stub::start(move |req| {
            let mut st = shared.lock().expect("state");
            handle(&mut st, req)
        });
        GcpApi { stub, state }
    }

    pub fn add_repository(&self, project: &str, location: &str, repo: &str) {
        self.state
            .lock()
            .expect("state")
            .repositories
            .insert(format!(
                "projects/{project}/locations/{location}/repositories/{repo}"
            ));
    }

    pub fn key_ids(&self, email: &str) -> Vec<String> {
        let st = self.state.lock().expect("state");
        st.keys
            .get(email)
            .map(|k| k.iter().map(|(id, _)| id.clone()).collect())
            .unwrap_or_default()
    }

    pub fn key_bytes(&self, email: &str, id: &str) -> Option<Vec<u8>> {
        let st = self.state.lock().expect("state");
        st.keys
            .get(email)?
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, b)| b.clone())
    }
}

fn handle(st: &mut State, req: &Request) -> Response {
    if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        );
    }
    let path = req.path.trim_start_matches('/');
    let Some(path) = path.strip_prefix("v1/") else {
        return error(404, "NOT_FOUND", "unknown API version");
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let parts: Vec<&str> = path.split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        // Artifact Registry: repositories and their IAM policies.
        ("GET", ["projects", p, "locations", l, "repositories", rest]) => {
            let (repo, verb) = rest.split_once(':').unwrap_or((rest, ""));
            let name = format!("projects/{p}/locations/{l}/repositories/{repo}");
            if !st.repositories.contains(&name) {
                return error(404, "NOT_FOUND", "Requested entity was not found.");
            }
            match verb {
                "" => Response::json(
                    200,
                    json!({"name": name, "format": "DOCKER", "mode": "STANDARD_REPOSITORY",
                           "createTime": "2026-01-01T00:00:00Z", "updateTime": "2026-01-01T00:00:00Z"}),
                ),
                "getIamPolicy" => Response::json(
                    200,
                    st.policies
                        .get(&name)
                        .cloned()
                        .unwrap_or_else(|| json!({"version": 1, "etag": "ACAB"})),
                ),
                _ => error(404, "NOT_FOUND", "unknown method"),
            }
        }
        ("POST", ["projects", p, "locations", l, "repositories", rest])
            if rest.ends_with(":setIamPolicy") =>
        {
            let repo = rest.trim_end_matches(":setIamPolicy");
            let name = format!("projects/{p}/locations/{l}/repositories/{repo}");
            if !st.repositories.contains(&name) {
                return error(404, "NOT_FOUND", "Requested entity was not found.");
            }
            let mut policy = body["policy"].clone();
            st.next += 1;
            policy["etag"] = json!(format!("BwY{}", st.next));
            st.policies.insert(name, policy.clone());
            Response::json(200, policy)
        }
        // IAM: service accounts.
        ("POST", ["projects", p, "serviceAccounts"]) => {
            let id = body["accountId"].as_str().unwrap_or_default();
            let email = format!("{id}@{p}.iam.gserviceaccount.com");
            if st.accounts.contains_key(&email) {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    &format!("Service account {id} already exists within project projects/{p}."),
                );
            }
            st.next += 1;
            let sa = json!({
                "name": format!("projects/{p}/serviceAccounts/{email}"),
                "projectId": p,
                "uniqueId": format!("10000000000000000{:04}", st.next),
                "email": email,
                "displayName": body["serviceAccount"]["displayName"],
                "etag": "MDEwMjE5MjA=",
                "oauth2ClientId": format!("10000000000000000{:04}", st.next),
            });
            st.accounts.insert(email, sa.clone());
            Response::json(200, sa)
        }
        ("GET", ["projects", _, "serviceAccounts", email]) => match st.accounts.get(*email) {
            Some(sa) => Response::json(200, sa.clone()),
            None => error(404, "NOT_FOUND", "Unknown service account"),
        },
        ("DELETE", ["projects", _, "serviceAccounts", email]) => {
            if st.accounts.remove(*email).is_none() {
                return error(404, "NOT_FOUND", "Unknown service account");
            }
            st.keys.remove(*email);
            Response::json(200, json!({}))
        }
        // IAM: keys.
        ("POST", ["projects", _, "serviceAccounts", email, "keys"]) => {
            let Some(sa) = st.accounts.get(*email).cloned() else {
                return error(404, "NOT_FOUND", "Unknown service account");
            };
            if st.keys_forbidden {
                return Response::json(
                    400,
                    json!({"error": {
                        "code": 400,
                        "message": "Key creation is not allowed on this service account.",
                        "status": "FAILED_PRECONDITION",
                        "details": [{
                            "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                            "violations": [{
                                "type": "constraints/iam.disableServiceAccountKeyCreation",
                                "subject": format!("projects/{}?configvalue={email}", sa["projectId"].as_str().unwrap_or_default()),
                                "description": "Key creation is not allowed on this service account."
                            }]
                        }]
                    }}),
                );
            }
            st.next += 1;
            let id = format!("{:040x}", 0xfeed0000u64 + st.next);
            let project = sa["projectId"].as_str().unwrap_or_default().to_string();
            let file = key_file(st.keys_of.as_deref().unwrap_or(email), &project, &id);
            let data = base64::engine::general_purpose::STANDARD.encode(&file);
            st.keys
                .entry(email.to_string())
                .or_default()
                .push((id.clone(), file));
            Response::json(
                200,
                json!({
                    "name": format!("projects/{project}/serviceAccounts/{email}/keys/{id}"),
                    "privateKeyType": "TYPE_GOOGLE_CREDENTIALS_FILE",
                    "privateKeyData": data,
                    "validAfterTime": "2026-12-01T00:00:00Z",
                    "validBeforeTime": "9999-12-31T23:59:59Z",
                    "keyAlgorithm": "KEY_ALG_RSA_2048",
                    "keyOrigin": "GOOGLE_PROVIDED",
                    "keyType": "USER_MANAGED"
                }),
            )
        }
        ("GET", ["projects", _, "serviceAccounts", email, "keys"]) => {
            let Some(sa) = st.accounts.get(*email) else {
                return error(404, "NOT_FOUND", "Unknown service account");
            };
            let project = sa["projectId"].as_str().unwrap_or_default();
            let keys: Vec<Value> = st
                .keys
                .get(*email)
                .map(|k| {
                    k.iter()
                        .map(|(id, _)| {
                            json!({
                                "name": format!("projects/{project}/serviceAccounts/{email}/keys/{id}"),
                                "validAfterTime": "2026-12-01T00:00:00Z",
                                "validBeforeTime": "9999-12-31T23:59:59Z",
                                "keyAlgorithm": "KEY_ALG_RSA_2048",
                                "keyOrigin": "GOOGLE_PROVIDED",
                                "keyType": "USER_MANAGED"
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            Response::json(200, json!({"keys": keys}))
        }
        ("DELETE", ["projects", _, "serviceAccounts", email, "keys", id]) => {
            let keys = st.keys.entry(email.to_string()).or_default();
            let before = keys.len();
            keys.retain(|(k, _)| k != id);
            if keys.len() == before {
                return error(404, "NOT_FOUND", "Unknown key");
            }
            Response::json(200, json!({}))
        }
        _ => error(
            404,
            "NOT_FOUND",
            "The requested URL was not found on this server.",
        ),
    }
}
