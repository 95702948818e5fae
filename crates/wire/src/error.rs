//! The one error type of Binnacle's HTTP API. Every error answer, whichever
//! layer produced it (a server function, authentication, the request guard,
//! the body limit), is this JSON object with the status its kind maps to, so
//! a script or the browser reads them all the same way:
//!
//! ```json
//! {"kind": "invalid", "message": "invalid cursor: epoch and seq must be below 2^53", "field": "cursor"}
//! ```
//!
//! `message` is safe to show: internals (socket paths, connection errors,
//! unexpected answers) go to the server log, never here. The one text of
//! Docker's that is passed on is its reason for refusing an action
//! (`conflict`), which is meant for the user.

use serde::{Deserialize, Serialize};

use crate::ids::InvalidInput;

/// What went wrong, as a program should tell it apart. Each kind has exactly
/// one HTTP status ([`ErrorKind::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request was malformed or refused before anything reached Docker. 400.
    Invalid,
    /// No session (or no trusted proxy user). 401.
    Unauthorized,
    /// Refused whoever asks: cross-site requests. 403.
    Forbidden,
    /// Binnacle runs read-only: no actions. 403.
    ReadOnly,
    /// No such host, container or endpoint. 404.
    NotFound,
    /// The endpoint exists, but not for this method. 405.
    MethodNotAllowed,
    /// Docker refused the operation (e.g. the container is being removed). 409.
    Conflict,
    /// The request body is over the limit. 413.
    TooLarge,
    /// The request body is not `application/json`. 415.
    Unsupported,
    /// The `Host` header names another site (DNS rebinding), in `none` auth mode. 421.
    MisdirectedRequest,
    /// Too many attempts from this address; `retry_after_secs` says when to try again. 429.
    RateLimited,
    /// A fault of Binnacle itself; details are in its log. 500.
    Internal,
    /// The Docker engine of `host` does not answer. 503.
    EngineUnavailable,
    /// Docker did not finish an action in time (it may still complete). 504.
    Timeout,
    /// The browser could not reach Binnacle or read its answer (never sent by the server).
    Transport,
    /// A kind this client does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorKind {
    /// The HTTP status of an answer of this kind: the one mapping, used by every layer.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Invalid => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden | ErrorKind::ReadOnly => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::Unsupported => 415,
            ErrorKind::MisdirectedRequest => 421,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal | ErrorKind::Transport | ErrorKind::Unknown => 500,
            ErrorKind::EngineUnavailable => 503,
            ErrorKind::Timeout => 504,
        }
    }

    /// The kind an error status stands for, for answers that carry no kind
    /// of their own (the router's 404 and 405).
    pub fn from_status(status: u16) -> ErrorKind {
        ErrorKind::SENT.into_iter().find(|k| k.status() == status).unwrap_or(if status < 500 {
            ErrorKind::Invalid
        } else {
            ErrorKind::Internal
        })
    }

    /// All kinds the server sends, for tables and tests.
    pub const SENT: [ErrorKind; 14] = [
        ErrorKind::Invalid,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::ReadOnly,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::Conflict,
        ErrorKind::TooLarge,
        ErrorKind::Unsupported,
        ErrorKind::MisdirectedRequest,
        ErrorKind::RateLimited,
        ErrorKind::Internal,
        ErrorKind::EngineUnavailable,
        ErrorKind::Timeout,
    ];
}

