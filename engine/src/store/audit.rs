//! The audit trail: append-only records chained by an HMAC-SHA256 under a key kept outside the
//! database (`<data_dir>/keys/audit`), so editing, deleting or reordering one is detectable, and
//! whoever can write the database cannot re-chain it. Records written before the key existed
//! carry an unkeyed SHA-256 (`legacy`); verification says where the keyed chain starts, and a
//! legacy-looking record after that, or newer than the key, is a forgery.
use super::{Backend, Result, Store};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored record; `record` is the CloudTrail-shaped JSON text exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub event_ms: i64,
    pub user_arn: String,
    pub event_name: String,
    pub outcome: String,
    pub record: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What to list; every field left `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_arn: Option<String>,
    pub event_name: Option<String>,
    pub outcome: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: Option<i64>,
    /// Only records older than this one (the next page of a listing).
    pub before_seq: Option<i64>,
    /// Leaves out reads (`Get*` and `List*` calls: CloudTrail's `readOnly` events).
    pub writes_only: bool,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every record checks out. `keyed_from`: the first record of the keyed chain (`None` when
    /// there is none yet); the `legacy` ones before it were written unkeyed by an older Sluice.
    Intact { records: u64, legacy: u64, keyed_from: Option<i64> },
    /// The first record whose hash or link does not match.
    Broken { seq: i64, reason: String },
}

/// How a keyed record's `hash` starts; a legacy one is bare hex.
const KEYED_PREFIX: &str = "hmac-sha256:";

/// The hash a record gets: an HMAC over the previous hash and the record, so the chain breaks at
/// any edit and only the key's holder can extend it.
pub fn chain_hash(key: &[u8; 32], prev_hash: &str, record: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(prev_hash.as_bytes());
    mac.update(b"\n");
    mac.update(record.as_bytes());
    format!("{KEYED_PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// The unkeyed hash of records written before the audit key existed.
fn legacy_hash(prev_hash: &str, record: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(record.as_bytes());
    hex::encode(hasher.finalize())
}

impl Store {
    /// Appends a record after the current last one; concurrent appends take turns.
    pub(crate) async fn append_audit(
        &self,
        event_ms: i64,
        user_arn: &str,
        event_name: &str,
        outcome: &str,
        record: &str,
    ) -> Result<()> {
        let (key, _) = self.sealer()?.audit_key(true)?.ok_or(crate::secrets::SecretError::NoMasterKey)?;
        let mut tx = self.pool.begin().await?;
        match self.backend {
            // Take the write lock before reading the last hash, so two appends never share a parent.
            Backend::Sqlite => sqlx::query("delete from audit_record where 1 = 0").execute(&mut *tx).await?,
            Backend::Postgres => sqlx::query("select pg_advisory_xact_lock(7411)").execute(&mut *tx).await?,
        };
        let prev_hash: Option<String> = sqlx::query("select hash from audit_record order by seq desc limit 1")
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("hash"))
            .transpose()?;
        let prev_hash = prev_hash.unwrap_or_else(|| GENESIS_HASH.to_owned());
        let hash = chain_hash(&key, &prev_hash, record);
        sqlx::query(
            "insert into audit_record (event_ms, user_arn, event_name, outcome, record, prev_hash, hash)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(event_ms)
        .bind(user_arn)
        .bind(event_name)
        .bind(outcome)
        .bind(record)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Matching records, newest first.
    pub(crate) async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "select seq, event_ms, user_arn, event_name, outcome, record, prev_hash, hash from audit_record
             where (cast($1 as text) is null or user_arn = $1) and (cast($2 as text) is null or event_name = $2)
               and (cast($3 as text) is null or outcome = $3)
               and (cast($4 as bigint) is null or event_ms >= $4) and (cast($5 as bigint) is null or event_ms <= $5)
               and (cast($7 as bigint) is null or seq < $7)
               and (cast($8 as bigint) = 0 or (event_name not like 'Get%' and event_name not like 'List%'))
             order by seq desc limit $6",
        )
        .bind(&filter.user_arn)
        .bind(&filter.event_name)
        .bind(&filter.outcome)
        .bind(filter.since_ms)
        .bind(filter.until_ms)
        .bind(filter.limit.unwrap_or(i64::MAX))
        .bind(filter.before_seq)
        .bind(i64::from(filter.writes_only))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_of).collect()
    }

    /// Walks the whole chain from the first record, under the data dir's audit key (never
    /// created here: a trail with keyed records and no key cannot be verified).
    pub(crate) async fn verify_audit(&self) -> Result<ChainCheck> {
        let rows = sqlx::query(
            "select seq, event_ms, user_arn, event_name, outcome, record, prev_hash, hash from audit_record order by seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let key = self.sealer()?.audit_key(false)?;
        let broken = |seq: i64, reason: &str| Ok(ChainCheck::Broken { seq, reason: reason.to_owned() });
        let mut expected_prev = GENESIS_HASH.to_owned();
        let (mut keyed_from, mut legacy) = (None, 0);
        for row in &rows {
            let record = audit_of(row)?;
            if record.prev_hash != expected_prev {
                return broken(
                    record.seq,
                    "its link to the previous record does not match (a record was removed or reordered)",
                );
            }
            let expected = match (record.hash.starts_with(KEYED_PREFIX), key) {
                (true, Some((key, _))) => chain_hash(&key, &record.prev_hash, &record.record),
                (true, None) => {
                    return broken(
                        record.seq,
                        "it is keyed, but the data dir has no audit key (keys/audit) to check it with",
                    )
                }
                (false, _) if keyed_from.is_some() => {
                    return broken(
                        record.seq,
                        "it has an unkeyed hash after the keyed chain began (the trail was re-chained)",
                    )
                }
                (false, Some((_, created_ms))) if record.event_ms > created_ms => {
                    return broken(
                        record.seq,
                        "it has an unkeyed hash but is newer than the audit key (the trail was re-chained)",
                    )
                }
                (false, _) => legacy_hash(&record.prev_hash, &record.record),
            };
            if expected != record.hash {
                return broken(
                    record.seq,
                    "its content does not match its hash (the record was edited, or re-chained without the key)",
                );
            }
            match record.hash.starts_with(KEYED_PREFIX) {
                true => {
                    keyed_from.get_or_insert(record.seq);
                }
                false => legacy += 1,
            }
            expected_prev = record.hash;
        }
        Ok(ChainCheck::Intact { records: rows.len() as u64, legacy, keyed_from })
    }
}

fn audit_of(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        event_ms: row.try_get("event_ms")?,
        user_arn: row.try_get("user_arn")?,
        event_name: row.try_get("event_name")?,
        outcome: row.try_get("outcome")?,
        record: row.try_get("record")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
