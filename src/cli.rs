//! The command line: a contract that users' scripts and CI jobs build on.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "fioreg",
    version,
    about = "Give a FoundriesFactory's CI access to a private container registry",
    long_about = "Give a FoundriesFactory's CI access to a private container registry (AWS ECR, \
                  Azure ACR, Google Artifact Registry, or any user:token registry).\n\n\
                  fioreg stores the credentials as a factory secret through fioctl and adds the \
                  matching entry to factory-config.yml, keeping every other byte of the file. \
                  It shows the plan (the diff and the fioctl calls, secrets redacted) and asks \
                  before changing anything."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Without a subcommand: the wizard (full screen, or line prompts with --plain)
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Use one-question-at-a-time line prompts instead of the full-screen wizard (also when TERM=dumb)
    #[arg(long)]
    pub plain: bool,
    /// Try the wizard on a scratch copy of the bundled example: no fioctl, no factory needed
    #[arg(long)]
    pub demo: bool,
}

impl Cli {
    /// Parses the command line and sets [`Global::factory`] from a single `--factory`.
    pub fn parse_normalised() -> Cli {
        Cli::parse().normalised()
    }

    /// Sets [`Global::factory`] to the one `--factory` given (none when several are).
    pub fn normalised(mut self) -> Cli {
        self.global.factory = match self.global.factories.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        self
    }
}

impl Global {
    /// Whether this run works on several factories (`--all-factories`, or `--factory` given
    /// more than once): the commands then go through [`crate::fleet`].
    pub fn is_fleet(&self) -> bool {
        self.all_factories || self.factories.len() > 1
    }
}

