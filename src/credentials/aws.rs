//! AWS: one profile's static keys, rewritten as a credentials file with a single `[default]`
//! section.
//!
//! CI writes the `aws_creds_secret_name` secret verbatim to `~/.aws/credentials` and runs
//! `aws ecr get-login-password` without `--profile`, so the keys must sit under `[default]`.
//! Uploading a whole personal credentials file (all profiles) would leak every other key, so only
//! the two keys of the chosen profile are copied: never other profiles, region or other settings.
//!
//! Profiles are read through aws-config (`aws_config::profile::load`), which honours
//! `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, `HOME` and `AWS_PROFILE` exactly like the AWS
//! CLI and SDKs.

use std::collections::HashMap;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use aws_config::profile::{Profile, ProfileSet};
use zeroize::Zeroize;

use super::CredError;
use crate::secret::Secret;

const KEY_ID: &str = "aws_access_key_id";
const SECRET_KEY: &str = "aws_secret_access_key";
const SESSION_TOKEN: &str = "aws_session_token";

/// What [`list_profiles`] shows about one profile; never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileInfo {
    /// The profile name as the AWS CLI knows it (`default`, `ci-pull`, ...).
    pub name: String,
    /// `AKIA••••0001`: the first 4 and last 4 characters of the access key id (all hidden when
    /// the id is shorter than 12 characters); `None` when the profile has no access key id.
    pub access_key_id_masked: Option<String>,
    /// Both `aws_access_key_id` and `aws_secret_access_key` are set and non-empty.
    pub has_keys: bool,
    /// `aws_session_token` is set: the keys are temporary and [`credentials_for`] refuses them.
    pub session_token: bool,
    /// The profile is `default`, which is usually the user's own (personal, broad) identity.
    pub looks_personal: bool,
}

/// Where profiles come from: the real process environment and files, or a fake for tests.
pub struct ProfileSource {
    /// `None`: the real process environment; `Some`: a fake environment.
    env: Option<HashMap<String, String>>,
    /// Keeps the fake's files alive as long as the source.
    _dir: Option<tempfile::TempDir>,
}

impl fmt::Debug for ProfileSource {
    // The fake environment may hold anything a test put there: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self._dir {
            None => f.write_str("ProfileSource::real"),
            Some(dir) => write!(f, "ProfileSource::from_files({})", dir.path().display()),
        }
    }
}

/// One of the two shared files, resolved the way aws-config resolves it.
struct SharedFile {
    /// `credentials` or `config`.
    what: &'static str,
    env_var: &'static str,
    path: PathBuf,
    /// The path came from `env_var` rather than the default `~/.aws/...`.
    overridden: bool,
}

impl ProfileSource {
    /// The real environment: `~/.aws/credentials` and `~/.aws/config`, or the files named by
    /// `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`; `AWS_PROFILE` picks the default profile.
    pub fn real() -> Self {
        ProfileSource {
            env: None,
            _dir: None,
        }
    }

