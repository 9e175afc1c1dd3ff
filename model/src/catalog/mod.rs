//! Action-provider catalogue (filled in next).
