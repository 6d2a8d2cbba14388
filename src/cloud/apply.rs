//! The one way a new cloud key reaches the factory, for `fioreg add aws --create-user`,
//! `fioreg add gar --create-service-account`, `fioreg add azure --create-principal`, both
//! wizards and `fioreg rotate --new-key` ([`store_created`]): run the cloud actions
//! ([`CloudPlan::execute`]), check an AWS key with `sts:GetCallerIdentity` (retried for a bounded
//! time while IAM catches up; a GCP key was checked as that account's key when it was made), test the registry
//! login (unless the session skips it), then store the key and write the config through
//! [`Plan::apply_with_progress`]. Every step is reported through [`Step`]; a failure after
//! something was created is a [`CloudError`] that says what exists and what to run.

use super::{CloudError, CloudPlan, CloudProgress, Created, Job};
use crate::fioctl::FioctlError;
use crate::plan::{Applied, ApplyError, Plan, Progress, SecretStore};
use crate::secret::Secret;
use crate::verify::VerifyOptions;
use std::time::Duration;

/// How long a new key may be refused before the run gives up (the CLI's `--key-wait` default).
pub const DEFAULT_KEY_WAIT: Duration = Duration::from_secs(60);

/// A step of [`create_and_store`], for live progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A cloud action started or finished, or the countdown of a key not accepted yet.
    Cloud(CloudProgress),
    /// `sts:GetCallerIdentity` with the new key starts.
    CheckingKey,
    /// The new key works and belongs to this identity (an AWS ARN, a service account's email).
    KeyWorks(String),
    /// The new key is a well-formed key of this identity (a GCP service-account key file naming
    /// that account); not yet used.
    KeyIsOf(String),
    /// The registry login test with the new key starts (host).
    TestingLogin(String),
    /// The registry accepted the new key (host).
    LoginAccepted(String),
    /// Storing the secret, writing the config, committing.
    Apply(Progress),
}

/// How the new key is tested before it is stored.
#[derive(Debug, Clone)]
pub struct KeyTest {
    /// The options of `sts:GetCallerIdentity` and of the login test.
    pub opts: VerifyOptions,
    /// Run the registry login test too (off with `--no-verify`).
    pub login: bool,
    /// The bounded wait while IAM catches up.
    pub wait: Duration,
}

/// What [`create_and_store`] did.
#[derive(Debug)]
pub struct NewKey {
    pub applied: Applied,
    /// The identity whose key was stored (the IAM user's ARN, the service account's email).
    pub identity: String,
    /// The new access key's id (not secret).
    pub key_id: String,
    /// What the cloud actions created, one line each (as [`Created::exists`]).
    pub exists: Vec<String>,
}

/// What a failed key test tells the admin to do, after a run that created what it stored.
pub(crate) const REMOVE_AND_AGAIN: &str = "Nothing was stored in the factory: remove what was created (below), then run the same \
     command again";

/// Creates what `cloud` plans, puts the new key into `plan` (built with a placeholder secret),
/// tests it, and applies the plan with `store`. SIGINT/SIGTERM are caught for the whole run:
/// each step after the first creation says what exists.
pub fn create_and_store(
    cloud: &CloudPlan,
    plan: &mut Plan,
    store: &dyn SecretStore,
    test: &KeyTest,
    step: &mut dyn FnMut(Step),
) -> Result<NewKey, CloudError> {
    let also = Also {
        exists: Vec::new(),
        next: None,
        failed: REMOVE_AND_AGAIN,
        key_is_of: true,
    };
    let (mut created, applied) = store_created(cloud, plan, store, test, step, also)?;
    // Stored now: what exists says so.
    restate(
        &mut created.exists,
        &format!("stored in the factory as `{}`", plan.secret_name),
    );
    Ok(NewKey {
        applied,
        identity: cloud.identity.clone(),
        key_id: created.key_id,
        exists: created.exists,
    })
}

/// What a run adds to the account of [`store_created`] beyond what the cloud actions created.
pub(crate) struct Also {
    /// What else exists (old keys that still work).
    pub(crate) exists: Vec<String>,
    /// A command to run besides the undo of what was created.
    pub(crate) next: Option<String>,
    /// What a failed key test says to do now.
    pub(crate) failed: &'static str,
    /// Say ([`Step::KeyIsOf`]) that a Google Cloud key was checked as the identity's.
    pub(crate) key_is_of: bool,
}

