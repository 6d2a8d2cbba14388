//! moto's server (`moto_server`: IAM, STS and ECR) on a free 127.0.0.1 port for one test, and the
//! real AWS CLI pointed at it through AWS_ENDPOINT_URL.
//!
//! When a tool is missing the test fails with how to install it (`bash .ci/run` does).

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str =
    "run `bash .ci/run` once (it runs `pip install \"moto[server]\" awscli`)";

/// The real program behind `name` on PATH (a pyenv shim is resolved with `pyenv which`, since
/// the tests run tools with a scratch HOME).
pub fn real_tool(name: &str) -> PathBuf {
    let found =
        which::which(name).unwrap_or_else(|_| panic!("`{name}` is not installed: {INSTALL_HINT}"));
    if found.to_string_lossy().contains("/shims/") {
        let out = Command::new("pyenv")
            .args(["which", name])
            .output()
            .expect("pyenv which");
        assert!(out.status.success(), "pyenv which {name} failed");
        return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    }
    found
}

pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    child: Child,
    _home: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Moto {
    pub fn start() -> Moto {
        let bin = real_tool("moto_server");
        let home = tempfile::tempdir().expect("tempdir");
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("HOME", home.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // SAFETY: prctl in the child before exec; the server dies with the test thread.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let mut child = cmd.spawn().expect("start moto_server");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if child.try_wait().expect("try_wait").is_some() {
                    break; // the port was taken: try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Moto {
                        endpoint: format!("http://127.0.0.1:{port}"),
                        child,
                        _home: home,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start");
    }

    /// The real AWS CLI against this server with `env` (admin profile from `credentials`).
    pub fn aws(&self, credentials: &std::path::Path, args: &[&str]) -> serde_json::Value {
        let out = Command::new(real_tool("aws"))
            .args(["--output", "json", "--profile", "admin"])
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_DEFAULT_REGION", "us-east-2")
            .output()
            .expect("aws");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).expect("aws json")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
