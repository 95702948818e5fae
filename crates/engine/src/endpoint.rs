//! How Binnacle reaches a host's engine: a unix socket, TCP (TLS with client
//! certificates; plain only to a loopback address or when told so), or SSH
//! (the remote `docker system dial-stdio`, as the docker CLI does).

use std::net::IpAddr;
use std::path::PathBuf;

/// The client certificate files of a TLS endpoint (Docker's `--tlsverify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Docker's convention: `ca.pem`, `cert.pem` and `key.pem` in one directory.
    pub fn in_dir(dir: impl Into<PathBuf>) -> TlsFiles {
        let dir = dir.into();
        TlsFiles { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix {
        path: PathBuf,
    },
    Tcp {
        host: String,
        port: u16,
        tls: Option<TlsFiles>,
    },
    Ssh {
        user: Option<String>,
        host: String,
        port: Option<u16>,
        /// A private key file (`ssh -i`); else ssh's own defaults.
        identity: Option<PathBuf>,
        /// A known_hosts file to check the host key against; else ssh's own.
        known_hosts: Option<PathBuf>,
    },
}

impl Endpoint {
    /// Parses `unix:///path`, `tcp://host:port` (also `http://`) and
    /// `ssh://[user@]host[:port]`. TCP starts plain; TLS files and SSH
    /// identities come from the caller.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "{url:?}: unix:// needs an absolute socket path, e.g. unix:///var/run/docker.sock"
                ));
            }
            return Ok(Endpoint::Unix { path: PathBuf::from(path) });
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("{url:?}: expected unix:///path, tcp://host:port or ssh://user@host[:port]"))?;
        let rest = rest.trim_end_matches('/');
        match scheme {
            "tcp" | "http" => {
                let (host, port) = split_host_port(rest).ok_or_else(|| format!("{url:?}: tcp:// needs host:port"))?;
                let port = port.ok_or_else(|| format!("{url:?}: tcp:// needs a port, e.g. tcp://{host}:2376"))?;
                Ok(Endpoint::Tcp { host, port, tls: None })
            }
            "ssh" => {
                let (user, hostport) = match rest.rsplit_once('@') {
                    Some((user, hostport)) if !user.is_empty() => (Some(user.to_string()), hostport),
                    Some(_) => return Err(format!("{url:?}: empty user name")),
                    None => (None, rest),
                };
                let (host, port) = split_host_port(hostport).ok_or_else(|| format!("{url:?}: ssh:// needs a host"))?;
                if user.as_deref().is_some_and(|u| u.starts_with('-') || u.contains(char::is_whitespace)) {
                    return Err(format!("{url:?}: not a user name"));
                }
                Ok(Endpoint::Ssh { user, host, port, identity: None, known_hosts: None })
            }
            other => Err(format!("{url:?}: unsupported scheme {other}:// (use unix://, tcp:// or ssh://)")),
        }
    }

    /// How the engine is reached, for the host's status: `unix`, `tcp`, `tcp+tls`, `ssh`.
    pub fn transport(&self) -> &'static str {
        match self {
            Endpoint::Unix { .. } => "unix",
            Endpoint::Tcp { tls: None, .. } => "tcp",
            Endpoint::Tcp { tls: Some(_), .. } => "tcp+tls",
            Endpoint::Ssh { .. } => "ssh",
        }
    }

    /// A TCP endpoint to this machine itself (plain TCP is allowed there).
    pub fn is_loopback(&self) -> bool {
        match self {
            Endpoint::Tcp { host, .. } => {
                host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            _ => false,
        }
    }
}

/// `host:port`, `host`, `[v6]:port` -> (host, port). Hosts are names or addresses, never paths.
fn split_host_port(raw: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(v6) = raw.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (host.to_string(), port)
    } else {
        match raw.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port.parse().ok()?)),
            None => (raw.to_string(), None),
        }
    };
    let ok = !host.is_empty()
        && !host.starts_with('-')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    ok.then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_each_kind_parse() {
        assert_eq!(
            Endpoint::parse("unix:///var/run/docker.sock").unwrap(),
            Endpoint::Unix { path: "/var/run/docker.sock".into() }
        );
        assert_eq!(
            Endpoint::parse("tcp://10.0.0.5:2376").unwrap(),
            Endpoint::Tcp { host: "10.0.0.5".into(), port: 2376, tls: None }
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:2375").unwrap(),
            Endpoint::Tcp { host: "::1".into(), port: 2375, tls: None }
        );
        assert_eq!(
            Endpoint::parse("ssh://deploy@vps.example:2222").unwrap(),
            Endpoint::Ssh {
                user: Some("deploy".into()),
                host: "vps.example".into(),
                port: Some(2222),
                identity: None,
                known_hosts: None
            }
        );
        assert_eq!(
            Endpoint::parse("ssh://vps").unwrap(),
            Endpoint::Ssh { user: None, host: "vps".into(), port: None, identity: None, known_hosts: None }
        );
    }

    #[test]
    fn bad_addresses_say_why() {
        for bad in [
            "unix://relative.sock",
            "tcp://10.0.0.5",
            "tcp://:2376",
            "ftp://x",
            "nas",
            "ssh://-oProxyCommand=x",
            "ssh://@host",
            "tcp://a b:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_tcp_is_this_machine() {
        assert!(Endpoint::parse("tcp://127.0.0.1:2375").unwrap().is_loopback());
        assert!(Endpoint::parse("tcp://localhost:2375").unwrap().is_loopback());
        assert!(Endpoint::parse("tcp://[::1]:2375").unwrap().is_loopback());
        assert!(!Endpoint::parse("tcp://10.0.0.5:2375").unwrap().is_loopback());
    }
}
