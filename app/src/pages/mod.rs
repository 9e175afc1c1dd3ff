//! One module per route.
pub mod audit;
pub mod editor;
pub mod list;
pub mod new;
pub mod pipeline;
