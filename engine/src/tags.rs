//! Tags on any taggable resource, keyed by its ARN.
use crate::{Engine, Result};

pub use crate::store::Tag;

impl Engine {
    /// The resource's tags in key order.
    pub async fn tags(&self, resource_arn: &str) -> Result<Vec<Tag>> {
        Ok(self.store.list_tags(resource_arn).await?)
    }

    /// The tags of each of these resources, by ARN (resources without tags are left out).
    pub async fn tags_of(&self, resource_arns: &[String]) -> Result<std::collections::HashMap<String, Vec<Tag>>> {
        Ok(self.store.list_tags_of(resource_arns).await?)
    }

    /// Adds or replaces tags on the resource.
    pub async fn tag_resource(&self, resource_arn: &str, tags: &[Tag]) -> Result<()> {
        Ok(self.store.tag_resource(resource_arn, tags).await?)
    }

    /// Removes the tags with these keys from the resource.
    pub async fn untag_resource(&self, resource_arn: &str, keys: &[String]) -> Result<()> {
        Ok(self.store.untag_resource(resource_arn, keys).await?)
    }
}