    /// A fake for tests: `credentials` and `config` become `$HOME/.aws/credentials` and
    /// `$HOME/.aws/config` in a fresh temporary directory (a `None` file does not exist), and
    /// `env` is the whole process environment seen by the lookup (nothing is inherited from the
    /// real one). `HOME` defaults to the temporary directory; `env` may override it, or set
    /// `AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE` or `AWS_CONFIG_FILE`.
    pub fn from_files(
        credentials: Option<String>,
        config: Option<String>,
        env: &[(&str, &str)],
    ) -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let aws_dir = dir.path().join(".aws");
        std::fs::create_dir(&aws_dir)?;
        if let Some(text) = credentials {
            std::fs::write(aws_dir.join("credentials"), text)?;
        }
        if let Some(text) = config {
            std::fs::write(aws_dir.join("config"), text)?;
        }
        let mut vars: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        vars.entry("HOME".to_string())
            .or_insert_with(|| dir.path().to_string_lossy().into_owned());
        Ok(ProfileSource {
            env: Some(vars),
            _dir: Some(dir),
        })
    }

    /// An environment variable as aws-config sees it (non-UTF-8 counts as unset, like
    /// `std::env::var`).
    fn var(&self, name: &str) -> Option<String> {
        match &self.env {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).cloned(),
        }
    }

    fn home(&self) -> Option<String> {
        if let Some(home) = self.var("HOME") {
            return Some(home);
        }
        if cfg!(windows) {
            if let Some(home) = self.var("USERPROFILE") {
                return Some(home);
            }
            if let (Some(drive), Some(path)) = (self.var("HOMEDRIVE"), self.var("HOMEPATH")) {
                return Some(drive + &path);
            }
        }
        None
    }

    /// `~` expansion as aws-config does it: only a leading `~` component.
    fn expand_home(&self, raw: &str) -> PathBuf {
        let path = Path::new(raw);
        let mut components = path.components();
        match (components.next(), self.home()) {
            (Some(Component::Normal(first)), Some(home)) if first == "~" => {
                let mut expanded = PathBuf::from(home);
                expanded.extend(components);
                expanded
            }
            _ => path.to_path_buf(),
        }
    }

    fn shared_file(&self, what: &'static str, env_var: &'static str) -> SharedFile {
        let (raw, overridden) = match self.var(env_var) {
            Some(path) => (path, true),
            None => (format!("~/.aws/{what}"), false),
        };
        SharedFile {
            what,
            env_var,
            path: self.expand_home(&raw),
            overridden,
        }
    }

    /// aws-config silently treats an unreadable or non-UTF-8 shared file as empty; check first
    /// so the user hears about it. Returns whether the file exists: a missing file counts as
    /// empty, also one named by AWS_SHARED_CREDENTIALS_FILE or AWS_CONFIG_FILE, as the AWS CLI
    /// does.
    fn check_readable(file: &SharedFile) -> Result<bool, CredError> {
        let unreadable = |reason: String| CredError::AwsFileUnreadable {
            what: file.what,
            path: file.path.clone(),
            env_var: file.env_var,
            reason,
        };
        match super::read_bounded(&file.path) {
            Ok(mut bytes) => {
                let utf8 = std::str::from_utf8(&bytes).is_ok();
                bytes.zeroize();
                if utf8 {
                    Ok(true)
                } else {
                    Err(unreadable("it is not UTF-8 text".to_string()))
                }
            }
            Err(super::BoundedReadError::Io(err)) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(unreadable(err.to_string())),
        }
    }

    /// All profiles, plus a description of where they were read from.
    fn load(&self) -> Result<(ProfileSet, String), CredError> {
        let credentials = self.shared_file("credentials", "AWS_SHARED_CREDENTIALS_FILE");
        let config = self.shared_file("config", "AWS_CONFIG_FILE");
        let mut sources = Vec::new();
        for file in [&credentials, &config] {
            let present = Self::check_readable(file)?;
            let note = match (present, file.overridden) {
                (true, false) => String::new(),
                (true, true) => format!(" (from {})", file.env_var),
                (false, false) => " (not present)".to_string(),
                (false, true) => format!(" (from {}; not present)", file.env_var),
            };
            sources.push(format!("{}{note}", file.path.display()));
        }
        let sources = sources.join(" and ");

        // aws-config does not re-export `Fs`, `Env` or a non-deprecated `ProfileFiles`, so they
        // are named by inference: `Default::default()` is `Fs::real()`, `Env::real()` and
        // `ProfileFiles::default()` (both shared files, honouring the override variables), and a
        // fake environment converts with `Env::from(HashMap<String, String>)`.
        let env = self.env.clone().map_or_else(Default::default, Into::into);
        let loaded = pollster::block_on(aws_config::profile::load(
            &Default::default(),
            &env,
            &Default::default(),
            None,
        ));
        let set = loaded.map_err(|err| CredError::AwsFilesMalformed {
            detail: error_chain(&err),
        })?;
        Ok((set, sources))
    }
}

/// `err: source: source`, on one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn non_empty(value: &str) -> bool {
    !value.is_empty()
}

/// `AKIA••••0001`; fully hidden when there would be less than 4 hidden characters.
fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "••••".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}••••{tail}")
}

fn info(name: &str, profile: &Profile) -> ProfileInfo {
    let key_id = profile.get(KEY_ID).filter(|v| non_empty(v));
    ProfileInfo {
        name: name.to_string(),
        access_key_id_masked: key_id.map(mask),
        has_keys: key_id.is_some() && profile.get(SECRET_KEY).is_some_and(non_empty),
        session_token: profile.get(SESSION_TOKEN).is_some_and(non_empty),
        looks_personal: name == "default",
    }
}

