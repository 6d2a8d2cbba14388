//! Least privilege: the IAM policy of a pull-only AWS user and the gcloud commands for a
//! pull-only GCP service account, so CI never gets more than read access to the registry.

use crate::provider::{self, Provider, aws};

/// The ECR pull policy with placeholders PARTITION, REGION, ACCOUNT and REPOSITORY.
const AWS_TEMPLATE: &str = include_str!("../assets/policy/aws-ecr-pull.json");

/// The gcloud commands with placeholders PROJECT, LOCATION, REPOSITORY and NAME.
const GAR_TEMPLATE: &str = include_str!("../assets/policy/gar-pull.sh.txt");

/// The IAM user, policy and profile names used by [`aws_policy_help`].
pub const AWS_USER: &str = "fioreg-ci-pull";
pub const AWS_POLICY_NAME: &str = "ecr-pull";
pub const AWS_PROFILE: &str = "ci-pull";

/// A least-privilege IAM policy (JSON) to pull from the ECR registry at `url`:
/// `ecr:GetAuthorizationToken` on `*`, the three pull actions on the account's repositories in
/// the url's region, or only on `repositories`.
pub fn aws_pull_policy(url: &str, repositories: &[String]) -> Result<String, String> {
    let url = Provider::Aws.validate_url(url)?;
    let ecr = aws::parse_url(&url)?;
    let partition = partition(&url, ecr.region);
    let arn = |repo: &str| {
        let arn = format!(
            "arn:{partition}:ecr:{}:{}:repository/{repo}",
            ecr.region, ecr.account
        );
        serde_json::Value::String(arn).to_string()
    };
    let resource = match repositories {
        [] => arn("*"),
        [one] => {
            validate_ecr_repository(one)?;
            arn(one)
        }
        many => {
            let mut arns = Vec::new();
            for r in many {
                validate_ecr_repository(r)?;
                arns.push(format!("        {}", arn(r)));
            }
            format!("[\n{}\n      ]", arns.join(",\n"))
        }
    };
    Ok(AWS_TEMPLATE.replace(
        "\"arn:PARTITION:ecr:REGION:ACCOUNT:repository/REPOSITORY\"",
        &resource,
    ))
}

/// The commands that create the pull-only IAM user with that policy and a profile for its keys.
pub fn aws_policy_help(url: &str) -> Result<String, String> {
    let url = Provider::Aws.validate_url(url)?;
    let ecr = aws::parse_url(&url)?;
    let region = ecr.region;
    Ok(format!(
        "# Save the policy as policy.json, then create an IAM user that can only pull:\n\
         aws iam create-user --user-name {AWS_USER}\n\
         aws iam put-user-policy --user-name {AWS_USER} --policy-name {AWS_POLICY_NAME} \
         --policy-document file://policy.json\n\
         aws iam create-access-key --user-name {AWS_USER}\n\
         # Put the new AccessKeyId and SecretAccessKey (region {region}) into their own profile:\n\
         aws configure --profile {AWS_PROFILE}\n\
         fioreg add aws --url {url} --profile {AWS_PROFILE}\n"
    ))
}

/// The gcloud commands for a service account that can only pull from one Artifact Registry repository.
pub fn gar_commands(
    project: &str,
    location: &str,
    repository: &str,
    name: &str,
) -> Result<String, String> {
    validate_gcp_project(project)?;
    validate_gar_location(location)?;
    validate_gar_repository(repository)?;
    validate_service_account(name)?;
    Ok(GAR_TEMPLATE
        .replace("PROJECT", project)
        .replace("LOCATION", location)
        .replace("REPOSITORY", repository)
        .replace("NAME", name))
}

/// The ARN partition for an ECR url: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`.
pub fn partition(url: &str, region: &str) -> &'static str {
    if url.ends_with(".amazonaws.com.cn") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An ECR repository name: lowercase path components like `team/app`, 2-256 characters.
