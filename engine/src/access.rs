//! What a pipeline reads on behalf of the users who set it going, and the check that they may.
//!
//! A pipeline reads the objects its S3 source actions name, the hosted repositories its CodeCommit
//! source actions name, and the secrets its Commands actions' `SECRETS_MANAGER` environment
//! variables (and its CodeBuild actions' `EnvironmentVariables`) name. Whoever creates or updates a pipeline must be
//! allowed to read each of them, and whoever starts a run whose variable overrides change what
//! is read must be allowed to read what it then reads; otherwise anyone who may edit a pipeline
//! could read any object or secret through it. The objects its Deploy / S3 actions write are
//! checked the same way, so a pipeline cannot write where its author may not.
//!
//! - an object: `sluice:GetObject` on `arn:aws:s3:::BUCKET/KEY`, and, when a pipeline wrote it
//!   as an artifact, `codepipeline:GetPipelineState` on that pipeline (objects follow pipelines);
//! - a secret: `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`;
//! - a repository: `codecommit:GitPull` on `arn:aws:codecommit:REGION:ACCOUNT:NAME`;
//! - what a Deploy / S3 action writes: `sluice:PutObject` on `arn:aws:s3:::BUCKET/KEY` (with
//!   Extract, `BUCKET/PREFIX/*`; a part known only at run time is `*`);
//! - a connection (a CodeStarSourceConnection source): `UseConnection` on the connection, as
//!   AWS documents it in either of the service's names (`codestar-connections:UseConnection` on
//!   `arn:aws:codestar-connections:...:connection/ID`, or `codeconnections:UseConnection` on
//!   `arn:aws:codeconnections:...`): one Allow suffices, a Deny in either name refuses.
use crate::connections::Namespace;
use crate::identity::{Decision, Permissions};
use crate::secrets::SecretReference;
use crate::{Engine, EngineError, Refusal, Result};
use model::{ActionCategory, ActionOwner, EnvironmentVariableType, PipelineDeclaration};

/// Downloading an object (and listing its versions).
pub const GET_OBJECT_ACTION: &str = "sluice:GetObject";
/// Uploading an object, or deploying to it.
pub const PUT_OBJECT_ACTION: &str = "sluice:PutObject";
/// Reading a pipeline's runs: its state, logs, events and artifacts.
pub const READ_PIPELINE_ACTION: &str = "codepipeline:GetPipelineState";
/// Reading a secret of Sluice's secret store, as Secrets Manager's action is named.
pub const GET_SECRET_ACTION: &str = "secretsmanager:GetSecretValue";
/// Cloning or fetching a hosted repository, as CodeCommit's action is named.
pub const GIT_PULL_ACTION: &str = "codecommit:GitPull";
/// Reading a repository through a connection, after the service's namespace and a colon.
pub const USE_CONNECTION_ACTION: &str = "UseConnection";

/// A user acting through the engine: their ARN and their policies.
#[derive(Debug, Clone)]
pub struct Principal {
    pub arn: String,
    permissions: Permissions,
}

impl Principal {
    pub fn new(arn: impl Into<String>, permissions: Permissions) -> Self {
        Principal { arn: arn.into(), permissions }
    }

    /// A user known only by ARN (the uploader of an object a poll found): allowed nothing here.
    pub fn named(arn: impl Into<String>) -> Self {
        Principal { arn: arn.into(), permissions: Permissions::none() }
    }

    pub fn may(&self, action: &str, resource: &str) -> bool {
        self.permissions.allow(action, resource)
    }

    /// Whether this user may use the connection `arn`: an Allow in either of the service's
    /// names and no Deny in either. Otherwise the action and resource to name in the refusal.
    pub fn may_use_connection(&self, arn: &str) -> Result<(), (String, String)> {
        let grants = connection_grants(arn);
        let decisions: Vec<Decision> = grants.iter().map(|(a, r)| self.permissions.decide(a, r)).collect();
        let denied = decisions.contains(&Decision::ExplicitDeny) || !decisions.contains(&Decision::Allow);
        match grants.into_iter().next() {
            Some(first) if denied => Err(first),
            _ => Ok(()),
        }
    }
}

