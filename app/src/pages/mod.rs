//! One module per route.
pub mod list;
pub mod new;
pub mod pipeline;
