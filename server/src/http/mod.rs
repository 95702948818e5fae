//! The HTTP layers around the app: request safety, error answers, headers,
//! the base path.

pub mod base_path;
pub mod errors;
pub mod guard;
