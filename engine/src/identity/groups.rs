//! Groups of users: each may carry a built-in role and inline policies, which every member gets
//! on top of their own.
use super::error::{or_missing, or_taken};
use super::users::check_policy;
use super::{check_name, parse_role, Identity, IdentityError, InlinePolicy, Result, Role};
use crate::store::groups::GroupRecord;
use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// `None` when the group grants only its inline policies.
    pub role: Option<Role>,
    /// Member names in name order.
    pub members: Vec<String>,
}

impl TryFrom<GroupRecord> for Group {
    type Error = IdentityError;

    fn try_from(record: GroupRecord) -> Result<Group> {
        let unknown = |role: &str| StoreError::Corrupt(format!("group {} has unknown role {role:?}", record.name));
        let role = match &record.role {
            Some(role) => Some(parse_role(role).map_err(|_| unknown(role))?),
            None => None,
        };
        Ok(Group { name: record.name, role, members: record.members })
    }
}

impl Identity {
    /// A new group, named by IAM's rules as users are.
    pub async fn create_group(&self, name: &str, role: Option<Role>) -> Result<()> {
        check_name("group", name)?;
        let taken = IdentityError::GroupNameInUse(name.to_owned());
        self.store.create_group(name, role.map(Role::name)).await.map_err(or_taken(taken))
    }

    pub async fn set_group_role(&self, name: &str, role: Option<Role>) -> Result<()> {
        let missing = IdentityError::GroupNotFound(name.to_owned());
        self.store.set_group_role(name, role.map(Role::name)).await.map_err(or_missing(missing))
    }

    /// Removes a group with its policies and memberships; the members stay.
    pub async fn delete_group(&self, name: &str) -> Result<()> {
        self.store.delete_group(name).await.map_err(or_missing(IdentityError::GroupNotFound(name.to_owned())))
    }

    /// Every group with its members, in name order.
    pub async fn list_groups(&self) -> Result<Vec<Group>> {
        self.store.list_groups().await?.into_iter().map(Group::try_from).collect()
    }

    /// The groups `user_name` belongs to.
    pub async fn groups_of_user(&self, user_name: &str) -> Result<Vec<Group>> {
        self.store.groups_of_user(user_name).await?.into_iter().map(Group::try_from).collect()
    }

    /// Makes a user a member; nothing new if they already are one.
    pub async fn add_user_to_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        self.user(user_name).await?;
        let missing = IdentityError::GroupNotFound(group_name.to_owned());
        self.store.add_user_to_group(group_name, user_name).await.map_err(or_missing(missing))
    }

    pub async fn remove_user_from_group(&self, group_name: &str, user_name: &str) -> Result<()> {
        let missing = IdentityError::NotAMember { group: group_name.to_owned(), user: user_name.to_owned() };
        self.store.remove_user_from_group(group_name, user_name).await.map_err(or_missing(missing))
    }

    pub async fn group_policies(&self, group_name: &str) -> Result<Vec<InlinePolicy>> {
        Ok(self.store.group_policies(group_name).await?)
    }

    /// Adds or replaces one of a group's inline policies, checked as a user's are.
    pub async fn put_group_policy(&self, group_name: &str, policy_name: &str, document: &str) -> Result<()> {
        check_policy(policy_name, document)?;
        let missing = IdentityError::GroupNotFound(group_name.to_owned());
        self.store.put_group_policy(group_name, policy_name, document).await.map_err(or_missing(missing))
    }

    pub async fn delete_group_policy(&self, group_name: &str, policy_name: &str) -> Result<()> {
        let missing = IdentityError::PolicyNotFound { owner: group_name.into(), policy: policy_name.into() };
        self.store.delete_group_policy(group_name, policy_name).await.map_err(or_missing(missing))
    }
}