/// `UseConnection` on `arn` in each of the service's names, the ARN's own name first.
fn connection_grants(arn: &str) -> Vec<(String, String)> {
    let mut fields = arn.splitn(4, ':');
    let (prefix, service, rest) = (fields.next(), fields.nth(1), fields.next());
    let own = Namespace::BOTH.into_iter().find(|ns| Some(ns.as_str()) == service);
    let (Some("arn"), Some(own), Some(rest)) = (prefix, own, rest) else {
        // Not a connection ARN: checked as given, in the service's original name.
        return vec![(format!("{}:{USE_CONNECTION_ACTION}", Namespace::CodeStar.as_str()), arn.to_owned())];
    };
    let mut namespaces = vec![own];
    namespaces.extend(Namespace::BOTH.into_iter().filter(|ns| *ns != own));
    namespaces
        .into_iter()
        .map(|ns| (format!("{}:{USE_CONNECTION_ACTION}", ns.as_str()), format!("arn:aws:{}:{rest}", ns.as_str())))
        .collect()
}

/// The ARN of an object, S3's way.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// What each `(action, resource)` reading one version takes, given who wrote it.
pub fn object_read_grants(bucket: &str, key: &str, created_by: Option<&str>) -> Vec<(&'static str, String)> {
    let mut grants = vec![(GET_OBJECT_ACTION, object_arn(bucket, key))];
    grants.extend(
        created_by
            .filter(|arn| arn.starts_with("arn:aws:codepipeline:"))
            .map(|pipeline| (READ_PIPELINE_ACTION, pipeline.to_owned())),
    );
    grants
}

/// One thing a pipeline reads, and where it is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Read {
    stage: String,
    action: String,
    what: Readable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Readable {
    Object {
        bucket: String,
        key: String,
    },
    Secret {
        variable: String,
        name: String,
    },
    Repository {
        name: String,
    },
    Connection {
        arn: String,
        repository: String,
    },
    /// What a Deploy / S3 action writes: a key, or a pattern of keys (`live/*`).
    Deployed {
        bucket: String,
        key: String,
    },
}

impl Engine {
    /// The ARN of a secret of the secret store.
    pub fn secret_arn(&self, name: &str) -> String {
        format!("arn:aws:secretsmanager:{}:{}:secret:{name}", self.account.region, self.account.id)
    }

    /// Refuses (`Refusal::NotAuthorized`) unless `by` may read what `decl` reads with its
    /// variables' defaults: checked when a user creates or updates a pipeline.
    pub(crate) async fn check_pipeline_reads(&self, decl: &PipelineDeclaration, by: &Principal) -> Result<()> {
        for read in reads(decl, &defaults(decl))? {
            self.check_read(&read, by).await?;
        }
        Ok(())
    }

    /// Refuses unless the starter may read what the run's `variables` make the pipeline read
    /// beyond what its defaults do, which its author was checked for.
    pub(crate) async fn check_run_reads(
        &self,
        decl: &PipelineDeclaration,
        variables: &[crate::runs::ResolvedVariable],
        by: Option<&Principal>,
    ) -> Result<()> {
        let given: Vec<(String, String)> =
            variables.iter().map(|v| (v.name.clone(), v.resolved_value.clone())).collect();
        let checked = reads(decl, &defaults(decl))?;
        for read in reads(decl, &given)?.into_iter().filter(|read| !checked.contains(read)) {
            match by {
                Some(by) => self.check_read(&read, by).await?,
                None => return Err(denied(&read, "a start by no user", "read it")),
            }
        }
        Ok(())
    }

