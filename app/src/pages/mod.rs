//! One module per route.
pub mod admin;
pub mod approval_history;
pub mod approvals;
pub mod audit;
pub mod build;
pub mod compare;
pub mod editor;
pub mod history;
pub mod list;
pub mod log;
pub mod new;
pub mod notifications;
pub mod pipeline;
pub mod run;
