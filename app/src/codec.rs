//! The request encoding of every server function: JSON, strictly. A body
//! must be one JSON object holding exactly the function's arguments:
//! unknown fields, duplicate keys, trailing bytes, arrays (which serde would
//! read positionally) and wrong types are refused as `invalid` (400) before
//! the function runs. Answers are plain JSON (`output = Json`).

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `input = StrictJson` in `#[server(...)]`.
pub type StrictJson = Post<StrictJsonEncoding>;

pub struct StrictJsonEncoding;

impl ContentType for StrictJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for StrictJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

/// Why a body was refused, in words for the `invalid` answer.
#[derive(Debug)]
pub struct StrictJsonError(String);

impl std::fmt::Display for StrictJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<T: Serialize> Encodes<T> for StrictJsonEncoding {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for StrictJsonEncoding {
    type Error = StrictJsonError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        decode_strict(&bytes)
    }
}

/// Parses `bytes` as exactly one JSON object of `T`'s fields.
pub fn decode_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StrictJsonError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => return Err(StrictJsonError("the body must be a JSON object".into())),
        None => return Err(StrictJsonError("the body is empty; send a JSON object".into())),
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
        .map_err(|e| StrictJsonError(e.to_string()))?;
    de.end().map_err(|e| StrictJsonError(e.to_string()))?;
    if !unknown.is_empty() {
        return Err(StrictJsonError(format!("unknown field `{}`", unknown.join("`, `"))));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Args {
        host: String,
        #[serde(default)]
        cursor: Option<Cursor>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Cursor {
        seq: u64,
    }

    fn refuses(body: &str) -> String {
        decode_strict::<Args>(body.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn a_well_formed_object_is_read() {
        let args: Args = decode_strict(br#" {"host": "local", "cursor": {"seq": 3}} "#).unwrap();
        assert_eq!(args, Args { host: "local".into(), cursor: Some(Cursor { seq: 3 }) });
    }

    #[test]
    fn unknown_fields_are_refused_at_any_depth() {
        assert!(refuses(r#"{"host": "local", "hots": 1}"#).contains("unknown field `hots`"));
        assert!(refuses(r#"{"host": "local", "cursor": {"seq": 1, "epoch2": 1}}"#).contains("epoch2"));
    }

    #[test]
    fn positional_arrays_duplicates_and_trailing_bytes_are_refused() {
        assert!(refuses(r#"["local"]"#).contains("JSON object"));
        assert!(refuses(r#"{"host": "a", "host": "b"}"#).contains("duplicate field"));
        assert!(refuses(r#"{"host": "a"} x"#).contains("trailing"));
        assert!(refuses("").contains("empty"));
        assert!(!refuses(r#"{"host": "a", "cursor": {"seq": 1e400}}"#).is_empty());
        assert!(!refuses(r#"{"host": "a", "cursor": {"seq": 18446744073709551616}}"#).is_empty());
        assert!(!refuses(r#"{"host": "a", "cursor": {"seq": -1}}"#).is_empty());
    }
}
