//! Where a plan's secret goes: fioctl, nowhere (a removal that keeps it), or a folder (demo).

use super::*;
use crate::fioctl::{Fioctl, FioctlError};
use crate::provider;

/// Where secrets go: the factory through fioctl, or a scratch folder in demo mode.
pub trait SecretStore: Send + Sync {
    /// Stores each secret under its name.
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError>;
    /// The names of the secrets that exist.
    fn list(&self) -> Result<Vec<String>, FioctlError>;
    /// Deletes each named secret.
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError>;
}

impl SecretStore for Fioctl {
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        self.secrets_update(secrets)
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        self.secrets_list()
    }
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError> {
        self.secrets_delete(names)
    }
}

pub(super) fn fioctl_update_command(factory: Option<&str>) -> String {
    match factory {
        Some(f) => format!("fioctl --factory {f} secrets update"),
        None => "fioctl secrets update".into(),
    }
}

/// A store for plans that neither store nor delete a secret: removing an entry and keeping its
/// secret needs no fioctl.
pub struct NoStore;

impl SecretStore for NoStore {
    fn update(&self, _: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        Err(FioctlError::Io(std::io::Error::other(
            "no secret store in use",
        )))
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        Ok(Vec::new())
    }
    fn delete(&self, _: &[&str]) -> Result<(), FioctlError> {
        Err(FioctlError::Io(std::io::Error::other(
            "no secret store in use",
        )))
    }
}

/// Demo mode's store: each secret becomes a 0600 file in a scratch folder; no fioctl, no factory.
#[derive(Debug)]
pub struct FolderStore {
    pub dir: PathBuf,
}

impl SecretStore for FolderStore {
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(&self.dir).map_err(FioctlError::Io)?;
        for (name, secret) in secrets {
            provider::validate_secret_name(name).map_err(|e| {
                FioctlError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            })?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(self.dir.join(name))
                .map_err(FioctlError::Io)?;
            f.write_all(secret.expose()).map_err(FioctlError::Io)?;
        }
        Ok(())
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        let mut names = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError> {
        for name in names {
            provider::validate_secret_name(name).map_err(|e| {
                FioctlError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            })?;
            match std::fs::remove_file(self.dir.join(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(FioctlError::Io(e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