#[derive(Debug, Args)]
pub struct Global {
    /// The factory-config.yml to read and edit (default: the one remembered for the factory in
    /// fioreg's settings, else ./factory-config.yml)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The one factory of a single-factory run (set from `--factory` by [`Cli::normalised`];
    /// `None` when several factories are selected, which `fleet` handles)
    #[arg(skip)]
    pub factory: Option<String>,
    /// Passed to fioctl as --factory (else fioctl's own default: FIOCTL_FACTORY or its config).
    /// Give it several times to work on several factories at once (each with the
    /// factory-config.yml remembered for it in fioreg's settings)
    #[arg(long = "factory", global = true, value_name = "NAME")]
    pub factories: Vec<String>,
    /// Every factory remembered in fioreg's settings (`factories.<NAME>.config`), each with its
    /// remembered factory-config.yml
    #[arg(long, global = true, conflicts_with = "factories")]
    pub all_factories: bool,
    /// With several factories: how many are worked on at the same time
    #[arg(long, global = true, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// The fioctl binary (default: `fioctl` found on PATH)
    #[arg(long, global = true, value_name = "PATH", long_help = fioctl_long_help())]
    pub fioctl: Option<PathBuf>,
    /// Seconds to wait for fioctl before stopping it
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub fioctl_timeout: u64,
    /// Print the plan and the diff; change nothing and store no secret
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Apply without asking (required when stdin is not a terminal)
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Commit factory-config.yml (only that file) in its git checkout after writing it
    #[arg(long, global = true)]
    pub commit: bool,
    /// The commit message (implies --commit; default: "container_registries: add aws URL", ...)
    #[arg(long, short = 'm', global = true, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Push the current branch after the commit (implies --commit)
    #[arg(long, global = true)]
    pub push: bool,
    /// Do not test the credentials against the registry before storing them
    #[arg(long, global = true)]
    pub no_verify: bool,
    /// Allow plain http for the login test, only to loopback addresses (127.0.0.1, ::1, localhost)
    #[arg(long, global = true)]
    pub insecure_registry: bool,
    /// Also trust this CA certificate (PEM) in the login test, for registries with a private CA
    #[arg(long, global = true, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Prove pull permission on this repository in the login test (e.g. team/app; the first
    /// one when repeated). With --create-user, the new IAM user may pull only these repositories
    #[arg(long, global = true, value_name = "NAME")]
    pub repository: Vec<String>,
    /// Seconds to wait for each request of the login test
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
    pub verify_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a registry (or update the entry that already has its url) and store its credentials
    #[command(subcommand)]
    Add(AddCommand),
    /// List the configured registries and whether their secrets exist in the factory
    List {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Store new credentials for a configured registry; factory-config.yml stays as it is
    Rotate {
        /// The registry's secret name or url
        #[arg(value_name = "SECRET_NAME|URL")]
        target: String,
        #[command(flatten)]
        creds: CredFlags,
        #[command(flatten)]
        new_key: NewKeyFlags,
    },
    /// Test credentials with a real registry login, the way CI logs in; stores nothing
    Verify {
        /// The registry's secret name or url
        #[arg(value_name = "SECRET_NAME|URL")]
        target: String,
        #[command(flatten)]
        creds: CredFlags,
    },
    /// Remove a registry's entry (its comment lines go with it)
    Remove {
        /// The registry's secret name or url
        #[arg(value_name = "SECRET_NAME|URL")]
        target: String,
        /// Also delete its secret from the factory, after the config is written
        #[arg(long)]
        delete_secret: bool,
    },
    /// Show or change fioreg's remembered settings (never a secret)
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Delete the password or token that --remember kept for a registry url
    Forget {
        /// The registry url, e.g. ghcr.io
        url: String,
    },
    /// Wrap a private image for devices: write NAME/Dockerfile (`FROM IMAGE`) in containers.git
    DeviceWrap {
        /// REGISTRY/IMAGE:TAG, e.g. acmeprod.azurecr.io/sdk/app:1.2
        #[arg(long)]
        image: String,
        /// The container's name in containers.git
        #[arg(long, value_name = "NAME")]
        container: String,
        /// The containers.git checkout
        #[arg(long, value_name = "DIR", default_value = ".")]
        containers_repo: PathBuf,
    },
    /// Print least-privilege pull-only credentials set-up for a registry
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a shell completion script (e.g. `fioreg completions bash > /etc/bash_completion.d/fioreg`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `fioreg man > fioreg.1`
    Man,
    /// Scan containers.git: the images CI and devices pull, by registry, and whether an entry
    /// covers each registry (exit 1 when something is missing or unresolved)
    Scan(ScanArgs),
    /// Check factory-config.yml against what Foundries CI needs (exit 1 on errors)
    Check {
        /// Check the file only; do not ask fioctl which secrets exist
        #[arg(long)]
        offline: bool,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
}

/// The flags of `fioreg scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The containers.git checkout (default: the one remembered for the factory in settings,
    /// `factories.<NAME>.containers`, else ../containers beside the ci-scripts checkout)
    #[arg(long, value_name = "DIR")]
    pub containers: Option<PathBuf>,
    /// Read the files only: no registry is contacted and fioctl is not asked for secrets
    #[arg(long)]
    pub offline: bool,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// How many repositories are probed at once (1: one after the other)
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// aws: prove pull permission with this AWS profile's keys (on the aws entry's registry, else
    /// on every ECR registry found)
    #[arg(long)]
    pub profile: Option<String>,
    /// gar: prove pull permission on every Google registry found with this service-account key
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// azure/generic: prove pull permission on HOST as USER, with the password or token kept by
    /// `--remember` for HOST (or read from stdin with --password-stdin); repeatable
    #[arg(long = "login", value_name = "HOST=USER")]
    pub logins: Vec<String>,
    /// Read the password or token of the one --login from the first line of stdin
    #[arg(long, requires = "logins")]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the settings file
    Show,
    /// Set a key, e.g. `fioreg settings set factories.acme.config ~/ci-scripts/factory-config.yml`
    Set { key: String, value: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// An IAM policy that can only pull from the registry, and the commands to use it
    Aws {
        /// ACCOUNT.dkr.ecr.REGION.amazonaws.com
        #[arg(long)]
        url: String,
        /// Limit the policy to one repository
        #[arg(long)]
        repository: Option<String>,
    },
    /// The gcloud commands that create a pull-only service account and its key
    Gar {
        #[arg(long)]
        project: String,
        /// e.g. us-central1
        #[arg(long)]
        location: String,
        #[arg(long)]
        repository: String,
        /// The service account's name
        #[arg(long)]
        name: String,
    },
}

/// The credential flags of `rotate`; which apply depends on the registry's type.
#[derive(Debug, Args)]
pub struct CredFlags {
    /// aws: the AWS profile whose keys CI uses
    #[arg(long)]
    pub profile: Option<String>,
    /// azure: the service principal's application (client) id
    #[arg(long, value_name = "ID", conflicts_with = "username")]
    pub client_id: Option<String>,
    /// generic: the user name CI logs in with
    #[arg(long)]
    pub username: Option<String>,
    /// gar: the service account's JSON key file
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordStdin,
}

/// `rotate --new-key`: a new key for the cloud identity fioreg created (or `--user`).
#[derive(Debug, Args)]
pub struct NewKeyFlags {
    /// aws, gar, azure: a new key for the identity CI uses, made with the admin's aws, gcloud or
    /// az login, stored and tested; then (aws, gar) the old key(s) deleted after asking (azure
    /// replaces the password)
    #[arg(long, conflicts_with_all = ["profile", "client_id", "username", "key_file", "password_stdin", "from_keyring", "remember"])]
    pub new_key: bool,
    /// The AWS profile of the admin who manages the IAM user (default: AWS_PROFILE, else the
    /// AWS CLI's default credentials)
    #[arg(long, value_name = "PROFILE", requires = "new_key")]
    pub admin_profile: Option<String>,
    /// The IAM user (aws), service account email (gar), or principal appId / `token:NAME`
    /// (azure) whose key is replaced (default: the one fioreg created for the factory)
    #[arg(long, value_name = "NAME", requires = "new_key")]
    pub user: Option<String>,
    /// Seconds to wait for a new key to be accepted (cloud IAM is eventually consistent)
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub key_wait: u64,
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// AWS Elastic Container Registry, with one AWS profile's long-lived keys
    Aws {
        /// ACCOUNT.dkr.ecr.REGION.amazonaws.com
        #[arg(long)]
        url: String,
        /// The registry's region (default: taken from the url; must match it)
        #[arg(long)]
        region: Option<String>,
        /// The AWS profile whose keys CI uses (default: AWS_PROFILE, else `default`)
        #[arg(long)]
        profile: Option<String>,
        /// Instead of a profile: create the pull-only IAM user NAME with the admin's AWS login
        /// and store its new access key (NAME defaults to fioreg-<factory>-pull)
        #[arg(
            long,
            value_name = "NAME",
            num_args = 0..=1,
            default_missing_value = "",
            conflicts_with = "profile"
        )]
        create_user: Option<String>,
        /// With --create-user: the admin's AWS profile (default: AWS_PROFILE, else the AWS CLI's
        /// default credentials)
        #[arg(long, value_name = "PROFILE", requires = "create_user")]
        admin_profile: Option<String>,
        /// With --create-user: seconds to wait for the new key to be accepted (IAM is eventually
        /// consistent)
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        key_wait: u64,
        #[command(flatten)]
        secret: SecretName,
    },
    /// Azure Container Registry, with a service principal (client id and password)
    Azure {
        /// NAME.azurecr.io
        #[arg(long)]
        url: String,
        /// The service principal's application (client) id
        #[arg(long, value_name = "ID", required_unless_present = "create_principal")]
        client_id: Option<String>,
        #[command(flatten)]
        password: PasswordStdin,
        /// Instead of a client id: with the admin's `az` login, create the service principal
        /// NAME with AcrPull on this registry only (or, with --repository, an ACR token NAME that
        /// can only read those repositories) and store its password. Without `az`: print the
        /// commands
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with_all = ["client_id", "password_stdin", "from_keyring", "remember"]
        )]
        create_principal: Option<String>,
        /// With --create-principal and --repository: days until the token's password expires
        /// (default 365)
        #[arg(long, value_name = "DAYS", requires = "create_principal")]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        secret: SecretName,
    },
    /// Google Artifact Registry, with a service-account key file
    Gar {
        /// The service account's JSON key (from `gcloud iam service-accounts keys create`)
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "create_service_account"
        )]
        key_file: Option<PathBuf>,
        /// Instead of a key file: create the service account NAME with the admin's gcloud login,
        /// let it read only the --repository, and store its new key (needs --project, --location
        /// and one --repository)
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "key_file",
            requires_all = ["project", "location"]
        )]
        create_service_account: Option<String>,
        /// With --create-service-account: the Google Cloud project id
        #[arg(long, requires = "create_service_account")]
        project: Option<String>,
        /// With --create-service-account: the repository's location, e.g. us-central1
        #[arg(long, requires = "create_service_account")]
        location: Option<String>,
        /// LOCATION-docker.pkg.dev (optional: CI configures every *-docker.pkg.dev host)
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        secret: SecretName,
    },
    /// Any registry that takes a user name and a token (ghcr.io, Docker Hub, Harbor, ...)
    Generic {
        /// The registry host, e.g. ghcr.io
        #[arg(long)]
        url: String,
        /// The user name CI logs in with
        #[arg(long)]
        username: String,
        #[command(flatten)]
        password: PasswordStdin,
        #[command(flatten)]
        secret: SecretName,
    },
}

