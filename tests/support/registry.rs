//! The real Docker registry (the CNCF distribution registry, Debian package `docker-registry`)
//! started on 127.0.0.1 for one test, with htpasswd or token authentication.
//!
//! The process is killed when the `Registry` is dropped, and (PR_SET_PDEATHSIG) when the thread
//! that started it ends, so a crashed or killed test run leaves nothing behind.

#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "run `bash .ci/run` once (it installs the Debian packages \
docker-registry and apache2-utils), or `apt-get install -y docker-registry apache2-utils`";

pub enum Auth {
    /// Users and passwords for an htpasswd (bcrypt) file.
    Htpasswd(Vec<(String, String)>),
    /// JWTs from a token server, verified with `rootcertbundle`.
    Token {
        realm: String,
        service: String,
        issuer: String,
        rootcertbundle: PathBuf,
    },
}

pub struct Config {
    pub auth: Auth,
    /// `http.tls`: certificate and key files.
    pub tls: Option<(PathBuf, PathBuf)>,
}

pub struct Registry {
    /// `127.0.0.1:PORT`, as a factory-config url.
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
}

fn binary(name: &str, fallback: &str) -> PathBuf {
    which::which(name)
        .ok()
        .or_else(|| {
            Path::new(fallback)
                .exists()
                .then(|| PathBuf::from(fallback))
        })
        .unwrap_or_else(|| panic!("`{name}` is not installed: {INSTALL_HINT}"))
}

fn htpasswd_file(users: &[(String, String)], path: &Path) {
    let htpasswd = binary("htpasswd", "/usr/bin/htpasswd");
    let mut text = String::new();
    for (user, pass) in users {
        let out = Command::new(&htpasswd)
            .args(["-Bbn", user, pass])
            .output()
            .expect("run htpasswd");
        assert!(out.status.success(), "htpasswd failed: {out:?}");
        text.push_str(String::from_utf8_lossy(&out.stdout).trim());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write htpasswd");
}

/// A port on 127.0.0.1 that refuses connections: bound but never listening, so nothing else
/// (a stub another test starts meanwhile) can take it while the returned socket lives.
pub fn closed_port() -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a new socket owned at once; bind and getsockname get a sockaddr_in of `size`.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let socket = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        let at = &mut addr as *mut libc::sockaddr_in as *mut libc::sockaddr;
        assert_eq!(libc::bind(fd, at, size), 0, "bind");
        let mut len = size;
        assert_eq!(libc::getsockname(fd, at, &mut len), 0, "getsockname");
        (socket, u16::from_be(addr.sin_port))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn yaml_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

impl Registry {
    pub fn start(config: Config) -> Registry {
        let exe = binary("docker-registry", "/usr/bin/docker-registry");
        let dir = tempfile::tempdir().expect("tempdir");
        let auth = match &config.auth {
            Auth::Htpasswd(users) => {
                let path = dir.path().join("htpasswd");
                htpasswd_file(users, &path);
                format!(
                    "auth:\n  htpasswd:\n    realm: fioreg-test\n    path: {}\n",
                    yaml_str(&path.to_string_lossy())
                )
            }
            Auth::Token {
                realm,
                service,
                issuer,
                rootcertbundle,
            } => format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                yaml_str(realm),
                yaml_str(service),
                yaml_str(issuer),
                yaml_str(&rootcertbundle.to_string_lossy())
            ),
        };
        let tls = match &config.tls {
            None => String::new(),
            Some((cert, key)) => format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                yaml_str(&cert.to_string_lossy()),
                yaml_str(&key.to_string_lossy())
            ),
        };
        let mut last_log = String::new();
        // A port picked here may be taken before the registry binds it: try a few.
        for _attempt in 0..5 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let yaml = format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: fioreg-test-http-secret\n{tls}{auth}",
                yaml_str(&dir.path().join("data").to_string_lossy()),
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, &yaml).expect("write registry config");
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path).expect("registry log");
            let mut cmd = Command::new(&exe);
            cmd.arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .env_remove("REGISTRY_HTTP_ADDR");
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let mut child = cmd.spawn().expect("start docker-registry");
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(&addr).is_ok() {
                    return Registry { addr, child, dir };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let _ = child.kill();
            let _ = child.wait();
            if !last_log.contains("address already in use") {
                break;
            }
        }
        panic!("docker-registry did not start; its log:\n{last_log}");
    }

    /// Pushes a one-layer image `repo:tag` through the registry API; `authorization` is the
    /// Authorization header for push.
    pub fn push(&self, repo: &str, tag: &str, authorization: &str) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .new_agent();
        let base = format!("http://{}", self.addr);
        let sha256 = |data: &[u8]| {
            let d = ring::digest::digest(&ring::digest::SHA256, data);
            let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        };
        let upload = |data: &[u8]| -> (String, usize) {
            let digest = sha256(data);
            let started = agent
                .post(&format!("{base}/v2/{repo}/blobs/uploads/"))
                .header("Authorization", authorization)
                .send_empty()
                .expect("start a blob upload");
            assert_eq!(started.status().as_u16(), 202, "{}", self.log());
            let location = started
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .expect("upload location")
                .to_string();
            let location = if location.starts_with('/') {
                format!("{base}{location}")
            } else {
                location
            };
            let sep = if location.contains('?') { '&' } else { '?' };
            let done = agent
                .put(&format!("{location}{sep}digest={digest}"))
                .header("Authorization", authorization)
                .header("Content-Type", "application/octet-stream")
                .send(data)
                .expect("finish a blob upload");
            assert_eq!(done.status().as_u16(), 201, "{}", self.log());
            (digest, data.len())
        };
        let layer = format!("fioreg test layer {repo}:{tag}").into_bytes();
        let (layer_digest, layer_size) = upload(&layer);
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
        })
        .to_string();
        let (config_digest, config_size) = upload(config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config_size, "digest": config_digest
            },
            "layers": [{
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": layer_size, "digest": layer_digest
            }]
        })
        .to_string();
        let put = agent
            .put(&format!("{base}/v2/{repo}/manifests/{tag}"))
            .header("Authorization", authorization)
            .header(
                "Content-Type",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .send(manifest.as_bytes())
            .expect("put the manifest");
        assert_eq!(put.status().as_u16(), 201, "{}", self.log());
    }

    /// The registry's log so far (for failure messages).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("registry.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
