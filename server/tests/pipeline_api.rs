//! The pipeline API through the real aws-sdk-codepipeline client, on SQLite and PostgreSQL.
mod common;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, Tag};
use common::{on_both_backends, pipeline_json, sdk_pipeline, ACCOUNT, REGION};
use serde_json::json;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test]
async fn create_get_update_list_delete() {
    on_both_backends(|server| async move {
        let client = &server.client;
        let created = client
            .create_pipeline()
            .pipeline(sdk_pipeline("web-app"))
            .tags(tag("team", "web"))
            .send()
            .await
            .expect("create");
        let pipeline = created.pipeline().expect("pipeline echoed");
        assert_eq!(pipeline.version(), Some(1));
        assert_eq!(pipeline.stages().len(), 2);
        assert_eq!(created.tags()[0].key(), "team");

        let got = client.get_pipeline().name("web-app").send().await.expect("get");
        let metadata = got.metadata().expect("metadata");
        assert_eq!(metadata.pipeline_arn(), Some(format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:web-app").as_str()));
        assert!(metadata.created().is_some() && metadata.updated().is_some());
        let got = got.pipeline().unwrap();
        assert_eq!(got.pipeline_type().map(|t| t.as_str()), Some("V1"));
        assert_eq!(got.execution_mode().map(|m| m.as_str()), Some("SUPERSEDED"));
        let build_stage = &got.stages()[1];
        assert_eq!(build_stage.actions()[1].run_order(), Some(2));
        assert_eq!(build_stage.actions()[0].input_artifacts()[0].name(), "SourceOutput");

        let mut changed = got.clone();
        changed.stages[1].name = "Compile".into();
        let updated = client.update_pipeline().pipeline(changed).send().await.expect("update");
        assert_eq!(updated.pipeline().unwrap().version(), Some(2));

        let old = client.get_pipeline().name("web-app").version(1).send().await.expect("version 1");
        assert_eq!(old.pipeline().unwrap().stages()[1].name(), "Build");
        let new = client.get_pipeline().name("web-app").send().await.expect("latest");
        assert_eq!(new.pipeline().unwrap().stages()[1].name(), "Compile");

        let listed = client.list_pipelines().send().await.expect("list");
        let summary = &listed.pipelines()[0];
        assert_eq!(summary.name(), Some("web-app"));
        assert_eq!(summary.version(), Some(2));
        assert_eq!(summary.pipeline_type().map(|t| t.as_str()), Some("V1"));

        client.delete_pipeline().name("web-app").send().await.expect("delete");
        let gone = client.get_pipeline().name("web-app").send().await.unwrap_err();
        assert!(gone.as_service_error().unwrap().is_pipeline_not_found_exception());
        // Deleting again succeeds, as on AWS.
        client.delete_pipeline().name("web-app").send().await.expect("delete twice");
        server
    })
    .await;
}

#[tokio::test]
async fn get_pipeline_returns_what_was_sent_with_aws_defaults() {
    on_both_backends(|server| async move {
        let sent = pipeline_json("exact");
        let created = server.raw("CreatePipeline", json!({ "pipeline": sent }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let got = server.raw("GetPipeline", r#"{"name":"exact"}"#).await;
        let mut expected = sent.clone();
        expected["version"] = json!(1);
        expected["executionMode"] = json!("SUPERSEDED");
        expected["pipelineType"] = json!("V1");
        assert_eq!(got.json["pipeline"], expected);
        // Field order too: the CLI prints what the server sends.
        let keys: Vec<_> = got.json["pipeline"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["name", "roleArn", "artifactStore", "stages", "version", "executionMode", "pipelineType"]);
        server
    })
    .await;
}

#[tokio::test]
async fn pipeline_errors_use_codepipeline_exceptions() {
    on_both_backends(|server| async move {
        let client = &server.client;
        let missing = client.get_pipeline().name("nope").send().await.unwrap_err();
        let missing = missing.into_service_error();
        assert!(missing.is_pipeline_not_found_exception(), "{missing:?}");
        assert!(missing.message().unwrap().contains("nope"));

        client.create_pipeline().pipeline(sdk_pipeline("dup")).send().await.expect("create");
        let dup = client.create_pipeline().pipeline(sdk_pipeline("dup")).send().await.unwrap_err().into_service_error();
        assert!(dup.is_pipeline_name_in_use_exception(), "{dup:?}");

        let no_version = client.get_pipeline().name("dup").version(7).send().await.unwrap_err().into_service_error();
        assert!(no_version.is_pipeline_version_not_found_exception(), "{no_version:?}");

        let mut one_stage = sdk_pipeline("short");
        one_stage.stages.truncate(1);
        let invalid = client.create_pipeline().pipeline(one_stage).send().await.unwrap_err().into_service_error();
        assert!(invalid.is_invalid_structure_exception(), "{invalid:?}");
        assert!(client.get_pipeline().name("short").send().await.is_err(), "nothing was saved");

        let mut orphan_input = sdk_pipeline("orphan");
        orphan_input.stages[1].actions[0].input_artifacts.as_mut().unwrap()[0].name = "NoSuchArtifact".into();
        let err = client.create_pipeline().pipeline(orphan_input).send().await.unwrap_err().into_service_error();
        let message = err.message().unwrap_or_default().to_owned();
        assert!(message.contains("NoSuchArtifact"), "{message}");

        let update_missing = client.update_pipeline().pipeline(sdk_pipeline("ghost")).send().await.unwrap_err();
        assert_eq!(update_missing.code(), Some("ResourceNotFoundException"));

        // An update based on an old version would drop the change made since.
        let mut v1 = client.get_pipeline().name("dup").send().await.unwrap().pipeline.unwrap();
        client.update_pipeline().pipeline(v1.clone()).send().await.expect("update to v2");
        v1.stages[1].name = "Late".into();
        let stale = client.update_pipeline().pipeline(v1).send().await.unwrap_err().into_service_error();
        assert!(stale.is_invalid_structure_exception(), "{stale:?}");
        server
    })
    .await;
}

#[tokio::test]
async fn list_pipelines_paginates() {
    on_both_backends(|server| async move {
        for i in 0..5 {
            server.client.create_pipeline().pipeline(sdk_pipeline(&format!("p{i}"))).send().await.unwrap();
        }
        let first = server.client.list_pipelines().max_results(2).send().await.unwrap();
        assert_eq!(first.pipelines().len(), 2);
        assert!(first.next_token().is_some());
        let names: Vec<String> = server
            .client
            .list_pipelines()
            .max_results(2)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
        let bad = server.client.list_pipelines().next_token("not-a-token").send().await.unwrap_err();
        assert!(bad.into_service_error().is_invalid_next_token_exception());
        let too_many = server.client.list_pipelines().max_results(5000).send().await.unwrap_err();
        assert_eq!(too_many.code(), Some("ValidationException"));
        server
    })
    .await;
}

#[tokio::test]
async fn tags_on_pipelines() {
    on_both_backends(|server| async move {
        let client = &server.client;
        client.create_pipeline().pipeline(sdk_pipeline("tagged")).tags(tag("a", "1")).send().await.unwrap();
        let arn = format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:tagged");
        client.tag_resource().resource_arn(&arn).tags(tag("b", "2")).tags(tag("a", "3")).send().await.unwrap();
        let tags = client.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
        let pairs: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
        assert_eq!(pairs, [("a", "3"), ("b", "2")]);

        client.untag_resource().resource_arn(&arn).tag_keys("a").send().await.unwrap();
        assert_eq!(client.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags().len(), 1);

        let reserved = client.tag_resource().resource_arn(&arn).tags(tag("aws:x", "1")).send().await.unwrap_err();
        assert!(reserved.into_service_error().is_invalid_tags_exception());
        let mut many = client.tag_resource().resource_arn(&arn);
        for i in 0..50 {
            many = many.tags(tag(&format!("k{i}"), "v"));
        }
        assert!(many.send().await.unwrap_err().into_service_error().is_too_many_tags_exception());
        let bad_arn = client.list_tags_for_resource().resource_arn("tagged").send().await.unwrap_err();
        assert!(bad_arn.into_service_error().is_invalid_arn_exception());
        let other = format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:missing");
        let missing = client.list_tags_for_resource().resource_arn(other).send().await.unwrap_err();
        assert!(missing.into_service_error().is_resource_not_found_exception());
        server
    })
    .await;
}

#[tokio::test]
async fn action_types_come_from_the_catalogue() {
    on_both_backends(|server| async move {
        let client = &server.client;
        let all = client.list_action_types().send().await.unwrap();
        let has = |category: ActionCategory, provider: &str| {
            all.action_types()
                .iter()
                .any(|t| t.id().is_some_and(|id| *id.category() == category && id.provider() == provider))
        };
        assert!(has(ActionCategory::Source, "S3"));
        assert!(has(ActionCategory::Approval, "Manual"));
        assert!(has(ActionCategory::Deploy, "CloudFormation"));
        let third_party = client.list_action_types().action_owner_filter(ActionOwner::ThirdParty).send().await.unwrap();
        assert!(!third_party.action_types().is_empty());
        assert!(third_party.action_types().iter().all(|t| *t.id().unwrap().owner() == ActionOwner::ThirdParty));

        let cfn = client
            .get_action_type()
            .category(aws_sdk_codepipeline::types::ActionCategory::Deploy)
            .owner("AWS")
            .provider("CloudFormation")
            .version("1")
            .send()
            .await
            .unwrap();
        let declaration = cfn.action_type().unwrap();
        assert!(declaration.properties().iter().any(|p| p.name() == "ActionMode" && !p.optional()));
        let missing = client
            .get_action_type()
            .category(ActionCategory::Build)
            .owner("AWS")
            .provider("NoSuchBuilder")
            .version("1")
            .send()
            .await
            .unwrap_err();
        assert!(missing.into_service_error().is_action_type_not_found_exception());
        server
    })
    .await;
}
