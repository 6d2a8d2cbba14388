//! Which Dockerfiles and compose files Foundries CI builds from a containers.git checkout.
//!
//! Containers, from ci-scripts apps/build.sh:
//! - `IMAGES=$(find ./ -mindepth 2 -maxdepth 2 -name Dockerfile | cut -d / -f2)`: every
//!   directory one level down holding a `Dockerfile`;
//! - for every top-level `DIR/.ci-search-subdirs`, also every `DIR/SUB` holding a `Dockerfile`;
//! - `echo $x | grep -q -E \.disabled$ && continue`: a path ending in `.disabled` is skipped;
//! - `DIR/docker-build.conf` is sourced: `DOCKERFILE` (relative to DIR, default `Dockerfile`),
//!   `BUILD_CONTEXT` (relative to DIR), `SKIP_ARCHS` (the builder arches to skip: amd64, arm64,
//!   arm);
//! - `DIR/.docker_build_args`: blank lines and lines starting with `#` dropped, every other
//!   line becomes `--build-arg LINE`;
//! - the image is `hub.foundries.io/<factory>/<DIR with / as ->`;
//! - `pre-build.conf` at the top is sourced first and may set `IMAGES` or change any file: a
//!   scan cannot see what it does.
//!
//! Compose apps, from ci-scripts apps/compose_apps.py (`ComposeApps.__init__`): every
//! top-level entry not ending in `.disabled` that holds `docker-compose.yml`; one that holds
//! only `docker-compose.yaml` fails the build ("This must be named docker-compose.yml").

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The builder architectures CI runs container builds on (apps/build.sh `ARCH`).
pub const CI_ARCHS: [&str; 3] = ["amd64", "arm64", "arm"];

/// A container CI builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Its directory in the repository, e.g. `app` or `group/app`.
    pub dir: String,
    /// The image name under hub.foundries.io/<factory>/ (`/` as `-`).
    pub name: String,
    /// The Dockerfile CI builds, relative to the repository root.
    pub dockerfile: String,
    /// The `.docker_build_args` pairs (`NAME=VALUE`).
    pub build_args: HashMap<String, String>,
    /// `SKIP_ARCHS` from docker-build.conf.
    pub skip_archs: Vec<String>,
    /// The line of `DOCKERFILE=` in docker-build.conf, when it set one.
    pub dockerfile_set_at: Option<usize>,
}

/// A compose app CI publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub dir: String,
    /// `DIR/docker-compose.yml`.
    pub file: String,
}

/// What the walk found.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub containers: Vec<Container>,
    pub apps: Vec<App>,
    /// `pre-build.conf` exists at the top.
    pub pre_build: bool,
    /// `DIR/docker-compose.yaml` without `DIR/docker-compose.yml` (CI fails).
    pub lone_yaml: Vec<String>,
    /// Containers whose SKIP_ARCHS skips every CI builder (never built).
    pub never_built: Vec<String>,
}

fn is_dir(p: &Path) -> bool {
    p.is_dir()
}

/// The sorted names of the directories directly in `dir`.
fn subdirs(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        if is_dir(&entry.path()) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Removes one level of shell quotes.
fn shell_unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    // An unquoted value ends at whitespace or a comment.
    v.split_whitespace().next().unwrap_or("").to_string()
}

/// The simple `NAME=VALUE` (or `export NAME=VALUE`) assignments of a sourced shell file, with
/// their lines. Anything else the file does is not seen.
pub fn shell_assignments(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("export ").unwrap_or(t).trim_start();
        if let Some((k, v)) = t.split_once('=')
            && !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            out.push((k.to_string(), shell_unquote(v), i + 1));
        }
    }
    out
}

/// `.docker_build_args` as CI turns it into `--build-arg`s (`sed '/^[[:space:]]*$/d' | sed
/// '/^#/d'`, then `eval`: one level of quotes is removed). A line without `=` takes its value
/// from CI's environment, which the scan cannot know: it is left out.
pub fn build_args(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let word = line.trim();
        if let Some((k, v)) = word.split_once('=') {
            out.insert(shell_unquote(k), shell_unquote(v));
        }
    }
    out
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

