//! The Docker hosts Binnacle watches. `local` is `DOCKER_HOST`; more come
//! from `BINNACLE_HOSTS_FILE` (TOML, `[[host]]` tables) and, for simple
//! cases, `BINNACLE_HOSTS` (`name=url,name=url`). A bad entry stops start-up
//! with one line naming the file, the line and the field; a host that does
//! not answer never does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use engine::endpoint::{Endpoint, TlsFiles};
use serde::Deserialize;
use toml::Spanned;
use wire::HostName;

/// One host as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    pub name: HostName,
    pub endpoint: Endpoint,
    /// Overrides `BINNACLE_READ_ONLY` for this host.
    pub read_only: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    host: Vec<Spanned<RawHost>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: Spanned<String>,
    url: Spanned<String>,
    ca: Option<Spanned<PathBuf>>,
    cert: Option<Spanned<PathBuf>>,
    key: Option<Spanned<PathBuf>>,
    cert_dir: Option<Spanned<PathBuf>>,
    identity: Option<Spanned<PathBuf>>,
    known_hosts: Option<Spanned<PathBuf>>,
    #[serde(default)]
    insecure: bool,
    read_only: Option<bool>,
}

/// Where an entry came from, for error lines.
struct Origin<'a> {
    /// `BINNACLE_HOSTS_FILE /etc/binnacle/hosts.toml` or `BINNACLE_HOSTS`.
    source: String,
    text: Option<&'a str>,
}

impl Origin<'_> {
    fn at(&self, span: Option<std::ops::Range<usize>>, field: &str, why: impl std::fmt::Display) -> String {
        let line = match (self.text, span) {
            (Some(text), Some(span)) => {
                let before = text.get(..span.start.min(text.len())).unwrap_or("");
                format!(" line {}", before.matches('\n').count() + 1)
            }
            _ => String::new(),
        };
        let field = if field.is_empty() { String::new() } else { format!(", `{field}`") };
        format!("error: {}{line}{field}: {why}", self.source)
    }
}

/// The name rule of a host: `[a-z0-9][a-z0-9_-]{0,31}`.
fn host_name(raw: &str) -> Result<HostName, String> {
    HostName::parse(raw).map_err(|e| format!("{raw:?}: {}", e.reason))
}

/// Reads the hosts file's text (named `path` in errors).
pub fn parse_hosts_file(path: &Path, text: &str) -> Result<Vec<HostConfig>, String> {
    let origin = Origin { source: format!("BINNACLE_HOSTS_FILE {}", path.display()), text: Some(text) };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let field = message.split('`').nth(1).unwrap_or("").to_string();
        origin.at(e.span(), if message.contains("field") { &field } else { "" }, message)
    })?;
    raw.host.into_iter().map(|h| host_from_raw(&origin, h)).collect()
}

fn host_from_raw(origin: &Origin, raw: Spanned<RawHost>) -> Result<HostConfig, String> {
    let table = raw.span();
    let raw = raw.into_inner();
    let name = host_name(raw.name.get_ref()).map_err(|why| origin.at(Some(raw.name.span()), "name", why))?;
    let mut endpoint = Endpoint::parse(raw.url.get_ref()).map_err(|why| origin.at(Some(raw.url.span()), "url", why))?;
    let span_of = |s: &Option<Spanned<PathBuf>>| s.as_ref().map(|s| s.span());
    match &mut endpoint {
        Endpoint::Tcp { tls, .. } => {
            let parts = (&raw.ca, &raw.cert, &raw.key);
            *tls = match (parts, &raw.cert_dir) {
                ((Some(ca), Some(cert), Some(key)), None) => Some(TlsFiles {
                    ca: ca.get_ref().clone(),
                    cert: cert.get_ref().clone(),
                    key: key.get_ref().clone(),
                }),
                ((None, None, None), Some(dir)) => Some(TlsFiles::in_dir(dir.get_ref())),
                ((None, None, None), None) => None,
                (_, Some(dir)) => {
                    return Err(origin.at(
                        Some(dir.span()),
                        "cert_dir",
                        "give either cert_dir or ca, cert and key, not both",
                    ));
                }
                _ => {
                    let span = span_of(&raw.ca).or(span_of(&raw.cert)).or(span_of(&raw.key));
                    return Err(origin.at(span, "ca", "TLS needs all three of ca, cert and key (or cert_dir)"));
                }
            };
        }
        Endpoint::Ssh { identity, known_hosts, .. } => {
            *identity = raw.identity.as_ref().map(|i| i.get_ref().clone());
            *known_hosts = raw.known_hosts.as_ref().map(|k| k.get_ref().clone());
        }
        Endpoint::Unix { .. } => {}
    }
    let tls_field = [("ca", &raw.ca), ("cert", &raw.cert), ("key", &raw.key), ("cert_dir", &raw.cert_dir)]
        .into_iter()
        .find(|(_, v)| v.is_some());
    if let (Some((field, value)), false) = (tls_field, matches!(endpoint, Endpoint::Tcp { .. })) {
        return Err(origin.at(span_of(value), field, "TLS files belong to tcp:// hosts"));
    }
    for (field, value) in [("identity", &raw.identity), ("known_hosts", &raw.known_hosts)] {
        if value.is_some() && !matches!(endpoint, Endpoint::Ssh { .. }) {
            return Err(origin.at(span_of(value), field, format!("{field} belongs to ssh:// hosts")));
        }
    }
    check_plain_tcp(&endpoint, raw.insecure).map_err(|why| origin.at(Some(raw.url.span()), "url", why))?;
    let _ = table;
    Ok(HostConfig { name, endpoint, read_only: raw.read_only })
}