/// An error answer of the API (and the error of every server function).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    /// What happened, in words safe to show to the user.
    pub message: String,
    /// For `invalid`: the input that was refused (`host`, `container id`, `cursor`, `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `engine_unavailable` (and `not_found` of a host): the host concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// For `rate_limited`: seconds to wait (also in the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError { kind, message: message.into(), field: None, host: None, retry_after_secs: None }
    }

    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        ApiError {
            field: Some(field.to_string()),
            ..Self::new(ErrorKind::Invalid, format!("invalid {field}: {reason}"))
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    pub fn engine_unavailable(host: impl std::fmt::Display) -> Self {
        ApiError {
            host: Some(host.to_string()),
            ..Self::new(
                ErrorKind::EngineUnavailable,
                format!("the Docker engine of host \"{host}\" is not answering; Binnacle keeps retrying"),
            )
        }
    }

    pub fn conflict(docker_says: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Conflict, format!("Docker refused: {docker_says}"))
    }

    pub fn read_only() -> Self {
        Self::new(ErrorKind::ReadOnly, "Binnacle is in read-only mode: actions are disabled")
    }

    pub fn internal() -> Self {
        Self::new(ErrorKind::Internal, "internal error (details are in the server log)")
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthorized, "log in first")
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                ErrorKind::RateLimited,
                format!("too many failed attempts from your address; try again in {retry_after_secs} s"),
            )
        }
    }

    pub fn transport(reason: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Transport, format!("request failed: {reason}"))
    }

    /// The message as a sentence for a page: "wrong password" -> "Wrong password.".
    pub fn sentence(&self) -> String {
        let mut chars = self.message.chars();
        let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
        out.push_str(chars.as_str());
        if !out.ends_with('.') {
            out.push('.');
        }
        out
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The JSON body, as every layer writes it.
    pub fn to_json(&self) -> String {
        // Only strings, numbers and unit enums: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"kind":"internal","message":"internal error"}"#.into())
    }
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::invalid(e.field, e.reason)
    }
}

#[cfg(feature = "server_fn")]
mod server_fn_error {
    use server_fn::Bytes;
    use server_fn::codec::JsonEncoding;
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};

    use super::{ApiError, ErrorKind};

    impl FromServerFnError for ApiError {
        type Encoder = JsonEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                // The body did not decode into the function's arguments.
                ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                    ApiError::invalid("request", detail)
                }
                ServerFnErrorErr::MissingArg(arg) => ApiError::invalid("request", format!("missing field `{arg}`")),
                ServerFnErrorErr::UnsupportedRequestMethod(m) => {
                    ApiError::new(ErrorKind::MethodNotAllowed, format!("method {m} is not allowed here"))
                }
                // In the browser: the request never got an answer.
                ServerFnErrorErr::Request(detail) | ServerFnErrorErr::Response(detail) => ApiError::transport(detail),
                ServerFnErrorErr::Registration(_)
                | ServerFnErrorErr::ServerError(_)
                | ServerFnErrorErr::MiddlewareError(_)
                | ServerFnErrorErr::Serialization(_) => ApiError::internal(),
            }
        }

        /// An error answer that is not ours (a proxy's HTML 502, say) is a
        /// transport failure, not an invalid request.
        fn de(data: Bytes) -> Self {
            serde_json::from_slice(&data).unwrap_or_else(|_| ApiError::transport("the answer could not be read"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_status_and_its_name_round_trips() {
        for kind in ErrorKind::SENT {
            let e = ApiError::new(kind, "x \"quoted\"\n");
            let json = e.to_json();
            let back: ApiError = serde_json::from_str(&json).unwrap();
            assert_eq!(back, e, "{json}");
            assert!((400..600).contains(&kind.status()));
        }
    }

    #[test]
    fn statuses_without_a_kind_get_the_kind_of_their_status() {
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(405), ErrorKind::MethodNotAllowed);
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Invalid);
        assert_eq!(ErrorKind::from_status(502), ErrorKind::Internal);
    }

    #[test]
    fn a_message_reads_as_a_sentence_on_a_page() {
        assert_eq!(ApiError::new(ErrorKind::Unauthorized, "wrong password").sentence(), "Wrong password.");
        assert_eq!(ApiError::new(ErrorKind::Internal, "Done.").sentence(), "Done.");
    }

    #[test]
    fn an_unknown_kind_from_a_newer_server_still_decodes() {
        let e: ApiError = serde_json::from_str(r#"{"kind":"teapot","message":"short and stout"}"#).unwrap();
        assert_eq!(e.kind, ErrorKind::Unknown);
    }

    #[test]
    fn invalid_input_names_its_field() {
        let e: ApiError = crate::HostName::parse("A/B").unwrap_err().into();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.field.as_deref(), Some("host"));
        assert_eq!(
            e.to_json(),
            r#"{"kind":"invalid","message":"invalid host: only lowercase letters, digits, '_' and '-' are allowed, starting with a letter or digit","field":"host"}"#
        );
    }
}
