//! Custom action types (CreateCustomActionType, DeleteCustomActionType, UpdateActionType and the
//! reads): declared by a team, run by its job workers. Pipelines are validated against the types
//! that exist now, so a deleted type can no longer be used by a new or updated pipeline.
use crate::{Engine, EngineError, Refusal, Result, StoreError, Tag};
use model::catalog::CustomActionType;
use model::{ActionCategory, ActionTypeId};

/// How many live custom types one Sluice may have, as CodePipeline's quota per region.
pub const MAX_CUSTOM_TYPES: usize = 50;

impl Engine {
    /// Saves a new custom type with its tags. The identical declaration of a type that exists is
    /// accepted again (and restores a deleted one, as AWS does); another declaration under a
    /// taken id is refused, because a version of a type never changes meaning.
    pub async fn create_custom_action_type(
        &self,
        declared: CustomActionType,
        tags: &[Tag],
    ) -> Result<CustomActionType> {
        let problems = declared.problems();
        if !problems.is_empty() {
            return Err(EngineError::refused(Refusal::InvalidRequest, problems.join("; ")));
        }
        let now = crate::now_ms();
        match self.store.custom_type(declared.category, &declared.provider, &declared.version).await? {
            Some(stored) if stored.declaration == declared => {
                if stored.deleted {
                    self.store.save_custom_type(&declared, false, now).await?;
                }
            }
            Some(stored) => {
                let why = if stored.deleted { "was deleted; use a new version" } else { "already exists" };
                return Err(EngineError::refused(
                    Refusal::ActionTypeAlreadyExists,
                    format!(
                        "{} {why} (a version of a custom action type cannot be declared differently)",
                        describe(&declared.id())
                    ),
                ));
            }
            None => {
                if self.store.live_custom_types().await?.len() >= MAX_CUSTOM_TYPES {
                    return Err(EngineError::refused(
                        Refusal::LimitExceeded,
                        format!("This account already has {MAX_CUSTOM_TYPES} custom action types."),
                    ));
                }
                self.store.insert_custom_type(&declared, now).await.map_err(|err| match err {
                    StoreError::Conflict => EngineError::refused(
                        Refusal::ConcurrentModification,
                        format!("{} was created by another request at the same time.", describe(&declared.id())),
                    ),
                    other => other.into(),
                })?;
            }
        }
        if !tags.is_empty() {
            self.tag_resource(&self.action_type_arn(&declared.id()), tags).await?;
        }
        Ok(declared)
    }

    /// Marks a custom type deleted: pipelines can no longer be saved with it and workers can no
    /// longer poll for its jobs. Its version stays taken.
    pub async fn delete_custom_action_type(
        &self,
        category: ActionCategory,
        provider: &str,
        version: &str,
    ) -> Result<()> {
        let stored = self.store.custom_type(category, provider, version).await?;
        let Some(stored) = stored else { return Err(type_not_found(category, provider, version)) };
        if !stored.deleted {
            self.store.save_custom_type(&stored.declaration, true, crate::now_ms()).await?;
        }
        Ok(())
    }

    /// UpdateActionType for a custom type: replaces what it declares, keeping its id.
    pub async fn update_custom_action_type(&self, declared: CustomActionType) -> Result<CustomActionType> {
        let problems = declared.problems();
        if !problems.is_empty() {
            return Err(EngineError::refused(Refusal::InvalidRequest, problems.join("; ")));
        }
        self.custom_action_type(declared.category, &declared.provider, &declared.version).await?;
        self.store.save_custom_type(&declared, false, crate::now_ms()).await?;
        Ok(declared)
    }

    /// A live custom type, or ActionTypeNotFound.
    pub async fn custom_action_type(
        &self,
        category: ActionCategory,
        provider: &str,
        version: &str,
    ) -> Result<CustomActionType> {
        match self.store.custom_type(category, provider, version).await? {
            Some(stored) if !stored.deleted => Ok(stored.declaration),
            _ => Err(type_not_found(category, provider, version)),
        }
    }

    /// Every live custom type.
    pub async fn custom_action_types(&self) -> Result<Vec<CustomActionType>> {
        Ok(self.store.live_custom_types().await?)
    }

    /// The declaration as reads show it: every secret configuration value, of built-in and
    /// custom types alike, replaced by `****`.
    pub async fn masked(&self, mut declaration: model::PipelineDeclaration) -> Result<model::PipelineDeclaration> {
        let custom = self.store.live_custom_types().await?;
        model::catalog::mask_secrets_with(&mut declaration, &custom);
        Ok(declaration)
    }

    /// `arn:aws:codepipeline:<region>:<account>:actiontype:<Owner>/<Category>/<Provider>/<Version>`.
    pub fn action_type_arn(&self, id: &ActionTypeId) -> String {
        format!(
            "arn:aws:codepipeline:{}:{}:actiontype:{}/{}/{}/{}",
            self.account.region, self.account.id, id.owner, id.category, id.provider, id.version
        )
    }
}

fn describe(id: &ActionTypeId) -> String {
    format!("Action type {}/{}/{}/{}", id.owner, id.category, id.provider, id.version)
}

pub(crate) fn type_not_found(category: ActionCategory, provider: &str, version: &str) -> EngineError {
    EngineError::refused(
        Refusal::ActionTypeNotFound,
        format!("Action type Custom/{category}/{provider}/{version} does not exist"),
    )
}