pub fn validate_ecr_repository(name: &str) -> Result<(), String> {
    let component_ok = |c: &str| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|&x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"._-".contains(&x))
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    if (2..=256).contains(&name.len()) && name.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an ECR repository name: use lowercase letters, digits, `.`, `_`, `-` \
             and `/`, e.g. team/app"
        ))
    }
}

/// Lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit.
fn gcp_name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .all(|&x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == b'-')
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last()
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
}

/// A GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter.
pub fn validate_gcp_project(project: &str) -> Result<(), String> {
    if (6..=30).contains(&project.len()) && gcp_name_ok(project) {
        Ok(())
    } else {
        Err(format!(
            "`{project}` is not a project id: use 6-30 lowercase letters, digits or hyphens, \
             starting with a letter (the id, not the display name, e.g. acme-prod-123)"
        ))
    }
}

/// A location like `us-central1`, `europe-west4` or the multi-regions `us`, `europe`, `asia`.
pub fn validate_gar_location(location: &str) -> Result<(), String> {
    if location.ends_with("-docker.pkg.dev") {
        return Err(format!(
            "`{location}` is a registry host: give only the location, e.g. us-central1"
        ));
    }
    if location.is_empty() || !gcp_name_ok(location) {
        return Err(format!(
            "`{location}` is not a location: use e.g. us-central1, europe-west4 or us"
        ));
    }
    // The same rule as the url check, so `us-central-1` gets its hint.
    provider::gar::validate_url(&format!("{location}-docker.pkg.dev"))
}

/// An Artifact Registry repository id: lowercase letters, digits and hyphens, at most 63.
pub fn validate_gar_repository(repository: &str) -> Result<(), String> {
    if (1..=63).contains(&repository.len()) && gcp_name_ok(repository) {
        Ok(())
    } else {
        Err(format!(
            "`{repository}` is not a repository id: use up to 63 lowercase letters, digits or \
             hyphens, starting with a letter"
        ))
    }
}

