//! Azure Container Registry: `NAME.azurecr.io`, NAME 5-50 letters or digits.

pub fn validate_url(url: &str) -> Result<(), String> {
    let bad = || format!("`{url}` must be NAME.azurecr.io, NAME 5-50 letters or digits");
    let name = url.strip_suffix(".azurecr.io").ok_or_else(bad)?;
    if (5..=50).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(bad())
    }
}

pub const DEVICE_ADVICE: &str = "\
Devices: Azure has no device-side login. Wrap each image into hub.foundries.io: in your
containers.git add <CONTAINER>/Dockerfile holding `FROM <registry>/<image>:<tag>`, then let your
compose apps use hub.foundries.io/<factory>/<CONTAINER>.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_urls() {
        assert!(validate_url("acmeprod.azurecr.io").is_ok());
        assert!(validate_url("acme.azurecr.io").is_err());
        assert!(validate_url("acme-prod.azurecr.io").is_err());
        assert!(validate_url("acmeprod.azurecr.com").is_err());
    }
}