    async fn check_read(&self, read: &Read, by: &Principal) -> Result<()> {
        let grants = match &read.what {
            Readable::Connection { arn, .. } => {
                return by.may_use_connection(arn).map_err(|(action, resource)| {
                    denied(read, &by.arn, &format!("perform: {action} on resource: {resource}"))
                })
            }
            Readable::Secret { name, .. } => vec![(GET_SECRET_ACTION, self.secret_arn(name))],
            Readable::Repository { name } => vec![(GIT_PULL_ACTION, self.account.repository_arn(name))],
            Readable::Deployed { bucket, key } => vec![(PUT_OBJECT_ACTION, object_arn(bucket, key))],
            Readable::Object { bucket, key } => {
                let writers = self.store.object_writer_pipelines(bucket, key).await?;
                let mut grants = object_read_grants(bucket, key, None);
                grants.extend(writers.into_iter().map(|pipeline| (READ_PIPELINE_ACTION, pipeline)));
                grants
            }
        };
        match grants.into_iter().find(|(action, resource)| !by.may(action, resource)) {
            Some((action, resource)) => {
                Err(denied(read, &by.arn, &format!("perform: {action} on resource: {resource}")))
            }
            None => Ok(()),
        }
    }
}

/// The pipeline variables' default values.
fn defaults(decl: &PipelineDeclaration) -> Vec<(String, String)> {
    decl.variables.iter().filter_map(|v| Some((v.name.clone(), v.default_value.clone()?))).collect()
}

fn denied(read: &Read, who: &str, what: &str) -> EngineError {
    let subject = match &read.what {
        Readable::Object { bucket, key } => format!("its S3 source reads s3://{bucket}/{key}"),
        Readable::Secret { variable, name } => {
            format!("its environment variable '{variable}' reads the secret '{name}'")
        }
        Readable::Repository { name } => format!("its CodeCommit source reads the repository '{name}'"),
        Readable::Deployed { bucket, key } => format!("its S3 deploy writes s3://{bucket}/{key}"),
        Readable::Connection { arn, repository } => {
            format!("its CodeStarSourceConnection source reads '{repository}' through the connection {arn}")
        }
    };
    EngineError::refused(
        Refusal::NotAuthorized,
        format!("Stage '{}', action '{}': {subject}, but {who} is not authorized to {what}.", read.stage, read.action),
    )
}