/// Plain TCP gives anyone on the path root on that host: only to loopback,
/// or when the configuration says so.
fn check_plain_tcp(endpoint: &Endpoint, insecure: bool) -> Result<(), String> {
    match endpoint {
        Endpoint::Tcp { tls: None, host, port } if !endpoint.is_loopback() && !insecure => Err(format!(
            "tcp://{host}:{port} is plain TCP to another machine: give TLS client certificates \
             (ca, cert and key, or cert_dir) or set insecure = true"
        )),
        _ => Ok(()),
    }
}

/// `BINNACLE_HOSTS="nas=tcp://10.0.0.5:2376,vps=ssh://deploy@vps"`. A tcp
/// host uses TLS when `certs_dir/<name>/` holds ca.pem, cert.pem, key.pem.
pub fn parse_hosts_list(raw: &str, certs_dir: &Path) -> Result<Vec<HostConfig>, String> {
    let origin = Origin { source: "BINNACLE_HOSTS".into(), text: None };
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, url) =
            entry.split_once('=').ok_or_else(|| origin.at(None, "", format!("{entry:?} is not name=url")))?;
        let name = host_name(name.trim()).map_err(|why| origin.at(None, "name", why))?;
        let mut endpoint = Endpoint::parse(url).map_err(|why| origin.at(None, name.as_str(), why))?;
        if let Endpoint::Tcp { tls, .. } = &mut endpoint {
            let dir = certs_dir.join(name.as_str());
            if dir.join("ca.pem").exists() {
                *tls = Some(TlsFiles::in_dir(dir));
            }
        }
        check_plain_tcp(&endpoint, false).map_err(|why| {
            origin.at(
                None,
                name.as_str(),
                format!("{why} (BINNACLE_HOSTS reads certificates from {}/{name}/)", certs_dir.display()),
            )
        })?;
        out.push(HostConfig { name, endpoint, read_only: None });
    }
    Ok(out)
}

