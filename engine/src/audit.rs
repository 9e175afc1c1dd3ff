//! The audit trail: who did what, appended by the edges after each call, listed by the audit page
//! and checked by `sluice audit verify`. How records are chained is the store's (`store/audit.rs`).
use crate::{Engine, Store, StoreError};

pub use crate::store::audit::{chain_hash, AuditFilter, AuditRecord, ChainCheck, GENESIS_HASH};

/// One finished call, to be appended.
#[derive(Debug, Clone, Copy)]
pub struct AuditEntry<'a> {
    pub event_ms: i64,
    /// `anonymous` when nobody was authenticated.
    pub user_arn: &'a str,
    pub event_name: &'a str,
    pub failed: bool,
    /// The CloudTrail-shaped JSON record, exactly as it will be hashed.
    pub record: &'a str,
}

/// The trail; `Engine::audit` hands one out. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    store: Store,
}

impl AuditTrail {
    /// For work on the database without a running engine (the CLI).
    pub fn new(store: Store) -> Self {
        AuditTrail { store }
    }

    /// Appends after the current last record; concurrent appends take turns.
    pub async fn append(&self, entry: AuditEntry<'_>) -> Result<(), StoreError> {
        let outcome = if entry.failed { "Failure" } else { "Success" };
        self.store.append_audit(entry.event_ms, entry.user_arn, entry.event_name, outcome, entry.record).await
    }

    /// Matching records, newest first.
    pub async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        self.store.list_audit(filter).await
    }

    /// Walks the whole chain from the first record.
    pub async fn verify(&self) -> Result<ChainCheck, StoreError> {
        self.store.verify_audit().await
    }
}

impl Engine {
    pub fn audit(&self) -> AuditTrail {
        AuditTrail::new(self.store.clone())
    }
}
