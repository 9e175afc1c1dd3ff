//! Groups on the CodePipeline API: members get each group's role and inline policies, an explicit
//! Deny anywhere wins, and disabled users are refused. Every call goes through the real SDK.
mod common;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use aws_sdk_codepipeline::Client;
use common::{on_both_backends, TestServer};
use engine::identity::Role;
use serde_json::json;

/// The error code of answering an approval on `web/<stage>/Gate` (there is no such pipeline, so
/// an authorized call gets `PipelineNotFoundException`).
async fn answer_code(client: &Client, stage: &str) -> String {
    let result = ApprovalResult::builder().summary("ok").status(ApprovalStatus::Approved).build().unwrap();
    let sent = client
        .put_approval_result()
        .pipeline_name("web")
        .stage_name(stage)
        .action_name("Gate")
        .token("t")
        .result(result);
    sent.send().await.unwrap_err().into_service_error().code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_groups_policy_and_role_reach_its_members() {
    on_both_backends(|server: TestServer| async move {
        let identity = server.engine.identity();
        let (viewer, _) = server.client_as("reviewer", Role::Viewer).await;
        assert_eq!(answer_code(&viewer, "Prod").await, "AccessDeniedException", "a Viewer alone may not approve");

        identity.create_group("release-team", None).await.unwrap();
        let approve_prod = json!({ "Statement": { "Effect": "Allow", "Action": "codepipeline:PutApprovalResult",
            "Resource": "arn:aws:codepipeline:us-east-1:000000000000:web/Prod/*" }});
        identity.put_group_policy("release-team", "approve-prod", &approve_prod.to_string()).await.unwrap();
        assert_eq!(
            answer_code(&viewer, "Prod").await,
            "AccessDeniedException",
            "only members get the group's policies"
        );

        identity.add_user_to_group("release-team", "reviewer").await.unwrap();
        assert_eq!(answer_code(&viewer, "Prod").await, "PipelineNotFoundException");
        assert_eq!(answer_code(&viewer, "Staging").await, "AccessDeniedException", "the policy names Prod only");

        // A group's role counts as the user's own would.
        identity.create_group("approvers", Some(Role::Approver)).await.unwrap();
        identity.add_user_to_group("approvers", "reviewer").await.unwrap();
        assert_eq!(answer_code(&viewer, "Staging").await, "PipelineNotFoundException");

        identity.remove_user_from_group("approvers", "reviewer").await.unwrap();
        identity.delete_group("release-team").await.unwrap();
        assert_eq!(
            answer_code(&viewer, "Prod").await,
            "AccessDeniedException",
            "leaving the groups takes their rights away"
        );
        server
    })
    .await;
}

#[tokio::test]
async fn a_group_deny_beats_a_role_allow() {
    on_both_backends(|server: TestServer| async move {
        let identity = server.engine.identity();
        let (editor, _) = server.client_as("contractor", Role::Editor).await;
        editor.create_pipeline().pipeline(common::sdk_pipeline("prod-web")).send().await.expect("an Editor may create pipelines");

        identity.create_group("contractors", Some(Role::Editor)).await.unwrap();
        let deny_prod = json!({ "Statement": { "Effect": "Deny", "Action": "codepipeline:*", "Resource": "arn:aws:codepipeline:*:*:prod-*" }});
        identity.put_group_policy("contractors", "no-prod", &deny_prod.to_string()).await.unwrap();
        identity.add_user_to_group("contractors", "contractor").await.unwrap();

        let err = editor.get_pipeline().name("prod-web").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"), "{err:?}");
        assert!(err.message().unwrap().contains("explicit deny"), "{err:?}");
        editor.list_pipelines().send().await.expect("what the Deny does not name stays allowed");
        server
    })
    .await;
}

#[tokio::test]
async fn groups_are_kept_with_their_members_on_both_backends() {
    on_both_backends(|server: TestServer| async move {
        let identity = server.engine.identity();
        identity.create_user("ann", Role::Viewer, None).await.unwrap();
        identity.create_user("bob", Role::Viewer, None).await.unwrap();
        identity.create_group("ops", Some(Role::Editor)).await.unwrap();
        identity.create_group("empty", None).await.unwrap();
        let err = identity.create_group("ops", None).await.unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert!(identity.create_group("no spaces", None).await.is_err(), "IAM's naming rules apply to groups");

        identity.add_user_to_group("ops", "bob").await.unwrap();
        identity.add_user_to_group("ops", "ann").await.unwrap();
        identity.add_user_to_group("ops", "ann").await.expect("adding a member twice changes nothing");
        assert!(matches!(identity.add_user_to_group("ghosts", "ann").await, Err(err) if err.is_not_found()));
        assert!(matches!(identity.add_user_to_group("ops", "nobody").await, Err(err) if err.is_not_found()));
        let any_policy = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(matches!(identity.put_group_policy("ghosts", "p", any_policy).await, Err(err) if err.is_not_found()));

        let groups = identity.list_groups().await.unwrap();
        let summary: Vec<(&str, Option<&str>, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.role.map(Role::name), g.members.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(summary, vec![("empty", None, vec![]), ("ops", Some("Editor"), vec!["ann", "bob"])]);
        assert_eq!(identity.groups_of_user("ann").await.unwrap().len(), 1);

        identity.set_group_role("ops", None).await.unwrap();
        identity.delete_user("ann").await.unwrap();
        let ops = identity.groups_of_user("bob").await.unwrap().remove(0);
        assert_eq!((ops.role, ops.members), (None, vec!["bob".to_owned()]), "a deleted user leaves their groups");
        server
    })
    .await;
}

#[tokio::test]
async fn a_disabled_user_is_refused_until_enabled() {
    on_both_backends(|server: TestServer| async move {
        let (client, _) = server.client_as("leaver", Role::Viewer).await;
        server.engine.identity().set_user_active("leaver", false).await.unwrap();
        let err = client.list_pipelines().send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("UnrecognizedClientException"), "{err:?}");
        server.engine.identity().set_user_active("leaver", true).await.unwrap();
        client.list_pipelines().send().await.expect("enabled again");
        server
    })
    .await;
}
