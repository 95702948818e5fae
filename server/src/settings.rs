//! Settings from flags and environment variables of the same meaning, plus a
//! `.env` file when present. Every value has a default that works locally.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Binnacle: a self-hosted web dashboard for Docker.
#[derive(Parser, Debug, Clone)]
#[command(name = "binnacle", version, about)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(long, env = "BINNACLE_LISTEN", value_name = "BINNACLE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Docker engine address of the host named "local": unix:///path or tcp://host:port.
    #[arg(long = "docker-host", env = "DOCKER_HOST", value_name = "DOCKER_HOST",
          default_value = "unix:///var/run/docker.sock")]
    pub docker_host: String,

    /// How often a reachable engine is checked (an unreachable one backs off 1 s to 30 s).
    #[arg(long, env = "BINNACLE_ENGINE_CHECK_INTERVAL", value_name = "BINNACLE_ENGINE_CHECK_INTERVAL",
          default_value = "5s", value_parser = parse_duration)]
    pub engine_check_interval: Duration,

    /// Log filter, e.g. `info` or `binnacle=debug,info`.
    #[arg(long, env = "BINNACLE_LOG", value_name = "BINNACLE_LOG", default_value = "info")]
    pub log: String,
}

/// Durations are written like `500ms`, `1s`, `30m`, `2h`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(raw.trim())
        .map_err(|e| format!("{e} (write durations like 1s, 500ms, 30m)"))?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

impl Settings {
    /// Reads `.env` (if any), then flags and environment. On a bad value,
    /// returns one line that names the setting.
    pub fn load() -> Result<Settings, String> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(format!("error: cannot read .env: {e}")),
        }
        Self::from_args(std::env::args_os())
    }

    pub fn from_args<I, T>(args: I) -> Result<Settings, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Settings::try_parse_from(args).map_err(|e| match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                e.exit()
            }
            _ => e.render().to_string().lines().next().unwrap_or("error: invalid settings").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_port_3000() {
        let s = Settings::from_args(["binnacle"]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(s.engine_check_interval, Duration::from_secs(5));
    }

    #[test]
    fn a_bad_listen_address_names_the_setting_in_one_line() {
        let err = Settings::from_args(["binnacle", "--listen", "nowhere"]).unwrap_err();
        assert!(err.contains("BINNACLE_LISTEN"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