/// What `decl` reads when its pipeline variables have `variables`' values; a read that needs a
/// variable without a value is left out (a start must give it, and is checked then). A name that
/// depends on anything else (another action's output, the execution id) is known only at run
/// time, when nobody could be checked for it, so it is refused.
fn reads(decl: &PipelineDeclaration, variables: &[(String, String)]) -> Result<Vec<Read>> {
    let mut found = Vec::new();
    for (stage, action) in decl.actions() {
        let id = &action.action_type_id;
        let resolve = |field: &str, text: &str| -> Result<Option<String>> {
            let lookup = |namespace: &str, key: &str| match namespace {
                "variables" => variables.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone()),
                _ => None,
            };
            match model::variables::substitute(text, lookup) {
                Ok(value) => Ok(Some(value)),
                Err(reference) if reference.starts_with("#{variables.") => Ok(None),
                Err(reference) => Err(EngineError::refused(
                    Refusal::InvalidRequest,
                    format!(
                        "Stage '{}', action '{}': {field} uses {reference}, which is not known until the action runs; \
                         name it directly or with a pipeline variable (#{{variables.NAME}}).",
                        stage.name, action.name
                    ),
                )),
            }
        };
        let at = |what| Read { stage: stage.name.clone(), action: action.name.clone(), what };
        if id.category == ActionCategory::Source && id.owner == ActionOwner::Aws && id.provider == "S3" {
            if let (Some(bucket), Some(key)) =
                (action.configuration.get("S3Bucket"), action.configuration.get("S3ObjectKey"))
            {
                if let (Some(bucket), Some(key)) = (resolve("S3Bucket", bucket)?, resolve("S3ObjectKey", key)?) {
                    found.push(at(Readable::Object { bucket, key }));
                }
            }
        }
        if id.category == ActionCategory::Deploy && id.owner == ActionOwner::Aws && id.provider == "S3" {
            if let Some(bucket) = action.configuration.get("BucketName") {
                if let Some(bucket) = resolve("BucketName", bucket)? {
                    found.push(at(Readable::Deployed { bucket, key: deployed_keys(&action.configuration) }));
                }
            }
        }
        let is_repository_source = id.provider == "CodeCommit" && id.owner == ActionOwner::Aws;
        if id.category == ActionCategory::Source && is_repository_source {
            if let Some(name) = action.configuration.get("RepositoryName") {
                if let Some(name) = resolve("RepositoryName", name)? {
                    found.push(at(Readable::Repository { name }));
                }
            }
        }
        let is_connection_source = id.provider == "CodeStarSourceConnection" && id.owner == ActionOwner::Aws;
        if id.category == ActionCategory::Source && is_connection_source {
            let setting = |key: &str| action.configuration.get(key).map(|value| resolve(key, value)).transpose();
            if let (Some(Some(arn)), repository) = (setting("ConnectionArn")?, setting("FullRepositoryId")?) {
                found.push(at(Readable::Connection { arn, repository: repository.flatten().unwrap_or_default() }));
            }
        }
        let secrets = action
            .environment_variables
            .iter()
            .filter(|v| v.variable_type == Some(EnvironmentVariableType::SecretsManager));
        let codebuild = crate::build_projects::action_variables(action, &action.configuration);
        let codebuild = codebuild.iter().filter(|v| v.kind == "SECRETS_MANAGER").map(|v| (&v.name, &v.value));
        for (variable, value) in secrets.map(|v| (&v.name, &v.value)).chain(codebuild) {
            if let Some(value) = resolve(&format!("environment variable '{variable}'"), value)? {
                let name = SecretReference::parse(&value).name.to_owned();
                found.push(at(Readable::Secret { variable: variable.clone(), name }));
            }
        }
    }
    Ok(found)
}

