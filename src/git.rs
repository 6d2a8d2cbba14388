//! The factory's ci-scripts checkout, through the real git CLI: where the work tree is, whether
//! factory-config.yml has changes of its own, and committing (and pushing) only that file.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git was not found on PATH: install git, or leave out --commit")]
    NotInstalled,
    #[error("{path} is not inside a git work tree, so it cannot be committed; leave out --commit")]
    NotARepo { path: String },
    #[error(
        "{path} already has uncommitted changes that fioreg did not make; commit or stash them \
         first so the commit holds only fioreg's change (nothing was changed)"
    )]
    Dirty { path: String },
    #[error("`git {args}` failed: {message}")]
    Failed { args: String, message: String },
}

/// A file inside a git work tree.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub root: PathBuf,
    /// The file's path relative to `root`, as git shows it.
    pub rel: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => GitError::NotInstalled,
            _ => GitError::Failed {
                args: args.join(" "),
                message: e.to_string(),
            },
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let message = err
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .to_string();
        Err(GitError::Failed {
            args: args.join(" "),
            message,
        })
    }
}

impl Checkout {
    /// The work tree holding `file`, or `None` when it is not in one (or git is missing). A
    /// symlink counts as the file it points to: that is the file fioreg changes.
    pub fn find(file: &Path) -> Option<Checkout> {
        let file = crate::factory_config::write::target(file).ok()?;
        let abs = std::path::absolute(&file).ok()?;
        let dir = abs.parent()?;
        let root = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"]).ok()?);
        let root = root.canonicalize().unwrap_or(root);
        let dir = dir.canonicalize().ok()?;
        let rel = dir.strip_prefix(&root).ok()?.join(abs.file_name()?);
        Some(Checkout { root, rel })
    }

    /// Like [`Checkout::find`], but an error that says why when there is no work tree.
    pub fn require(file: &Path) -> Result<Checkout, GitError> {
        if Command::new("git").arg("--version").output().is_err() {
            return Err(GitError::NotInstalled);
        }
        Checkout::find(file).ok_or_else(|| GitError::NotARepo {
            path: file.display().to_string(),
        })
    }

    fn rel_str(&self) -> String {
        self.rel.to_string_lossy().into_owned()
    }

    /// The current branch (or `HEAD` when detached).
    pub fn branch(&self) -> Result<String, GitError> {
        git(&self.root, &["rev-parse", "--abbrev-ref", "HEAD"])
            .or_else(|_| git(&self.root, &["symbolic-ref", "--short", "HEAD"]))
    }

    /// Refuses when the file already differs from HEAD (staged or not).
    pub fn ensure_clean(&self) -> Result<(), GitError> {
        let status = git(
            &self.root,
            &[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                &self.rel_str(),
            ],
        )?;
        if status.is_empty() {
            Ok(())
        } else {
            Err(GitError::Dirty {
                path: self.rel_str(),
            })
        }
    }

    /// Commits only the file, whatever else is staged; returns the short commit id.
    pub fn commit(&self, message: &str) -> Result<String, GitError> {
        let rel = self.rel_str();
        git(&self.root, &["add", "--", &rel])?;
        git(
            &self.root,
            &["commit", "--quiet", "-m", message, "--only", "--", &rel],
        )?;
        git(&self.root, &["rev-parse", "--short", "HEAD"])
    }

    /// Pushes the current branch to its upstream (or to origin under the same name).
    pub fn push(&self) -> Result<String, GitError> {
        let branch = self.branch()?;
        if git(&self.root, &["rev-parse", "--abbrev-ref", "@{upstream}"]).is_ok() {
            git(&self.root, &["push", "--quiet"])?;
        } else {
            git(&self.root, &["push", "--quiet", "origin", &branch])?;
        }
        Ok(branch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let st = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert!(
                st.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&st.stderr)
            );
        };
        run(&["init", "--quiet", "-b", "main"]);
        run(&["config", "user.email", "t@example.com"]);
        run(&["config", "user.name", "T"]);
        fs::write(dir.path().join("factory-config.yml"), "a: 1\n").unwrap();
        fs::write(dir.path().join("other.txt"), "x\n").unwrap();
        run(&["add", "."]);
        run(&["commit", "--quiet", "-m", "init"]);
        dir
    }

    #[test]
    fn commits_only_the_config() {
        let dir = repo();
        let file = dir.path().join("factory-config.yml");
        let co = Checkout::require(&file).unwrap();
        assert_eq!(co.rel, PathBuf::from("factory-config.yml"));
        assert_eq!(co.branch().unwrap(), "main");
        co.ensure_clean().unwrap();
        fs::write(&file, "a: 2\n").unwrap();
        fs::write(dir.path().join("other.txt"), "staged\n").unwrap();
        git(dir.path(), &["add", "other.txt"]).unwrap();
        co.commit("container_registries: add generic ghcr.io")
            .unwrap();
        let shown = git(dir.path(), &["show", "--name-only", "--format=%s", "HEAD"]).unwrap();
        assert_eq!(
            shown,
            "container_registries: add generic ghcr.io\n\nfactory-config.yml"
        );
        // other.txt stays staged, not committed.
        assert_eq!(
            git(dir.path(), &["diff", "--cached", "--name-only"]).unwrap(),
            "other.txt"
        );
    }

    #[test]
    fn dirty_file_is_refused_and_non_repo_explained() {
        let dir = repo();
        let file = dir.path().join("factory-config.yml");
        fs::write(&file, "a: 3\n").unwrap();
        let err = Checkout::require(&file)
            .unwrap()
            .ensure_clean()
            .unwrap_err();
        assert!(
            err.to_string().contains("already has uncommitted changes"),
            "{err}"
        );
        let plain = tempfile::tempdir().unwrap();
        let err = Checkout::require(&plain.path().join("factory-config.yml")).unwrap_err();
        assert!(
            err.to_string().contains("not inside a git work tree"),
            "{err}"
        );
    }
}