/// All hosts: `local` first, then the file's, then the list's; names unique.
pub fn all_hosts(local: HostConfig, file: Vec<HostConfig>, list: Vec<HostConfig>) -> Result<Vec<HostConfig>, String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for host in std::iter::once(local).chain(file).chain(list) {
        if !seen.insert(host.name.clone()) {
            return Err(format!(
                "error: host name \"{}\" is configured twice (names must be unique; `local` is DOCKER_HOST)",
                host.name
            ));
        }
        out.push(host);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Vec<HostConfig>, String> {
        parse_hosts_file(Path::new("/etc/binnacle/hosts.toml"), text)
    }

    #[test]
    fn a_hosts_file_of_each_kind_of_host_reads() {
        let hosts = file(
            r#"
[[host]]
name = "nas"
url = "tcp://10.0.0.5:2376"
cert_dir = "/certs/nas"
read_only = true

[[host]]
name = "lab"
url = "tcp://10.0.0.6:2376"
ca = "/c/ca.pem"
cert = "/c/cert.pem"
key = "/c/key.pem"

[[host]]
name = "vps"
url = "ssh://deploy@vps.example:2222"
identity = "/keys/vps"
known_hosts = "/keys/known_hosts"

[[host]]
name = "old_box"
url = "tcp://192.168.1.9:2375"
insecure = true

[[host]]
name = "podman"
url = "unix:///run/podman/podman.sock"
"#,
        )
        .unwrap();
        assert_eq!(hosts.len(), 5);
        assert_eq!(hosts[0].endpoint.transport(), "tcp+tls");
        assert_eq!(hosts[0].read_only, Some(true));
        assert!(
            matches!(&hosts[0].endpoint, Endpoint::Tcp { tls: Some(t), .. } if t.ca == Path::new("/certs/nas/ca.pem"))
        );
        assert!(matches!(&hosts[1].endpoint, Endpoint::Tcp { tls: Some(t), .. } if t.key == Path::new("/c/key.pem")));
        assert!(matches!(
            &hosts[2].endpoint,
            Endpoint::Ssh { identity: Some(_), known_hosts: Some(_), port: Some(2222), .. }
        ));
        assert_eq!(hosts[3].endpoint.transport(), "tcp");
        assert_eq!(hosts[4].endpoint.transport(), "unix");
    }

    #[test]
    fn a_bad_entry_names_the_file_the_line_and_the_field() {
        let cases = [
            (
                "[[host]]\nname = \"nas\"\nurl = \"tcp://10.0.0.5:2376\"\n",
                "line 3, `url`: tcp://10.0.0.5:2376 is plain TCP",
            ),
            ("[[host]]\nname = \"Nas!\"\nurl = \"unix:///x.sock\"\n", "line 2, `name`"),
            ("[[host]]\nname = \"nas\"\nurl = \"ftp://x\"\n", "line 3, `url`"),
            ("[[host]]\nname = \"nas\"\nurl = \"unix:///x.sock\"\ncolour = \"red\"\n", "line 4, `colour`"),
            (
                "[[host]]\nname = \"a\"\nurl = \"unix:///a.sock\"\n\n[[host]]\nname = \"b\"\nurll = \"unix:///x\"\n",
                "line 7, `urll`",
            ),
            ("[[host]]\nname = \"nas\"\n", "`url`"),
            (
                "[[host]]\nname = \"nas\"\nurl = \"tcp://10.0.0.5:2376\"\nca = \"/ca.pem\"\n",
                "line 4, `ca`: TLS needs all three",
            ),
            ("[[host]]\nname = \"nas\"\nurl = \"unix:///x.sock\"\nidentity = \"/k\"\n", "line 4, `identity`"),
            ("[[host]]\nname = \"nas\"\nurl = [1]\n", "line 3"),
            ("[[host]\n", "line 1"),
        ];
        for (text, expected) in cases {
            let err = file(text).unwrap_err();
            assert!(err.starts_with("error: BINNACLE_HOSTS_FILE /etc/binnacle/hosts.toml"), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn plain_tcp_is_fine_to_this_machine() {
        assert!(file("[[host]]\nname = \"second\"\nurl = \"tcp://127.0.0.1:2375\"\n").is_ok());
    }

    #[test]
    fn the_simple_list_reads_names_and_urls_and_certificates_by_convention() {
        let dir = std::env::temp_dir().join(format!("binnacle-certs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nas")).unwrap();
        std::fs::write(dir.join("nas/ca.pem"), "x").unwrap();
        let hosts = parse_hosts_list("nas=tcp://10.0.0.5:2376, vps=ssh://deploy@vps", &dir).unwrap();
        assert_eq!(hosts[0].endpoint.transport(), "tcp+tls");
        assert_eq!(hosts[1].endpoint.transport(), "ssh");
        let err = parse_hosts_list("lab=tcp://10.0.0.9:2376", &dir).unwrap_err();
        assert!(err.contains("BINNACLE_HOSTS") && err.contains("plain TCP"), "{err}");
        assert!(parse_hosts_list("nas", &dir).unwrap_err().contains("not name=url"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_are_unique_and_local_is_taken() {
        let local = HostConfig {
            name: HostName::parse("local").unwrap(),
            endpoint: Endpoint::parse("unix:///x").unwrap(),
            read_only: None,
        };
        let again = parse_hosts_list("local=unix:///y", Path::new("/nowhere")).unwrap();
        let err = all_hosts(local, vec![], again).unwrap_err();
        assert!(err.contains("\"local\" is configured twice"), "{err}");
    }
}
