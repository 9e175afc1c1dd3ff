//! The store's own tests, on both backends. They live inside the crate because the store is the
//! engine's own: nothing outside it reaches the rows directly.
mod deliveries;
mod history;
mod pipelines;
mod secrets;
