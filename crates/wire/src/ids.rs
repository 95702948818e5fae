//! Names of hosts and containers, parsed once at the edge ("parse, don't
//! validate"): anything that could become part of a Docker API path or a URL
//! is checked here, before it reaches anything else.

use serde::{Deserialize, Serialize};

/// Input that was refused before anything reached Docker: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub reason: &'static str,
}

impl InvalidInput {
    pub const fn new(field: &'static str, reason: &'static str) -> Self {
        InvalidInput { field, reason }
    }
}

/// A configured Docker host's name, as it appears in URLs (`/containers/{host}/...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostName(String);

impl HostName {
    pub const MAX_LEN: usize = 32;

    /// `[a-z0-9][a-z0-9_-]{0,31}`: lowercase letters, digits, `_` and `-`,
    /// 1 to 32 characters, starting with a letter or digit.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(InvalidInput::new("host", "must be 1 to 32 characters"));
        }
        if raw.starts_with(['-', '_']) || !raw.chars().all(ok_char) {
            return Err(InvalidInput::new(
                "host",
                "only lowercase letters, digits, '_' and '-' are allowed, starting with a letter or digit",
            ));
        }
        Ok(HostName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HostName {
    type Error = InvalidInput;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        HostName::parse(&value)
    }
}

impl From<HostName> for String {
    fn from(value: HostName) -> Self {
        value.0
    }
}

impl std::fmt::Display for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A container reference: a full or short hex id, or a container name.
/// Anything else (slashes, spaces, dots first, over-long) is rejected before
/// it can reach the Docker API, where it would become part of a URL path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerId(String);

impl ContainerId {
    pub const MAX_LEN: usize = 128;

    /// Docker's own rule for names, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, which ids also satisfy.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let raw = raw.strip_prefix('/').unwrap_or(raw);
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(InvalidInput::new("container id", "must be 1 to 128 characters"));
        }
        let mut chars = raw.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok {
            return Err(InvalidInput::new(
                "container id",
                "expected a container id or name (letters, digits, '_', '.', '-')",
            ));
        }
        Ok(ContainerId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A full 64-hex-digit id: the form Docker's events use. Anything else
    /// (a short id, a name) must be resolved with the engine first.
    pub fn is_full(&self) -> bool {
        self.0.len() == 64 && self.0.bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// The 12-character form the docker CLI shows.
    pub fn short(&self) -> &str {
        let end = self.0.len().min(12);
        &self.0[..end]
    }
}

impl TryFrom<String> for ContainerId {
    type Error = InvalidInput;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ContainerId::parse(&value)
    }
}

impl From<ContainerId> for String {
    fn from(value: ContainerId) -> Self {
        value.0
    }
}

impl std::fmt::Display for ContainerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_hex_id_is_accepted() {
        let id = "a".repeat(64);
        let parsed = ContainerId::parse(&id).unwrap();
        assert_eq!(parsed.as_str(), id);
        assert!(parsed.is_full());
        assert!(!ContainerId::parse("web").unwrap().is_full());
    }

    #[test]
    fn a_container_name_is_accepted_and_a_leading_slash_dropped() {
        assert_eq!(ContainerId::parse("/my_app-1.web").unwrap().as_str(), "my_app-1.web");
    }

    #[test]
    fn path_tricks_and_blanks_are_rejected() {
        for bad in ["", "../etc", "a/b", "a b", ".hidden", "-x", "a%2f", "é", &"x".repeat(129)] {
            assert!(ContainerId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn host_names_are_lowercase_words() {
        assert!(HostName::parse("local").is_ok());
        assert!(HostName::parse("prod-2").is_ok());
        assert!(HostName::parse("edge_1").is_ok());
        assert!(HostName::parse(&"h".repeat(32)).is_ok());
        for bad in ["", "Local", "a/b", "-x", "_x", "a.b", "a b", &"h".repeat(33)] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn ids_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<ContainerId>("\"abc\"").is_ok());
        let err = serde_json::from_str::<ContainerId>("\"../x\"").unwrap_err();
        assert!(err.to_string().contains("invalid container id"), "{err}");
    }
}
