//! What the engine's callers can be told went wrong, with the host and
//! container it concerns. The web layer maps each variant to an HTTP answer
//! once; nothing matches on message text.

use wire::{ContainerId, HostName, InvalidInput};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Refused before anything reached Docker.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("host \"{0}\" is not configured")]
    UnknownHost(HostName),
    #[error("container \"{id}\" not found on host \"{host}\"")]
    NotFound { host: HostName, id: ContainerId },
    /// The host's engine does not answer (or not in time).
    #[error("the Docker engine of host \"{0}\" is not answering")]
    Unavailable(HostName),
    /// Actions are refused on this host (`read_only`).
    #[error("host \"{0}\" is read-only: actions are disabled")]
    ReadOnly(HostName),
    /// An action Docker did not finish in time (it may still complete).
    #[error("the Docker engine of host \"{0}\" did not finish in time")]
    TimedOut(HostName),
    /// Docker understood and refused, with its own explanation.
    #[error("Docker refused: {0}")]
    Refused(String),
    /// An answer Binnacle did not expect; the detail is for the log only.
    #[error("unexpected engine answer: {0}")]
    Internal(String),
}

impl Error {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. } | Error::UnknownHost(_))
    }
}

/// The API's words for each engine error: the one mapping (statuses follow
/// from the kind, in `wire`).
impl From<Error> for wire::ApiError {
    fn from(e: Error) -> Self {
        use wire::{ApiError, ErrorKind};
        match e {
            Error::Invalid(invalid) => invalid.into(),
            Error::UnknownHost(host) => {
                ApiError { host: Some(host.to_string()), ..ApiError::not_found(format!("host \"{host}\"")) }
            }
            Error::NotFound { host, id } => ApiError::not_found(format!("container \"{id}\" on host \"{host}\"")),
            Error::Unavailable(host) => ApiError::engine_unavailable(host),
            Error::ReadOnly(host) => ApiError { host: Some(host.to_string()), ..ApiError::read_only() },
            Error::TimedOut(host) => ApiError {
                host: Some(host.to_string()),
                ..ApiError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the Docker engine of host \"{host}\" did not finish in time; the action may still complete"
                    ),
                )
            },
            Error::Refused(docker_says) => ApiError::conflict(docker_says),
            // Already logged where it happened, with its detail.
            Error::Internal(_) => ApiError::internal(),
        }
    }
}
