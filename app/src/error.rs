//! The one error type every server function returns. It crosses the wire as
//! JSON, so the browser can tell "not found" from "engine down" and say so in
//! words. Internal details are logged on the server, never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// Input was rejected before anything reached Docker.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The host or container does not exist (or no longer exists).
    #[error("{what} not found")]
    NotFound { what: String },
    /// The Docker engine of that host does not answer.
    #[error("the Docker engine of host \"{host}\" is not answering; Binnacle keeps retrying")]
    EngineUnavailable { host: String },
    /// Docker refused the operation, with its own (safe) explanation.
    #[error("Docker refused: {0}")]
    Conflict(String),
    /// Binnacle runs with `BINNACLE_READ_ONLY=true`: no actions.
    #[error("Binnacle is in read-only mode: actions are disabled")]
    ReadOnly,
    /// Something failed on the server; details are in the server log.
    #[error("internal error (details are in the server log)")]
    Internal,
    /// The request never reached the server function, or its answer was unreadable.
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_string(), reason: reason.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, AppError::NotFound { .. })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AppError::Invalid { field: "request".into(), reason: detail }
            }
            ServerFnErrorErr::MissingArg(arg) => {
                AppError::Invalid { field: arg, reason: "missing".into() }
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