/// A service account name: 6-30 lowercase letters, digits or hyphens, starting with a letter.
pub fn validate_service_account(name: &str) -> Result<(), String> {
    if (6..=30).contains(&name.len()) && gcp_name_ok(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a service account name: use 6-30 lowercase letters, digits or \
             hyphens, starting with a letter, e.g. foundries-ci-pull"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

    #[test]
    fn aws_policy_exact() {
        let expected = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "EcrLogin",
      "Effect": "Allow",
      "Action": "ecr:GetAuthorizationToken",
      "Resource": "*"
    },
    {
      "Sid": "EcrPull",
      "Effect": "Allow",
      "Action": [
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability"
      ],
      "Resource": "arn:aws:ecr:us-east-2:123456789012:repository/*"
    }
  ]
}
"#;
        assert_eq!(aws_pull_policy(URL, &[]).unwrap(), expected);
    }

    #[test]
    fn aws_policy_is_json_and_scopes_to_one_repository() {
        let text = aws_pull_policy(
            " 123456789012.DKR.ecr.us-east-2.amazonaws.com",
            &["team/app".to_string()],
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["Statement"][1]["Resource"],
            "arn:aws:ecr:us-east-2:123456789012:repository/team/app"
        );
        assert_eq!(v["Statement"][0]["Resource"], "*");
        assert_eq!(v["Statement"][1]["Action"].as_array().unwrap().len(), 3);
        let cn = aws_pull_policy("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", &[]).unwrap();
        assert!(
            cn.contains("arn:aws-cn:ecr:cn-north-1:123456789012:repository/*"),
            "{cn}"
        );
        let gov = aws_pull_policy("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", &[]).unwrap();
        assert!(gov.contains("arn:aws-us-gov:ecr:us-gov-west-1:"), "{gov}");
    }

    #[test]
    fn aws_policy_errors() {
        assert!(
            aws_pull_policy("ghcr.io", &[])
                .unwrap_err()
                .contains("not an ECR url")
        );
        assert!(
            aws_pull_policy("https://123456789012.dkr.ecr.us-east-2.amazonaws.com", &[]).is_err()
        );
        for bad in ["App", "-app", "app/", "a", "team//app", "app name"] {
            let err = aws_pull_policy(URL, &[bad.to_string()]).unwrap_err();
            assert!(err.contains("ECR repository name"), "{bad}: {err}");
        }
        assert!(aws_policy_help("acmeprod.azurecr.io").is_err());
    }

    #[test]
    fn aws_help_exact() {
        let expected = "\
# Save the policy as policy.json, then create an IAM user that can only pull:
aws iam create-user --user-name fioreg-ci-pull
aws iam put-user-policy --user-name fioreg-ci-pull --policy-name ecr-pull --policy-document file://policy.json
aws iam create-access-key --user-name fioreg-ci-pull
# Put the new AccessKeyId and SecretAccessKey (region us-east-2) into their own profile:
aws configure --profile ci-pull
fioreg add aws --url 123456789012.dkr.ecr.us-east-2.amazonaws.com --profile ci-pull
";
        assert_eq!(aws_policy_help(URL).unwrap(), expected);
    }

    #[test]
    fn gar_commands_exact() {
        let expected = "\
# A service account that can only pull from the one Artifact Registry repository containers:
gcloud iam service-accounts create foundries-ci-pull --project=acme-prod-123 --display-name=\"Foundries CI pull-only\"
gcloud artifacts repositories add-iam-policy-binding containers --project=acme-prod-123 --location=europe-west4 --member=serviceAccount:foundries-ci-pull@acme-prod-123.iam.gserviceaccount.com --role=roles/artifactregistry.reader
gcloud iam service-accounts keys create foundries-ci-pull-key.json --iam-account=foundries-ci-pull@acme-prod-123.iam.gserviceaccount.com
fioreg add gar --key-file foundries-ci-pull-key.json --url europe-west4-docker.pkg.dev
# foundries-ci-pull-key.json is a long-lived credential: delete it once fioreg has stored it as a factory secret.
";
        let got = gar_commands(
            "acme-prod-123",
            "europe-west4",
            "containers",
            "foundries-ci-pull",
        )
        .unwrap();
        assert_eq!(got, expected);
        assert!(gar_commands("acme-prod-123", "us", "containers", "foundries-ci-pull").is_ok());
    }

    #[test]
    fn gar_validation_errors() {
        let ok = (
            "acme-prod-123",
            "us-central1",
            "containers",
            "foundries-ci-pull",
        );
        let run = |p: &str, l: &str, r: &str, n: &str| gar_commands(p, l, r, n).unwrap_err();

        let err = run(ok.0, "us-central-1", ok.2, ok.3);
        assert!(err.contains("us-central1"), "{err}");
        assert!(err.contains("without a dash"), "{err}");
        let err = run(ok.0, "us-central1-docker.pkg.dev", ok.2, ok.3);
        assert!(err.contains("only the location"), "{err}");
        assert!(run(ok.0, "", ok.2, ok.3).contains("not a location"));
        assert!(run(ok.0, "US-Central1", ok.2, ok.3).contains("not a location"));

        for bad in [
            "acme",
            "Acme-prod",
            "1acme-prod",
            "acme-prod-",
            "acme_prod_1",
            &"a".repeat(31),
        ] {
            assert!(
                run(bad, ok.1, ok.2, ok.3).contains("not a project id"),
                "{bad}"
            );
        }
        for bad in ["", "Containers", "my_repo", "-repo", "repo-"] {
            assert!(
                run(ok.0, ok.1, bad, ok.3).contains("not a repository id"),
                "{bad}"
            );
        }
        for bad in [
            "ci",
            "CI-pull-sa",
            "ci_pull_sa",
            "ci-pull-",
            &"s".repeat(31),
        ] {
            let err = run(ok.0, ok.1, ok.2, bad);
            assert!(err.contains("not a service account name"), "{bad}: {err}");
        }
    }
}