#[derive(Debug, Args)]
pub struct SecretName {
    /// The factory secret's name (default: aws_creds, azprincipal, gcp_creds, or HOST_creds)
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PasswordStdin {
    /// Read the password or token from the first line of stdin (else a hidden prompt)
    #[arg(long, conflicts_with = "from_keyring")]
    pub password_stdin: bool,
    /// Keep the password or token in the OS keyring (service "fioreg") for the next run
    #[arg(long)]
    pub remember: bool,
    /// Use the password or token kept by an earlier --remember for this registry url
    #[arg(long)]
    pub from_keyring: bool,
}

/// `--help` for `--fioctl`: also how secrets reach fioctl on this system (a pipe or a temp file).
fn fioctl_long_help() -> String {
    format!(
        "The fioctl binary (default: `fioctl` found on PATH).\n\n{}",
        crate::fioctl::Handover::detect().describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from([
            "fioreg",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--dry-run",
            "--config",
            "x.yml",
        ])
        .unwrap();
        assert!(cli.global.dry_run);
        assert_eq!(cli.global.config, Some(PathBuf::from("x.yml")));
    }

    #[test]
    fn factory_may_be_repeated_and_one_factory_stays_the_single_path() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("fioreg").chain(args.iter().copied()))
                .map(Cli::normalised)
        };
        let one = parse(&["--factory", "acme", "list"]).unwrap();
        assert_eq!(one.global.factory.as_deref(), Some("acme"));
        assert!(!one.global.is_fleet());
        let two = parse(&["list", "--factory", "acme", "--factory", "beta"]).unwrap();
        assert_eq!(two.global.factories, ["acme", "beta"]);
        assert_eq!(two.global.factory, None);
        assert!(two.global.is_fleet());
        assert_eq!(two.global.jobs, 4);
        let all = parse(&["--all-factories", "--jobs", "8", "list"]).unwrap();
        assert!(all.global.is_fleet());
        assert_eq!(all.global.jobs, 8);
        assert!(parse(&["--all-factories", "--factory", "acme", "list"]).is_err());
        assert!(parse(&["--jobs", "0", "list"]).is_err());
        let none = parse(&["list"]).unwrap();
        assert_eq!(none.global.factory, None);
        assert!(!none.global.is_fleet());
    }

    #[test]
    fn no_password_flag_exists() {
        let r = Cli::try_parse_from([
            "fioreg",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password",
            "x",
        ]);
        assert!(r.is_err());
    }
}
