pub mod container;
pub mod list;
pub mod not_found;
mod widgets;
