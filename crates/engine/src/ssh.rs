//! SSH to a remote engine the way the docker CLI does it: each HTTP
//! connection is one `ssh ... docker system dial-stdio`, and all of a
//! host's connections share one multiplexed ssh master (ControlMaster), so
//! only the first pays the handshake. ssh's own reason for a failure
//! ("Permission denied (publickey)", "Host key verification failed") is kept
//! for the host's status.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The body type of bollard's requests (named through its public alias).
trait BodyOf {
    type Body;
}
impl<B> BodyOf for http::Request<B> {
    type Body = B;
}
type BollardBody = <bollard::BollardRequest as BodyOf>::Body;

/// How to reach one host over ssh.
#[derive(Debug, Clone)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
}

impl SshTarget {
    /// `ssh` arguments up to the remote command.
    fn args(&self, control_dir: &std::path::Path) -> Vec<String> {
        let mut args: Vec<String> = [
            "-F",
            "none",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "ServerAliveInterval=10",
            "-o",
            "ServerAliveCountMax=2",
            "-o",
            "ControlMaster=auto",
            "-o",
            "ControlPersist=60",
        ]
        .map(String::from)
        .to_vec();
        args.push("-o".into());
        args.push(format!("ControlPath={}/%C", control_dir.display()));
        if let Some(identity) = &self.identity {
            args.extend(["-o".into(), "IdentitiesOnly=yes".into(), "-i".into(), identity.display().to_string()]);
        }
        if let Some(known_hosts) = &self.known_hosts {
            args.extend([
                "-o".into(),
                format!("UserKnownHostsFile={}", known_hosts.display()),
                "-o".into(),
                "StrictHostKeyChecking=yes".into(),
            ]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        if let Some(user) = &self.user {
            args.extend(["-l".into(), user.clone()]);
        }
        // `--` ends the options: the host can never be read as one.
        args.extend(["--".into(), self.host.clone(), "docker".into(), "system".into(), "dial-stdio".into()]);
        args
    }
}

/// ssh's last words when a connection failed, for the host's status.
pub type LastSshError = Arc<Mutex<Option<String>>>;

#[derive(Clone)]
struct SshConnector {
    args: Arc<Vec<String>>,
    last_error: LastSshError,
}

/// One `dial-stdio` channel as a byte stream.
pub struct SshStream {
    _child: Child,
    stdin: TokioIo<ChildStdin>,
    stdout: TokioIo<ChildStdout>,
}

impl tower_service::Service<Uri> for SshConnector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let args = self.args.clone();
        let last_error = self.last_error.clone();
        Box::pin(async move {
            let mut child = Command::new("ssh")
                .args(args.iter())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("ssh: cannot run the ssh client: {e}")))?;
            let (Some(stdin), Some(stdout), Some(stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("ssh: no pipes"));
            };
            // Keep ssh's last line of complaint; it says why a connection failed.
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let line = line.trim().to_string();
                    if !line.is_empty() {
                        *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(line);
                    }
                }
            });
            Ok(SshStream { _child: child, stdin: TokioIo::new(stdin), stdout: TokioIo::new(stdout) })
        })
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stdin).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_shutdown(cx)
    }
}

/// A bollard client for `target`; ssh's last complaint is kept in `last_error`.
pub fn connect(
    target: &SshTarget,
    timeout_secs: u64,
    last_error: Option<LastSshError>,
) -> Result<bollard::Docker, String> {
    let control_dir = std::env::temp_dir().join(format!("binnacle-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&control_dir).map_err(|e| format!("cannot create {}: {e}", control_dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&control_dir, std::fs::Permissions::from_mode(0o700));
    }
    let last_error = last_error.unwrap_or_default();
    let connector = SshConnector { args: Arc::new(target.args(&control_dir)), last_error };
    let client: Client<SshConnector, BollardBody> = Client::builder(TokioExecutor::new()).build(connector);
    let client = Arc::new(client);
    bollard::Docker::connect_with_custom_transport(
        move |req: bollard::BollardRequest| {
            let client = client.clone();
            async move { client.request(req).await.map_err(bollard::errors::Error::from) }
        },
        Some("http://docker.ssh"),
        timeout_secs,
        bollard::API_DEFAULT_VERSION,
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_is_asked_for_dial_stdio_with_the_host_after_the_options() {
        let target = SshTarget {
            user: Some("deploy".into()),
            host: "vps.example".into(),
            port: Some(2222),
            identity: Some("/keys/id".into()),
            known_hosts: Some("/keys/known_hosts".into()),
        };
        let args = target.args(std::path::Path::new("/run/x"));
        let joined = args.join(" ");
        assert!(
            joined.contains("-p 2222") && joined.contains("-l deploy") && joined.contains("-i /keys/id"),
            "{joined}"
        );
        assert!(joined.contains("StrictHostKeyChecking=yes") && joined.contains("BatchMode=yes"));
        assert!(joined.ends_with("-- vps.example docker system dial-stdio"), "{joined}");
    }
}
