//! Rows of build projects. A project's settings are one JSON document, so a setting added later
//! needs no migration; the name and dates are columns for lookups and ordering, and a counter
//! numbers the project's builds (`CODEBUILD_BUILD_NUMBER`).
use super::{conflict_on_unique, found, Result, Store, StoreError};
use crate::build_projects::BuildProject;
use sqlx::any::AnyRow;
use sqlx::Row;

fn from_row(row: &AnyRow) -> Result<BuildProject> {
    let definition: String = row.try_get("definition")?;
    let mut project: BuildProject = serde_json::from_str(&definition)
        .map_err(|err| StoreError::Corrupt(format!("build project definition: {err}")))?;
    project.name = row.try_get("name")?;
    project.created_ms = row.try_get("created_ms")?;
    project.updated_ms = row.try_get("updated_ms")?;
    Ok(project)
}

fn definition(project: &BuildProject) -> Result<String> {
    serde_json::to_string(project).map_err(|err| StoreError::Corrupt(format!("build project definition: {err}")))
}

impl Store {
    /// `Conflict` when a project of that name exists.
    pub(crate) async fn insert_build_project(&self, project: &BuildProject) -> Result<()> {
        sqlx::query(
            "insert into build_project (name, definition, build_count, created_ms, updated_ms) values ($1, $2, 0, $3, $4)",
        )
        .bind(&project.name)
        .bind(definition(project)?)
        .bind(project.created_ms)
        .bind(project.updated_ms)
        .execute(&self.pool)
        .await
        .map_err(conflict_on_unique)?;
        Ok(())
    }

    /// `NotFound` when the project was deleted meanwhile.
    pub(crate) async fn replace_build_project(&self, project: &BuildProject) -> Result<()> {
        let done = sqlx::query("update build_project set definition = $2, updated_ms = $3 where name = $1")
            .bind(&project.name)
            .bind(definition(project)?)
            .bind(project.updated_ms)
            .execute(&self.pool)
            .await?;
        found(done)
    }

    pub(crate) async fn build_project(&self, name: &str) -> Result<Option<BuildProject>> {
        let row =
            sqlx::query("select * from build_project where name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn build_projects(&self) -> Result<Vec<BuildProject>> {
        let rows = sqlx::query("select * from build_project order by name").fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    pub(crate) async fn delete_build_project(&self, name: &str) -> Result<()> {
        sqlx::query("delete from build_project where name = $1").bind(name).execute(&self.pool).await?;
        Ok(())
    }

    /// The next build number of a project (1 for its first build); `NotFound` without the project.
    pub(crate) async fn next_build_number(&self, name: &str) -> Result<i64> {
        let number: Option<i64> = sqlx::query_scalar(
            "update build_project set build_count = build_count + 1 where name = $1 returning build_count",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        number.ok_or(StoreError::NotFound)
    }
}