/// The one create -> test -> store sequence of [`create_and_store`] and of
/// [`super::rotate::Rotation::run`]: runs the cloud actions, puts the new key into `plan`, tests
/// it, and applies the plan with `store`. SIGINT/SIGTERM only set a flag from the first
/// creation until the key is stored; each failure after the creation says what exists now and
/// what to run, and is marked interrupted when a signal came.
pub(crate) fn store_created(
    cloud: &CloudPlan,
    plan: &mut Plan,
    store: &dyn SecretStore,
    test: &KeyTest,
    step: &mut dyn FnMut(Step),
    also: Also,
) -> Result<(Created, Applied), CloudError> {
    let guard = crate::fioctl::SignalGuard::install().ok();
    let stop = || super::interrupted() || guard.as_ref().is_some_and(|g| g.fired());
    let mut created = cloud.execute(&mut |p| step(Step::Cloud(p)))?;
    created.exists.extend(also.exists);
    created.undo.extend(also.next);
    plan.secret = std::mem::replace(&mut created.secret, Secret::new(Vec::new(), "moved"));
    let mut sleep = |d| std::thread::sleep(d);
    let tested = match &cloud.job {
        Job::Aws(_) => {
            test_new_aws_key(plan, &cloud.identity, test, &stop, step, &mut sleep).map(drop)
        }
        // gcloud's key was checked as a key of this service account when it was created
        // (`credentials::gcp::key_bytes` and its client_email); what is left is the login.
        Job::Gcp(_) if also.key_is_of => {
            step(Step::KeyIsOf(cloud.identity.clone()));
            login_with_retry(plan, test, &stop, step, &mut sleep)
        }
        Job::Gcp(_) | Job::Azure(_) => login_with_retry(plan, test, &stop, step, &mut sleep),
    };
    let interrupted = |mut e: CloudError| {
        e.interrupted |= stop();
        e
    };
    tested.map_err(|why| interrupted(created.failure(format!("{why}. {}", also.failed))))?;
    let applied = store_new_key(plan, store, &created, step).map_err(interrupted)?;
    Ok((created, applied))
}

/// Says in `lines` (what exists) what became of a new key that was not stored yet: `now`.
fn restate(lines: &mut [String], now: &str) {
    for line in lines {
        *line = line
            .replace("NOT stored in the factory yet", now)
            .replace("not stored in the factory yet", now);
    }
}

/// Tests a new AWS key before it is stored, retrying for `test.wait` while AWS catches up:
/// first `sts:GetCallerIdentity` with the key (it must be `expected_arn`), then (when asked) the
/// registry login test. Returns the key's ARN.
fn test_new_aws_key(
    plan: &Plan,
    expected_arn: &str,
    test: &KeyTest,
    stop: &dyn Fn() -> bool,
    step: &mut dyn FnMut(Step),
    sleep: &mut dyn FnMut(Duration),
) -> Result<String, String> {
    use super::{Attempt, wait_for};
    use crate::verify::{VerifyError, aws_caller_identity};
    let region = plan.aws_region().ok_or("the registry has no region")?;
    step(Step::CheckingKey);
    let arn = wait_for(
        test.wait,
        RETRY_EVERY,
        || match aws_caller_identity(&plan.secret, &region, &test.opts) {
            _ if stop() => Attempt::Fail("interrupted".into()),
            Ok(id) if id.arn == expected_arn => Attempt::Done(id.arn),
            Ok(id) => Attempt::Fail(format!(
                "the new key belongs to {}, not to {expected_arn}",
                id.arn
            )),
            Err(e @ VerifyError::Provider { .. }) => Attempt::Retry(e.to_string()),
            Err(e) => Attempt::Fail(e.to_string()),
        },
        &mut |p| step(Step::Cloud(p)),
        sleep,
    )?;
    step(Step::KeyWorks(arn.clone()));
    login_with_retry(plan, test, stop, step, sleep)?;
    Ok(arn)
}

/// How often a refused new key is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(3);

/// The registry login test with a new key (when `test.login`), retried for `test.wait` while
/// the cloud makes the key usable everywhere.
fn login_with_retry(
    plan: &Plan,
    test: &KeyTest,
    stop: &dyn Fn() -> bool,
    step: &mut dyn FnMut(Step),
    sleep: &mut dyn FnMut(Duration),
) -> Result<(), String> {
    use super::{Attempt, wait_for};
    use crate::verify::{LoginCheck, verify_plan};
    if !test.login {
        return Ok(());
    }
    let shown = crate::verify::login_host(plan);
    step(Step::TestingLogin(shown.clone()));
    wait_for(
        test.wait,
        RETRY_EVERY,
        || match LoginCheck::of(verify_plan(plan, &test.opts, crate::verify::verify)) {
            _ if stop() => Attempt::Fail("interrupted".into()),
            LoginCheck::Accepted | LoginCheck::NoLogin => Attempt::Done(()),
            LoginCheck::Failed(why) => Attempt::Retry(why),
            LoginCheck::Unreachable(why) => Attempt::Fail(format!(
                "{why}; the key could not be tested (--no-verify skips the test)"
            )),
        },
        &mut |p| step(Step::Cloud(p)),
        sleep,
    )
    .map_err(|why| format!("login test: {why}"))?;
    step(Step::LoginAccepted(shown));
    Ok(())
}

/// Stores the new key (the plan's secret) and writes the config; on failure, an account of
/// what exists in AWS and in the factory.
fn store_new_key(
    plan: &Plan,
    store: &dyn SecretStore,
    created: &Created,
    step: &mut dyn FnMut(Step),
) -> Result<Applied, CloudError> {
    plan.apply_with_progress(store, &mut |p| step(Step::Apply(p)))
        .map_err(|e| {
            let mut err = created.failure(e.to_string());
            err.interrupted = matches!(e, ApplyError::Fioctl(FioctlError::Interrupted));
            // fioctl stopped before it answered: the secret may have reached the factory.
            if let ApplyError::Fioctl(f) = &e
                && f.unanswered()
            {
                restate(
                    &mut err.exists,
                    "it MAY be stored in the factory: fioctl was stopped before it answered",
                );
            }
            if matches!(e, ApplyError::ConfigAfterSecret { .. }) {
                err.exists.push(format!(
                    "the key {} is stored in the factory as `{}` (CI can use it once \
                     factory-config.yml has the entry)",
                    created.key_id, plan.secret_name
                ));
                err.next.clear();
            }
            err
        })
}