/// The keys a Deploy / S3 action may write, as an IAM resource pattern: its `ObjectKey` with each
/// part known only when it runs (`#{...}`, `{datetime}`, `{uuid}`) as `*`, and with Extract,
/// everything under it.
fn deployed_keys(configuration: &indexmap::IndexMap<String, String>) -> String {
    let key = configuration.get("ObjectKey").map(String::as_str).unwrap_or_default();
    let mut pattern = String::new();
    let mut rest = key.replace("{datetime}", "*").replace("{uuid}", "*");
    while let Some(start) = rest.find("#{") {
        pattern.push_str(&rest[..start]);
        pattern.push('*');
        rest = rest[start..].split_once('}').map(|(_, after)| after.to_owned()).unwrap_or_default();
    }
    pattern.push_str(&rest);
    let extract = configuration.get("Extract").is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    match pattern.trim_end_matches('/') {
        _ if !extract => pattern,
        "" => "*".to_owned(),
        prefix => format!("{prefix}/*"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(secret_value: &str) -> PipelineDeclaration {
        let text = serde_json::json!({
            "name": "p", "roleArn": "arn:aws:iam::1:role/r", "artifactStore": { "type": "S3", "location": "b" },
            "variables": [{ "name": "Secret" }],
            "stages": [
                { "name": "Source", "actions": [{ "name": "Src",
                    "actionTypeId": { "category": "Source", "owner": "AWS", "provider": "S3", "version": "1" },
                    "configuration": { "S3Bucket": "b", "S3ObjectKey": "#{variables.Secret}.zip" }, "outputArtifacts": [{ "name": "Out" }] }] },
                { "name": "Build", "actions": [{ "name": "Cmd", "commands": ["true"], "inputArtifacts": [{ "name": "Out" }],
                    "actionTypeId": { "category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1" },
                    "environmentVariables": [{ "name": "DB", "value": secret_value, "type": "SECRETS_MANAGER" }] }] }
            ]
        });
        model::parse_pipeline(&text.to_string()).unwrap()
    }

    #[test]
    fn deploys_write_their_key_or_everything_under_it() {
        let config = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<indexmap::IndexMap<_, _>>()
        };
        assert_eq!(deployed_keys(&config(&[("Extract", "true"), ("ObjectKey", "live/")])), "live/*");
        assert_eq!(deployed_keys(&config(&[("Extract", "true")])), "*");
        let release = config(&[("Extract", "false"), ("ObjectKey", "r/#{SourceVariables.VersionId}-{uuid}.zip")]);
        assert_eq!(deployed_keys(&release), "r/*-*.zip");
    }

    #[test]
    fn reads_resolve_pipeline_variables_and_refuse_names_known_only_at_run_time() {
        let decl = pipeline("#{variables.Secret}:password");
        assert!(reads(&decl, &[]).unwrap().is_empty(), "without a value, the start that gives one is checked");
        let given = [("Secret".to_owned(), "ci/db".to_owned())];
        let found: Vec<Readable> = reads(&decl, &given).unwrap().into_iter().map(|read| read.what).collect();
        assert_eq!(
            found,
            vec![
                Readable::Object { bucket: "b".into(), key: "ci/db.zip".into() },
                Readable::Secret { variable: "DB".into(), name: "ci/db".into() },
            ]
        );
        let message = reads(&pipeline("#{Build.NAME}"), &given).unwrap_err().to_string();
        assert!(message.contains("Stage 'Build', action 'Cmd'") && message.contains("#{Build.NAME}"), "{message}");
    }

    #[test]
    fn codebuild_actions_read_the_secrets_their_environment_variables_name() {
        let mut decl = pipeline("plain");
        let build = &mut decl.stages[1].actions[0];
        build.action_type_id.category = ActionCategory::Build;
        build.action_type_id.provider = "CodeBuild".into();
        let variables = r##"[{"name":"TOKEN","value":"#{variables.Secret}:token","type":"SECRETS_MANAGER"},{"name":"A","value":"b"}]"##;
        build.configuration.insert("EnvironmentVariables".into(), variables.into());
        let given = [("Secret".to_owned(), "ci/gh".to_owned())];
        let found: Vec<Readable> = reads(&decl, &given).unwrap().into_iter().map(|read| read.what).collect();
        assert!(found.contains(&Readable::Secret { variable: "TOKEN".into(), name: "ci/gh".into() }), "{found:?}");
    }

    #[test]
    fn a_connection_is_used_under_either_name_and_a_deny_in_either_wins() {
        let arn = "arn:aws:codestar-connections:us-east-1:000000000000:connection/c1";
        let new_arn = "arn:aws:codeconnections:us-east-1:000000000000:connection/c1";
        let principal = |statements: serde_json::Value| {
            let policy = crate::identity::Policy::from_value(&serde_json::json!({ "Statement": statements })).unwrap();
            Principal::new("arn:aws:iam::000000000000:user/u", Permissions::of_policies(vec![policy]))
        };
        let allow_new = principal(
            serde_json::json!([{ "Effect": "Allow", "Action": "codeconnections:UseConnection", "Resource": new_arn }]),
        );
        assert_eq!(allow_new.may_use_connection(arn), Ok(()));
        let denied = principal(serde_json::json!([
            { "Effect": "Allow", "Action": "codeconnections:*", "Resource": "*" },
            { "Effect": "Deny", "Action": "codestar-connections:UseConnection", "Resource": "*" }
        ]));
        let refusal = denied.may_use_connection(new_arn).unwrap_err();
        assert_eq!(refusal, ("codeconnections:UseConnection".to_owned(), new_arn.to_owned()));
        assert!(principal(serde_json::json!([])).may_use_connection("not-an-arn").is_err());
    }
}