/// Every profile of both shared files (merged the way the AWS CLI merges them), sorted by name.
pub fn list_profiles(src: &ProfileSource) -> Result<Vec<ProfileInfo>, CredError> {
    let (set, _) = src.load()?;
    let mut profiles: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| set.get_profile(name).map(|p| info(name, p)))
        .collect();
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(profiles)
}

/// How a profile without static keys gets its credentials, for the error message.
fn how_without_keys(profile: &Profile) -> String {
    let has = |key: &str| profile.get(key).is_some();
    if has("sso_session") || has("sso_start_url") {
        "it signs in with SSO through AWS IAM Identity Center".to_string()
    } else if has("role_arn") {
        "it assumes the role in role_arn".to_string()
    } else if has("credential_process") {
        "it runs a credential_process".to_string()
    } else if has("web_identity_token_file") {
        "it uses a web identity token".to_string()
    } else if has("login_session") {
        "it uses `aws login`".to_string()
    } else {
        format!("it sets neither {KEY_ID} nor {SECRET_KEY}")
    }
}

fn validate(profile: &str, key: &'static str, value: &str) -> Result<(), CredError> {
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.contains(['\n', '\r']) {
        Some("contains a line break")
    } else if value.chars().any(char::is_whitespace) {
        Some("contains whitespace")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(CredError::AwsBadKeyValue {
            profile: profile.to_string(),
            key,
            problem,
        }),
    }
}

/// The secret for `aws_creds_secret_name`: a credentials file whose only section is `[default]`
/// holding the two static keys of `profile` (`None`: `$AWS_PROFILE`, else `default`).
pub fn credentials_for(src: &ProfileSource, profile: Option<&str>) -> Result<Secret, CredError> {
    let (name, via) = match profile {
        Some(name) => (name.to_string(), ""),
        None => match src.var("AWS_PROFILE").filter(|p| !p.is_empty()) {
            Some(name) => (name, " (selected by AWS_PROFILE)"),
            None => ("default".to_string(), ""),
        },
    };
    let (set, sources) = src.load()?;
    let Some(found) = set.get_profile(&name) else {
        let mut available: Vec<String> = set.profiles().map(str::to_string).collect();
        available.sort();
        return Err(CredError::AwsProfileNotFound {
            profile: name,
            via,
            available,
            sources,
        });
    };
    if found.get(SESSION_TOKEN).is_some_and(non_empty) {
        return Err(CredError::AwsSessionToken { profile: name });
    }
    let (key_id, secret_key) = match (found.get(KEY_ID), found.get(SECRET_KEY)) {
        (Some(key_id), Some(secret_key)) => (key_id, secret_key),
        (None, None) => {
            return Err(CredError::AwsNoStaticKeys {
                how: how_without_keys(found),
                profile: name,
            });
        }
        (Some(_), None) => {
            return Err(CredError::AwsIncompleteKeys {
                profile: name,
                present: KEY_ID,
                missing: SECRET_KEY,
            });
        }
        (None, Some(_)) => {
            return Err(CredError::AwsIncompleteKeys {
                profile: name,
                present: SECRET_KEY,
                missing: KEY_ID,
            });
        }
    };
    validate(&name, KEY_ID, key_id)?;
    validate(&name, SECRET_KEY, secret_key)?;

    Ok(credentials_file(
        key_id,
        secret_key,
        format!("AWS credentials: profile {name} as [default], 2 keys"),
    ))
}

