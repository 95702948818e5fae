//! Container metrics: the pure parts, usable on the server and in the browser.
//! `ring` holds points under absolute sequence numbers, `formulas` turns two
//! Docker samples into one point the way the docker CLI does, `wire` is what
//! `container_metrics` answers.

pub mod formulas;
pub mod ring;
pub mod wire;