/// Walks a containers.git checkout as CI would.
pub fn walk(root: &Path) -> std::io::Result<Walk> {
    let mut w = Walk {
        pre_build: root.join("pre-build.conf").is_file(),
        ..Walk::default()
    };
    let top = subdirs(root)?;
    let mut images: Vec<String> = Vec::new();
    for d in &top {
        if root.join(d).join("Dockerfile").is_file() {
            images.push(d.clone());
        }
    }
    for d in &top {
        if root.join(d).join(".ci-search-subdirs").exists() {
            for sub in subdirs(&root.join(d))? {
                if root.join(d).join(&sub).join("Dockerfile").is_file() {
                    images.push(format!("{d}/{sub}"));
                }
            }
        }
    }
    for x in images {
        if x.ends_with(".disabled") {
            continue;
        }
        let mut dockerfile = "Dockerfile".to_string();
        let mut dockerfile_set_at = None;
        let mut skip_archs = Vec::new();
        if let Some(conf) = read(root, &format!("{x}/docker-build.conf")) {
            for (k, v, line) in shell_assignments(&conf) {
                match k.as_str() {
                    "DOCKERFILE" => {
                        dockerfile = v;
                        dockerfile_set_at = Some(line);
                    }
                    "SKIP_ARCHS" => {
                        skip_archs = v.split_whitespace().map(str::to_string).collect();
                    }
                    _ => {}
                }
            }
        }
        if CI_ARCHS.iter().all(|a| skip_archs.iter().any(|s| s == a)) {
            w.never_built.push(x);
            continue;
        }
        let args = read(root, &format!("{x}/.docker_build_args"))
            .map(|t| build_args(&t))
            .unwrap_or_default();
        w.containers.push(Container {
            name: x.replace('/', "-"),
            dockerfile: format!("{x}/{dockerfile}"),
            dir: x,
            build_args: args,
            skip_archs,
            dockerfile_set_at,
        });
    }
    for d in &top {
        if d.ends_with(".disabled") {
            continue;
        }
        if root.join(d).join("docker-compose.yml").is_file() {
            w.apps.push(App {
                dir: d.clone(),
                file: format!("{d}/docker-compose.yml"),
            });
        } else if root.join(d).join("docker-compose.yaml").exists() {
            w.lone_yaml.push(format!("{d}/docker-compose.yaml"));
        }
    }
    Ok(w)
}

/// The files of `root` that git does not track (untracked or ignored), when `root` is the top
/// of a git work tree (a containers.git clone): CI clones the repository, so it never sees
/// them. `None` outside git, or when `root` is only a folder inside another repository.
pub fn untracked(root: &Path) -> Option<BTreeSet<String>> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    if !String::from_utf8_lossy(&prefix.stdout).trim().is_empty() {
        return None;
    }
    let out = git(&["ls-files", "-z", "--others"])?;
    Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn the_ci_rules() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "a/Dockerfile", "FROM alpine\n");
        write(r, "b.disabled/Dockerfile", "FROM alpine\n");
        write(r, "deep/x/Dockerfile", "FROM alpine\n");
        write(r, "group/.ci-search-subdirs", "");
        write(r, "group/one/Dockerfile", "FROM alpine\n");
        write(r, "group/two.disabled/Dockerfile", "FROM alpine\n");
        write(r, "group/three/Dockerfile.other", "FROM alpine\n");
        write(
            r,
            "c/docker-build.conf",
            "# conf\nexport DOCKERFILE=\"Dockerfile.ci\"\nSKIP_ARCHS='arm'\n",
        );
        write(r, "c/Dockerfile", "FROM alpine\n");
        write(
            r,
            "c/.docker_build_args",
            "\n# c\nTAG=1.2\n  \nREG=\"ghcr.io/x\"\nFROMENV\n",
        );
        write(r, "never/Dockerfile", "FROM alpine\n");
        write(
            r,
            "never/docker-build.conf",
            "SKIP_ARCHS=\"amd64 arm64 arm\"\n",
        );
        write(r, "app/docker-compose.yml", "services: {}\n");
        write(r, "off.disabled/docker-compose.yml", "services: {}\n");
        write(r, "typo/docker-compose.yaml", "services: {}\n");
        write(r, "pre-build.conf", "IMAGES=a\n");
        let w = walk(r).unwrap();
        let dirs: Vec<&str> = w.containers.iter().map(|c| c.dir.as_str()).collect();
        assert_eq!(dirs, vec!["a", "c", "group/one"]);
        let c = &w.containers[1];
        assert_eq!(c.dockerfile, "c/Dockerfile.ci");
        assert_eq!(c.dockerfile_set_at, Some(2));
        assert_eq!(c.skip_archs, vec!["arm"]);
        assert_eq!(c.build_args.get("TAG").map(String::as_str), Some("1.2"));
        assert_eq!(
            c.build_args.get("REG").map(String::as_str),
            Some("ghcr.io/x")
        );
        assert!(!c.build_args.contains_key("FROMENV"));
        assert_eq!(w.containers[2].name, "group-one");
        assert_eq!(w.never_built, vec!["never"]);
        assert_eq!(w.apps.len(), 1);
        assert_eq!(w.apps[0].file, "app/docker-compose.yml");
        assert_eq!(w.lone_yaml, vec!["typo/docker-compose.yaml"]);
        assert!(w.pre_build);
    }
}