/// The secret CI reads: a credentials file whose only section is `[default]`, with these two
/// keys.
pub(crate) fn credentials_file(key_id: &str, secret_key: &str, description: String) -> Secret {
    const HEAD: &str = "[default]\naws_access_key_id = ";
    const MIDDLE: &str = "\naws_secret_access_key = ";
    // Exact capacity: no reallocation leaves copies of the key behind.
    let mut text =
        String::with_capacity(HEAD.len() + key_id.len() + MIDDLE.len() + secret_key.len() + 1);
    text.push_str(HEAD);
    text.push_str(key_id);
    text.push_str(MIDDLE);
    text.push_str(secret_key);
    text.push('\n');
    Secret::new(text.into_bytes(), description)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = "\
[default]
aws_access_key_id = AKIADEFAULT000000001
aws_secret_access_key = defaultSecretKey0000000000000000000000001

[ci-pull]
aws_access_key_id = AKIACIPULL0000000002
aws_secret_access_key = ciPullSecretKey00000000000000000000000002
region = eu-west-1

[admin]
aws_access_key_id = AKIAADMIN00000000003
aws_secret_access_key = adminSecretKey000000000000000000000000003
";

    const CI_PULL_SECRET: &str = "[default]\naws_access_key_id = AKIACIPULL0000000002\naws_secret_access_key = ciPullSecretKey00000000000000000000000002\n";

    fn three(env: &[(&str, &str)]) -> ProfileSource {
        ProfileSource::from_files(Some(THREE.to_string()), None, env).unwrap()
    }

    fn text(secret: &Secret) -> &str {
        std::str::from_utf8(secret.expose()).unwrap()
    }

    #[test]
    fn only_the_chosen_profile_is_copied_as_default() {
        let config = "[profile ci-pull]\nregion = us-east-2\noutput = json\n";
        let src =
            ProfileSource::from_files(Some(THREE.to_string()), Some(config.into()), &[]).unwrap();
        let secret = credentials_for(&src, Some("ci-pull")).unwrap();
        assert_eq!(text(&secret), CI_PULL_SECRET);
        assert_eq!(
            secret.description(),
            "AWS credentials: profile ci-pull as [default], 2 keys"
        );
        for other in [
            "DEFAULT",
            "defaultSecret",
            "ADMIN",
            "admin",
            "region",
            "eu-west-1",
            "us-east-2",
            "output",
        ] {
            assert!(!text(&secret).contains(other), "{other} leaked");
        }
    }

    #[test]
    fn no_profile_means_aws_profile_then_default() {
        let secret = credentials_for(&three(&[]), None).unwrap();
        assert!(text(&secret).contains("AKIADEFAULT000000001"));
        assert!(
            secret
                .description()
                .contains("profile default as [default]")
        );

        let src = three(&[("AWS_PROFILE", "admin")]);
        let secret = credentials_for(&src, None).unwrap();
        assert!(text(&secret).starts_with("[default]\naws_access_key_id = AKIAADMIN00000000003\n"));
        assert!(secret.description().contains("profile admin"));

        // An explicit name wins over AWS_PROFILE.
        let secret = credentials_for(&src, Some("ci-pull")).unwrap();
        assert_eq!(text(&secret), CI_PULL_SECRET);
    }

    #[test]
    fn aws_profile_naming_a_missing_profile_says_so() {
        let err = credentials_for(&three(&[("AWS_PROFILE", "nope")]), None).unwrap_err();
        assert!(matches!(err, CredError::AwsProfileNotFound { .. }));
        assert!(
            err.to_string().contains("(selected by AWS_PROFILE)"),
            "{err}"
        );
    }

    #[test]
    fn session_token_is_refused() {
        let creds = "[temp]\naws_access_key_id = ASIATEMP000000000001\naws_secret_access_key = tempSecret0000000000000000000000000000001\naws_session_token = sessionTokenValue123\n";
        let src = ProfileSource::from_files(Some(creds.into()), None, &[]).unwrap();
        let err = credentials_for(&src, Some("temp")).unwrap_err();
        assert!(matches!(err, CredError::AwsSessionToken { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("expire") && msg.contains("pull-only IAM user"),
            "{msg}"
        );
        for secret in ["tempSecret", "sessionTokenValue123"] {
            assert!(!msg.contains(secret));
        }
    }

    #[test]
    fn missing_profile_lists_names_and_sources() {
        let src = three(&[]);
        let err = credentials_for(&src, Some("ci")).unwrap_err();
        let msg = err.to_string();
        match &err {
            CredError::AwsProfileNotFound { available, .. } => {
                assert_eq!(available, &["admin", "ci-pull", "default"]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(msg.contains("AWS profile `ci` was not found"), "{msg}");
        assert!(msg.contains("admin, ci-pull, default"), "{msg}");
        assert!(msg.contains(".aws/credentials and "), "{msg}");
        assert!(msg.contains(".aws/config (not present)"), "{msg}");
        assert!(!msg.contains("Secret"), "{msg}");
    }

    #[test]
    fn no_files_at_all() {
        let src = ProfileSource::from_files(None, None, &[]).unwrap();
        assert_eq!(list_profiles(&src).unwrap(), vec![]);
        let msg = credentials_for(&src, None).unwrap_err().to_string();
        assert!(msg.contains("there are no profiles at all"), "{msg}");
    }

    #[test]
    fn config_only_profiles_without_keys_are_refused() {
        let config = "\
[profile role]
role_arn = arn:aws:iam::123456789012:role/pull
source_profile = default

[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev

[profile proc]
credential_process = /usr/bin/get-creds

[profile plain]
region = us-east-1
";
        let src = ProfileSource::from_files(None, Some(config.into()), &[]).unwrap();
        for (profile, how) in [
            ("role", "role_arn"),
            ("sso", "SSO"),
            ("proc", "credential_process"),
            (
                "plain",
                "neither aws_access_key_id nor aws_secret_access_key",
            ),
        ] {
            let err = credentials_for(&src, Some(profile)).unwrap_err();
            assert!(matches!(err, CredError::AwsNoStaticKeys { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.contains(how), "{msg}");
            assert!(
                msg.contains("long-lived access keys of a pull-only IAM user"),
                "{msg}"
            );
        }
    }

    #[test]
    fn keys_in_the_config_file_are_found_too() {
        let config = "[profile cfg]\naws_access_key_id = AKIACONFIG0000000001\naws_secret_access_key = cfgSecret\nregion = us-east-2\n";
        let src = ProfileSource::from_files(None, Some(config.into()), &[]).unwrap();
        let secret = credentials_for(&src, Some("cfg")).unwrap();
        assert_eq!(
            text(&secret),
            "[default]\naws_access_key_id = AKIACONFIG0000000001\naws_secret_access_key = cfgSecret\n"
        );
    }

    #[test]
    fn incomplete_and_bad_values_are_refused() {
        let creds = "\
[half]
aws_access_key_id = AKIAHALF000000000001

[other-half]
aws_secret_access_key = onlyTheSecret

[spaced]
aws_access_key_id = AKIA SPACED
aws_secret_access_key = spacedSecret

[empty]
aws_access_key_id =
aws_secret_access_key = emptyIdSecret

[broken]
aws_access_key_id = AKIABROKEN0000000001
aws_secret_access_key = first
  continued
";
        let src = ProfileSource::from_files(Some(creds.into()), None, &[]).unwrap();
        let err = credentials_for(&src, Some("half")).unwrap_err();
        assert!(
            matches!(
                err,
                CredError::AwsIncompleteKeys {
                    missing: SECRET_KEY,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = credentials_for(&src, Some("other-half")).unwrap_err();
        assert!(
            matches!(
                err,
                CredError::AwsIncompleteKeys {
                    missing: KEY_ID,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("onlyTheSecret"));
        let err = credentials_for(&src, Some("spaced")).unwrap_err();
        assert!(err.to_string().contains("contains whitespace"), "{err}");
        let err = credentials_for(&src, Some("empty")).unwrap_err();
        assert!(
            err.to_string()
                .contains("aws_access_key_id of AWS profile `empty` is empty"),
            "{err}"
        );
        let err = credentials_for(&src, Some("broken")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("aws_secret_access_key"), "{msg}");
        assert!(
            !msg.contains("first") && !msg.contains("continued"),
            "{msg}"
        );
    }

    #[test]
    fn list_profiles_masks_ids_and_flags_profiles() {
        let creds = format!(
            "{THREE}\n[temp]\naws_access_key_id = ASIATEMP000000000009\naws_secret_access_key = x\naws_session_token = t\n\n[short]\naws_access_key_id = AKIA0001\naws_secret_access_key = y\n"
        );
        let config = "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/pull\n";
        let src = ProfileSource::from_files(Some(creds), Some(config.into()), &[]).unwrap();
        let profiles = list_profiles(&src).unwrap();
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["admin", "ci-pull", "default", "role", "short", "temp"]
        );
        assert_eq!(
            profiles[1],
            ProfileInfo {
                name: "ci-pull".into(),
                access_key_id_masked: Some("AKIA••••0002".into()),
                has_keys: true,
                session_token: false,
                looks_personal: false,
            }
        );
        assert!(profiles[2].looks_personal);
        assert_eq!(
            profiles[2].access_key_id_masked.as_deref(),
            Some("AKIA••••0001")
        );
        assert_eq!(
            profiles[3],
            ProfileInfo {
                name: "role".into(),
                access_key_id_masked: None,
                has_keys: false,
                session_token: false,
                looks_personal: false,
            }
        );
        assert_eq!(profiles[4].access_key_id_masked.as_deref(), Some("••••"));
        assert!(profiles[5].session_token && profiles[5].has_keys);
    }

    #[test]
    fn mask_shapes() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA••••MPLE");
        assert_eq!(mask("AKIA12345678"), "AKIA••••5678");
        assert_eq!(mask("AKIA1234567"), "••••");
        assert_eq!(mask(""), "••••");
    }

    #[test]
    fn override_variables_are_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("ci-creds");
        std::fs::write(
            &creds,
            "[elsewhere]\naws_access_key_id = AKIAELSEWHERE0000001\naws_secret_access_key = s\n",
        )
        .unwrap();
        let creds_str = creds.to_str().unwrap();
        // The default-location file (THREE) is ignored once the variable is set.
        let src = three(&[("AWS_SHARED_CREDENTIALS_FILE", creds_str)]);
        let names: Vec<String> = list_profiles(&src)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["elsewhere"]);
        let secret = credentials_for(&src, Some("elsewhere")).unwrap();
        assert!(text(&secret).contains("AKIAELSEWHERE0000001"));

        // A file named by a variable that does not exist is empty, as for the AWS CLI.
        let missing = dir.path().join("nope");
        let src = three(&[("AWS_CONFIG_FILE", missing.to_str().unwrap())]);
        let names: Vec<String> = list_profiles(&src)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["admin", "ci-pull", "default"]);
        assert!(credentials_for(&src, Some("ci-pull")).is_ok());
        let src = three(&[
            ("AWS_SHARED_CREDENTIALS_FILE", missing.to_str().unwrap()),
            ("AWS_CONFIG_FILE", missing.to_str().unwrap()),
        ]);
        assert_eq!(list_profiles(&src).unwrap(), vec![]);
        // A profile that is not found is still an error that lists what exists and where.
        let err = credentials_for(&src, Some("ci-pull")).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, CredError::AwsProfileNotFound { .. }),
            "{err:?}"
        );
        assert!(
            msg.contains("nope (from AWS_SHARED_CREDENTIALS_FILE; not present)"),
            "{msg}"
        );
    }

    #[test]
    fn tilde_in_override_expands_to_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("creds"),
            "[t]\naws_access_key_id = AKIATILDE00000000001\naws_secret_access_key = s\n",
        )
        .unwrap();
        let src = ProfileSource::from_files(
            None,
            None,
            &[
                ("HOME", home.path().to_str().unwrap()),
                ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
            ],
        )
        .unwrap();
        assert!(credentials_for(&src, Some("t")).is_ok());
    }

    #[test]
    fn malformed_and_unreadable_files_are_reported() {
        let src = ProfileSource::from_files(
            Some("[ok]\naws_access_key_id = AKIAOK00000000000001\nthis line is garbage\n".into()),
            None,
            &[],
        )
        .unwrap();
        let err = list_profiles(&src).unwrap_err();
        assert!(
            matches!(err, CredError::AwsFilesMalformed { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");

        let dir = tempfile::tempdir().unwrap();
        let latin1 = dir.path().join("latin1");
        std::fs::write(&latin1, b"[p]\naws_secret_access_key = caf\xe9\n").unwrap();
        let src = ProfileSource::from_files(
            None,
            None,
            &[("AWS_SHARED_CREDENTIALS_FILE", latin1.to_str().unwrap())],
        )
        .unwrap();
        let err = credentials_for(&src, Some("p")).unwrap_err();
        assert!(
            matches!(err, CredError::AwsFileUnreadable { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("not UTF-8"), "{err}");

        // A directory where the file should be.
        let src = ProfileSource::from_files(
            None,
            None,
            &[("AWS_CONFIG_FILE", dir.path().to_str().unwrap())],
        )
        .unwrap();
        let err = list_profiles(&src).unwrap_err();
        assert!(
            matches!(err, CredError::AwsFileUnreadable { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn debug_does_not_show_the_environment() {
        let src = three(&[("AWS_SECRET_ACCESS_KEY", "envSecret")]);
        assert!(!format!("{src:?}").contains("envSecret"));
    }
}
