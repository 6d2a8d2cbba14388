//! AWS Elastic Container Registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`.

/// The parts of an ECR url.
#[derive(Debug, PartialEq, Eq)]
pub struct EcrUrl<'a> {
    pub account: &'a str,
    pub region: &'a str,
}

pub const URL_SHAPE: &str = "ACCOUNT.dkr.ecr.REGION.amazonaws.com (ACCOUNT is 12 digits)";

/// Parses `123456789012.dkr.ecr.us-east-2.amazonaws.com` (also `.amazonaws.com.cn`).
pub fn parse_url(url: &str) -> Result<EcrUrl<'_>, String> {
    let bad = || format!("`{url}` is not an ECR url: expected {URL_SHAPE}");
    let (account, rest) = url.split_once(".dkr.ecr.").ok_or_else(bad)?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))
        .ok_or_else(bad)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{url}`: the account id `{account}` must be 12 digits ({URL_SHAPE})"
        ));
    }
    validate_region(region).map_err(|e| format!("`{url}`: {e}"))?;
    Ok(EcrUrl { account, region })
}

/// A region looks like `us-east-2`, `eu-west-1`, `ap-southeast-3`, `us-gov-west-1`.
pub fn validate_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{region}` is not an AWS region (it looks like us-east-2)"
        ))
    }
}

/// The region for an entry: `--region` when given, else the url's; a mismatch is an error,
/// because CI logs in to `region` and then pulls from `url`.
pub fn resolve_region(url: &str, region: Option<&str>) -> Result<String, String> {
    let parsed = parse_url(url)?;
    match region {
        None => Ok(parsed.region.to_string()),
        Some(r) => {
            validate_region(r)?;
            if r == parsed.region {
                Ok(r.to_string())
            } else {
                Err(format!(
                    "region `{r}` differs from the url's region `{}`: CI would log in to {r} and \
                     pull from {}; drop --region or fix the url",
                    parsed.region, url
                ))
            }
        }
    }
}

pub const DEVICE_ADVICE: &str = "\
Devices: CI can now pull from ECR. To let devices pull too, either copy a pull-only IAM user's
credentials to devices while bootstrapping, or, for production, give devices x509-backed access
through the AWS IoT credentials provider using the same certificates as the device gateway.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ecr_urls() {
        let u = parse_url("123456789012.dkr.ecr.us-east-2.amazonaws.com").unwrap();
        assert_eq!(u.account, "123456789012");
        assert_eq!(u.region, "us-east-2");
        assert!(parse_url("12345.dkr.ecr.us-east-2.amazonaws.com").is_err());
        assert!(parse_url("123456789012.dkr.ecr.useast.amazonaws.com").is_err());
        assert!(parse_url("ghcr.io").is_err());
    }

    #[test]
    fn region_from_url_or_flag() {
        let url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        assert_eq!(resolve_region(url, None).unwrap(), "eu-west-1");
        assert_eq!(resolve_region(url, Some("eu-west-1")).unwrap(), "eu-west-1");
        let err = resolve_region(url, Some("us-east-1")).unwrap_err();
        assert!(err.contains("differs"), "{err}");
    }
}
