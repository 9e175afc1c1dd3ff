//! Groups of users: each may carry a built-in role and inline policies, which every member gets
//! on top of their own (policy evaluation lives in `crate::identity`).
use super::{conflict_on_unique, found, Result, Store, StoreError};
use crate::identity::InlinePolicy;
use crate::now_ms;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub name: String,
    /// A built-in role name, or `None` when the group grants only its inline policies.
    pub role: Option<String>,
    /// Member names in name order.
    pub members: Vec<String>,
}

impl Store {
    /// Adds a group; `Conflict` if the name is taken.
    pub(crate) async fn create_group(&self, name: &str, role: Option<&str>) -> Result<()> {
        sqlx::query("insert into user_group (group_name, role, created_ms) values ($1, $2, $3)")
            .bind(name)
            .bind(role)
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map_err(conflict_on_unique)?;
        Ok(())
    }

    pub(crate) async fn set_group_role(&self, name: &str, role: Option<&str>) -> Result<()> {
        found(
            sqlx::query("update user_group set role = $1 where group_name = $2")
                .bind(role)
                .bind(name)
                .execute(&self.pool)
                .await?,
        )
    }

    /// Removes a group with its policies and memberships; the members stay.
    pub(crate) async fn delete_group(&self, name: &str) -> Result<()> {
        found(sqlx::query("delete from user_group where group_name = $1").bind(name).execute(&self.pool).await?)
    }

    /// Every group with its members, in name order.
    pub(crate) async fn list_groups(&self) -> Result<Vec<GroupRecord>> {
        self.groups_where("", None).await
    }

    /// The groups `user_name` belongs to.
    pub(crate) async fn groups_of_user(&self, user_name: &str) -> Result<Vec<GroupRecord>> {
        self.groups_where(
            "where g.group_name in (select group_name from group_member where user_name = $1)",
            Some(user_name),
        )
        .await
    }

    async fn groups_where(&self, filter: &str, user_name: Option<&str>) -> Result<Vec<GroupRecord>> {
        let sql = format!(
            "select g.group_name, g.role, m.user_name from user_group g
             left join group_member m on m.group_name = g.group_name {filter}
             order by g.group_name, m.user_name"
        );
        let mut query = sqlx::query(&sql);
        if let Some(user_name) = user_name {
            query = query.bind(user_name);
        }
        let mut groups: Vec<GroupRecord> = Vec::new();
        for row in query.fetch_all(&self.pool).await? {
            let name: String = row.try_get("group_name")?;
            let member: Option<String> = row.try_get("user_name")?;
            if groups.last().is_none_or(|group| group.name != name) {
                groups.push(GroupRecord { name, role: row.try_get("role")?, members: Vec::new() });
            }
            let group = groups.last_mut().expect("pushed above");
            group.members.extend(member);
        }
        Ok(groups)
    }

    /// Makes a user a member; `NotFound` if either does not exist, nothing new if already one.
    pub(crate) async fn add_user_to_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        self.user(user_name).await?;
        // One row checked, not every group loaded with its members.
        let group = sqlx::query("select 1 from user_group where group_name = $1")
            .bind(group_name)
            .fetch_optional(&self.pool)
            .await?;
        if group.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("insert into group_member (group_name, user_name) values ($1, $2) on conflict do nothing")
            .bind(group_name)
            .bind(user_name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `NotFound` if the user was not a member.
    pub(crate) async fn remove_user_from_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        found(
            sqlx::query("delete from group_member where group_name = $1 and user_name = $2")
                .bind(group_name)
                .bind(user_name)
                .execute(&self.pool)
                .await?,
        )
    }

    /// Adds or replaces one of a group's inline policies; `NotFound` if there is no such group.
    pub(crate) async fn put_group_policy(&self, group_name: &str, policy_name: &str, document: &str) -> Result<()> {
        found(
            sqlx::query(
                "insert into group_policy (group_name, policy_name, document)
             select group_name, $2, $3 from user_group where group_name = $1
             on conflict (group_name, policy_name) do update set document = excluded.document",
            )
            .bind(group_name)
            .bind(policy_name)
            .bind(document)
            .execute(&self.pool)
            .await?,
        )
    }

    pub(crate) async fn delete_group_policy(&self, group_name: &str, policy_name: &str) -> Result<()> {
        found(
            sqlx::query("delete from group_policy where group_name = $1 and policy_name = $2")
                .bind(group_name)
                .bind(policy_name)
                .execute(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn group_policies(&self, group_name: &str) -> Result<Vec<InlinePolicy>> {
        let rows =
            sqlx::query("select policy_name, document from group_policy where group_name = $1 order by policy_name")
                .bind(group_name)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok(InlinePolicy { name: row.try_get("policy_name")?, document: row.try_get("document")? }))
            .collect()
    }
}
