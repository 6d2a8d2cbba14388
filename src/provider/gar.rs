//! Google Artifact Registry: `LOCATION-docker.pkg.dev`. CI configures docker for every
//! `*-docker.pkg.dev` host, so the url is optional and only logged.

pub fn validate_url(url: &str) -> Result<(), String> {
    let loc = url.strip_suffix("-docker.pkg.dev").ok_or_else(|| {
        format!("`{url}` must be LOCATION-docker.pkg.dev, e.g. us-central1-docker.pkg.dev")
    })?;
    let ok = !loc.is_empty()
        && loc
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !loc.starts_with('-');
    if !ok {
        return Err(format!(
            "`{loc}` is not a location: use e.g. us-central1, europe-west4 or us"
        ));
    }
    // The docs once wrote `us-central-1`; real locations end in a letter or digits glued on.
    if loc
        .split('-')
        .next_back()
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "`{loc}` is not a location: regions are written like us-central1, without a dash \
             before the number"
        ));
    }
    Ok(())
}

pub const DEVICE_ADVICE: &str = "\
Devices: Google Artifact Registry has no device-side login. Wrap each image into hub.foundries.io:
in your containers.git add <CONTAINER>/Dockerfile holding `FROM <registry>/<image>:<tag>`, then let
your compose apps use hub.foundries.io/<factory>/<CONTAINER>.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gar_locations() {
        assert!(validate_url("us-central1-docker.pkg.dev").is_ok());
        assert!(validate_url("europe-docker.pkg.dev").is_ok());
        assert!(validate_url("us-central-1-docker.pkg.dev").is_err());
        assert!(validate_url("gcr.io").is_err());
    }
}
