//! Rows of event rules and their targets.
use super::columns::wire;
use super::{Result, Store};
use crate::event_rules::{EventRule, RetryPolicy, RuleState, RuleTarget};
use sqlx::any::AnyRow;
use sqlx::Row;

impl EventRule {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(EventRule {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            event_pattern: row.try_get("event_pattern")?,
            state: wire(row.try_get("state")?, RuleState::from_wire)?,
            role_arn: row.try_get("role_arn")?,
            created_ms: row.try_get("created_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

impl RuleTarget {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(RuleTarget {
            id: row.try_get("target_id")?,
            arn: row.try_get("arn")?,
            input: row.try_get("input")?,
            input_path: row.try_get("input_path")?,
            input_transformer: row.try_get("input_transformer")?,
            http_parameters: row.try_get("http_parameters")?,
            retry_policy: RetryPolicy {
                maximum_retry_attempts: optional_u32(row, "retry_max_attempts")?,
                maximum_event_age_seconds: optional_u32(row, "retry_max_age_s")?,
            },
        })
    }
}

/// A nullable count column (only ever written from a u32).
fn optional_u32(row: &AnyRow, column: &str) -> Result<Option<u32>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32))
}

impl Store {
    /// Creates the rule or replaces what PutRule may change, keeping its creation time.
    pub(crate) async fn put_event_rule(&self, rule: &EventRule) -> Result<()> {
        sqlx::query(
            "insert into event_rule (name, description, event_pattern, state, role_arn, created_ms, updated_ms)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (name) do update set description = excluded.description,
                 event_pattern = excluded.event_pattern, state = excluded.state, role_arn = excluded.role_arn,
                 updated_ms = excluded.updated_ms",
        )
        .bind(&rule.name)
        .bind(&rule.description)
        .bind(&rule.event_pattern)
        .bind(rule.state.as_str())
        .bind(&rule.role_arn)
        .bind(rule.created_ms)
        .bind(rule.updated_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn event_rule(&self, name: &str) -> Result<Option<EventRule>> {
        let row = sqlx::query("select * from event_rule where name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(EventRule::from_row).transpose()
    }

    /// Rules whose names start with `prefix`, in name order.
    pub(crate) async fn event_rules(&self, prefix: &str) -> Result<Vec<EventRule>> {
        let rows = sqlx::query("select * from event_rule where substr(name, 1, length($1)) = $1 order by name")
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(EventRule::from_row).collect()
    }

    /// Deletes the rule if it has no targets; false when it has some.
    pub(crate) async fn delete_event_rule(&self, name: &str) -> Result<bool> {
        let done = sqlx::query(
            "delete from event_rule where name = $1
             and not exists (select 1 from event_target where rule_name = $1)",
        )
        .bind(name)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn set_event_rule_state(&self, name: &str, state: RuleState, now: i64) -> Result<bool> {
        let done = sqlx::query("update event_rule set state = $2, updated_ms = $3 where name = $1")
            .bind(name)
            .bind(state.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn rule_targets(&self, rule: &str) -> Result<Vec<RuleTarget>> {
        let rows = sqlx::query("select * from event_target where rule_name = $1 order by target_id")
            .bind(rule)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(RuleTarget::from_row).collect()
    }

    pub(crate) async fn rule_target(&self, rule: &str, id: &str) -> Result<Option<RuleTarget>> {
        let row = sqlx::query("select * from event_target where rule_name = $1 and target_id = $2")
            .bind(rule)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(RuleTarget::from_row).transpose()
    }

    /// Every target of every enabled rule with its rule, grouped by rule: what the dispatcher matches.
    pub(crate) async fn enabled_rule_targets(&self) -> Result<Vec<(EventRule, RuleTarget)>> {
        let rows = sqlx::query(
            "select r.name, r.description, r.event_pattern, r.state, r.role_arn, r.created_ms, r.updated_ms,
                    t.target_id, t.arn, t.input, t.input_path, t.input_transformer, t.http_parameters,
                    t.retry_max_attempts, t.retry_max_age_s
             from event_rule r join event_target t on t.rule_name = r.name
             where r.state = 'ENABLED' order by r.name, t.target_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((EventRule::from_row(row)?, RuleTarget::from_row(row)?))).collect()
    }

    /// Adds or replaces the targets (by id) in one transaction, unless the rule would then have more
    /// than `max`. The rule's row is written first so that concurrent calls on one rule take turns
    /// (a row lock on PostgreSQL, the write lock on SQLite) and the count cannot be outrun.
    pub(crate) async fn put_rule_targets(&self, rule: &str, targets: &[RuleTarget], max: usize) -> Result<PutTargets> {
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query("update event_rule set updated_ms = updated_ms where name = $1")
            .bind(rule)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(PutTargets::NoSuchRule);
        }
        for target in targets {
            sqlx::query(
                "insert into event_target (rule_name, target_id, arn, input, input_path, input_transformer,
                     http_parameters, retry_max_attempts, retry_max_age_s)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 on conflict (rule_name, target_id) do update set arn = excluded.arn, input = excluded.input,
                     input_path = excluded.input_path, input_transformer = excluded.input_transformer,
                     http_parameters = excluded.http_parameters, retry_max_attempts = excluded.retry_max_attempts,
                     retry_max_age_s = excluded.retry_max_age_s",
            )
            .bind(rule)
            .bind(&target.id)
            .bind(&target.arn)
            .bind(&target.input)
            .bind(&target.input_path)
            .bind(&target.input_transformer)
            .bind(&target.http_parameters)
            .bind(target.retry_policy.maximum_retry_attempts.map(i64::from))
            .bind(target.retry_policy.maximum_event_age_seconds.map(i64::from))
            .execute(&mut *tx)
            .await?;
        }
        let count: i64 = sqlx::query_scalar("select count(*) from event_target where rule_name = $1")
            .bind(rule)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize > max {
            return Ok(PutTargets::TooMany(count as usize)); // dropping the transaction rolls it back
        }
        tx.commit().await?;
        Ok(PutTargets::Done)
    }

    /// Removes the targets with these ids; returns the ids that were there.
    pub(crate) async fn remove_rule_targets(&self, rule: &str, ids: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("delete from event_target where rule_name = $1 and target_id = $2")
                .bind(rule)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// How a PutTargets ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PutTargets {
    Done,
    NoSuchRule,
    /// The rule would have had this many targets.
    TooMany(usize),
}
