//! Rows of topics, their subscriptions and published messages.
use super::columns::wire;
use super::deliveries::{insert_delivery, NewDelivery};
use super::{conflict_on_unique, Result, Store, StoreError};
use crate::notify::topics::{Protocol, Subscription, Topic};
use sqlx::any::AnyRow;
use sqlx::Row;

impl Subscription {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Subscription {
            id: row.try_get("subscription_id")?,
            topic: row.try_get("topic_name")?,
            protocol: wire(row.try_get("protocol")?, Protocol::from_wire)?,
            endpoint: row.try_get("endpoint")?,
            confirmed: row.try_get::<i64, _>("confirmed")? != 0,
            token: row.try_get("token")?,
            created_ms: row.try_get("created_ms")?,
        })
    }
}

impl Store {
    pub(crate) async fn create_topic(&self, name: &str, now: i64) -> Result<()> {
        sqlx::query("insert into topic (name, created_ms) values ($1, $2) on conflict (name) do nothing")
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_topic(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("delete from topic_subscription where topic_name = $1").bind(name).execute(&mut *tx).await?;
        sqlx::query("delete from topic where name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every topic in name order, with how many subscriptions are confirmed and pending.
    pub(crate) async fn topics(&self) -> Result<Vec<Topic>> {
        let rows = sqlx::query(
            "select t.name, t.created_ms,
                    coalesce(sum(case when s.confirmed = 1 then 1 else 0 end), 0) as confirmed,
                    coalesce(sum(case when s.confirmed = 0 then 1 else 0 end), 0) as pending
             from topic t left join topic_subscription s on s.topic_name = t.name
             group by t.name, t.created_ms order by t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Topic {
                    name: row.try_get("name")?,
                    created_ms: row.try_get("created_ms")?,
                    confirmed: row.try_get("confirmed")?,
                    pending: row.try_get("pending")?,
                })
            })
            .collect()
    }

    pub(crate) async fn subscriptions(&self, topic: &str) -> Result<Vec<Subscription>> {
        let rows = sqlx::query("select * from topic_subscription where topic_name = $1 order by created_ms, endpoint")
            .bind(topic)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Subscription::from_row).collect()
    }

    pub(crate) async fn subscription(&self, topic: &str, id: &str) -> Result<Option<Subscription>> {
        let row = sqlx::query("select * from topic_subscription where topic_name = $1 and subscription_id = $2")
            .bind(topic)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Subscription::from_row).transpose()
    }

    /// Adds the subscription with its confirmation delivery, or returns the one the endpoint
    /// already has.
    pub(crate) async fn subscribe(&self, new: &Subscription, confirmation: &NewDelivery) -> Result<Subscription> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "insert into topic_subscription (subscription_id, topic_name, protocol, endpoint, confirmed, token,
                 created_ms)
             values ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(&new.id)
        .bind(&new.topic)
        .bind(new.protocol.as_str())
        .bind(&new.endpoint)
        .bind(&new.token)
        .bind(new.created_ms)
        .execute(&mut *tx)
        .await
        .map_err(conflict_on_unique);
        match inserted {
            Ok(_) => {
                insert_delivery(&mut tx, confirmation, new.created_ms).await?;
                tx.commit().await?;
                Ok(new.clone())
            }
            Err(StoreError::Conflict) => {
                drop(tx);
                let existing = sqlx::query(
                    "select * from topic_subscription where topic_name = $1 and protocol = $2 and endpoint = $3",
                )
                .bind(&new.topic)
                .bind(new.protocol.as_str())
                .bind(&new.endpoint)
                .fetch_one(&self.pool)
                .await?;
                Subscription::from_row(&existing)
            }
            Err(other) => Err(other),
        }
    }

    pub(crate) async fn confirm_subscription(&self, topic: &str, token: &str) -> Result<Option<Subscription>> {
        let row =
            sqlx::query("update topic_subscription set confirmed = 1 where topic_name = $1 and token = $2 returning *")
                .bind(topic)
                .bind(token)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(Subscription::from_row).transpose()
    }

    pub(crate) async fn unsubscribe(&self, topic: &str, id: &str) -> Result<()> {
        sqlx::query("delete from topic_subscription where topic_name = $1 and subscription_id = $2")
            .bind(topic)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a published message and, in the same transaction, the deliveries `fan_out` makes
    /// from its number and the topic's subscriptions as they are at that moment.
    pub(crate) async fn publish(
        &self,
        topic: &str,
        now: i64,
        fan_out: impl FnOnce(i64, &[Subscription]) -> Vec<NewDelivery>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "insert into topic_message (topic_name, created_ms) values ($1, $2) returning message_id",
        )
        .bind(topic)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let rows = sqlx::query("select * from topic_subscription where topic_name = $1")
            .bind(topic)
            .fetch_all(&mut *tx)
            .await?;
        let subscriptions = rows.iter().map(Subscription::from_row).collect::<Result<Vec<_>>>()?;
        for delivery in fan_out(number, &subscriptions) {
            insert_delivery(&mut tx, &delivery, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
