//! One module per route.
pub mod approvals;
pub mod list;
pub mod new;
pub mod pipeline;
pub mod run;
