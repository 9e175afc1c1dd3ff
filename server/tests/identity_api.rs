//! Identity on the CodePipeline API: SigV4 verification (real SDK and hand-made requests), the
//! built-in roles against every operation, inline policies, callers' ARNs, and the audit trail.
//! Over 400 lines because each role is checked against every operation here, in one place.
mod common;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use common::{now_seconds, on_both_backends, TestServer};
use engine::identity::Role;
use serde_json::json;
use server::auth::sigv4::format_amz_date;

const USER_ARN_PREFIX: &str = "arn:aws:iam::000000000000:user/";

#[tokio::test]
async fn bad_signatures_are_refused_as_aws_refuses_them() {
    on_both_backends(|server: TestServer| async move {
        let (id, secret) = server.key.clone();
        let now = format_amz_date(now_seconds());

        let mut unsigned = reqwest::header::HeaderMap::new();
        unsigned.insert("x-amz-target", "CodePipeline_20150709.ListPipelines".parse().unwrap());
        unsigned.insert("content-type", "application/x-amz-json-1.1".parse().unwrap());
        let answer = server.send_raw(unsigned, b"{}".to_vec()).await;
        assert_eq!(
            (answer.status, answer.error_type()),
            (400, "MissingAuthenticationTokenException"),
            "{}",
            answer.text
        );

        let wrong_secret = server.raw_signed("ListPipelines", b"{}".to_vec(), &id, "not-the-secret", now.clone()).await;
        assert_eq!(
            (wrong_secret.status, wrong_secret.error_type()),
            (400, "InvalidSignatureException"),
            "{}",
            wrong_secret.text
        );

        let unknown =
            server.raw_signed("ListPipelines", b"{}".to_vec(), "AKIAUNKNOWNKEY000000", &secret, now.clone()).await;
        assert_eq!((unknown.status, unknown.error_type()), (400, "UnrecognizedClientException"), "{}", unknown.text);

        let expired = server
            .raw_signed("ListPipelines", b"{}".to_vec(), &id, &secret, format_amz_date(now_seconds() - 16 * 60))
            .await;
        assert_eq!(expired.error_type(), "InvalidSignatureException", "{}", expired.text);
        assert!(expired.json["message"].as_str().unwrap().starts_with("Signature expired"), "{}", expired.text);

        let early = server
            .raw_signed("ListPipelines", b"{}".to_vec(), &id, &secret, format_amz_date(now_seconds() + 16 * 60))
            .await;
        assert_eq!(early.error_type(), "InvalidSignatureException", "{}", early.text);

        let skewed = server
            .raw_signed("ListPipelines", b"{}".to_vec(), &id, &secret, format_amz_date(now_seconds() - 10 * 60))
            .await;
        assert_eq!(skewed.status, 200, "ten minutes of skew is within AWS's fifteen: {}", skewed.text);

        // A body changed after signing: the signature covered the original body's hash.
        let mut tampered = signed_headers(&server, "GetPipeline", br#"{"name":"a"}"#);
        tampered.remove("content-length");
        let answer = server.send_raw(tampered, br#"{"name":"b"}"#.to_vec()).await;
        assert_eq!(answer.error_type(), "InvalidSignatureException", "{}", answer.text);

        let mut bad_header = reqwest::header::HeaderMap::new();
        bad_header.insert("authorization", "AWS4-HMAC-SHA256 Credential=x".parse().unwrap());
        bad_header.insert("x-amz-target", "CodePipeline_20150709.ListPipelines".parse().unwrap());
        let answer = server.send_raw(bad_header, b"{}".to_vec()).await;
        assert_eq!(answer.error_type(), "IncompleteSignatureException", "{}", answer.text);
        server
    })
    .await;
}

/// The signature covers only the headers it names, so an `x-amz-*` header it does not name is
/// refused rather than trusted: here a signed GetPipeline with an unsigned DeletePipeline target.
#[tokio::test]
async fn unsigned_amz_headers_are_refused() {
    on_both_backends(|server: TestServer| async move {
        server.client.create_pipeline().pipeline(common::sdk_pipeline("kept")).send().await.unwrap();
        let body = br#"{"name":"kept"}"#;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("host", server.url.trim_start_matches("http://").parse().unwrap());
        headers.insert("x-amz-date", format_amz_date(now_seconds()).parse().unwrap());
        headers.insert("content-type", "application/x-amz-json-1.1".parse().unwrap());
        let request =
            server::auth::sigv4::SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body };
        let signed = ["content-type", "host", "x-amz-date"];
        let authorization =
            server::auth::sigv4::authorization_header(&server.key.0, &server.key.1, common::REGION, &request, &signed);
        headers.insert("authorization", authorization.parse().unwrap());
        headers.insert("x-amz-target", "CodePipeline_20150709.DeletePipeline".parse().unwrap());
        let answer = server.send_raw(headers, body.to_vec()).await;
        assert_eq!((answer.status, answer.error_type()), (400, "InvalidSignatureException"), "{}", answer.text);
        assert!(answer.json["message"].as_str().unwrap().contains("x-amz-target"), "{}", answer.text);
        server.client.get_pipeline().name("kept").send().await.expect("the pipeline is still there");

        let mut extra = signed_headers(&server, "GetPipeline", body);
        extra.insert("x-amz-security-token", "added-later".parse().unwrap());
        let answer = server.send_raw(extra, body.to_vec()).await;
        assert_eq!(answer.error_type(), "InvalidSignatureException", "{}", answer.text);
        server
    })
    .await;
}

/// The headers of a request signed now as `tester`, for tests that then change what is sent.
fn signed_headers(server: &TestServer, operation: &str, body: &[u8]) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("host", server.url.trim_start_matches("http://").parse().unwrap());
    headers.insert("x-amz-date", format_amz_date(now_seconds()).parse().unwrap());
    headers.insert("x-amz-target", format!("CodePipeline_20150709.{operation}").parse().unwrap());
    headers.insert("content-type", "application/x-amz-json-1.1".parse().unwrap());
    let request = server::auth::sigv4::SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body };
    let signed = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let authorization =
        server::auth::sigv4::authorization_header(&server.key.0, &server.key.1, common::REGION, &request, &signed);
    headers.insert("authorization", authorization.parse().unwrap());
    headers
}

#[tokio::test]
async fn a_revoked_key_stops_working_with_the_sdk() {
    on_both_backends(|server: TestServer| async move {
        let (client, (id, _)) = server.client_as("leaver", Role::Viewer).await;
        client.list_pipelines().send().await.expect("an active key works");
        server.engine.identity().revoke_access_key(&id).await.unwrap();
        let err = client.list_pipelines().send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("UnrecognizedClientException"), "{err:?}");
        server
    })
    .await;
}

/// (operation, input, allowed for Admin, Editor, Approver, Viewer)
fn operations() -> Vec<(&'static str, serde_json::Value, [bool; 4])> {
    let arn = json!({ "resourceArn": "arn:aws:codepipeline:us-east-1:000000000000:ghost" });
    vec![
        ("CreatePipeline", json!({ "pipeline": { "name": "ghost" } }), [true, true, false, false]),
        ("GetPipeline", json!({ "name": "ghost" }), [true, true, true, true]),
        ("UpdatePipeline", json!({ "pipeline": { "name": "ghost" } }), [true, true, false, false]),
        ("DeletePipeline", json!({ "name": "ghost" }), [true, true, false, false]),
        ("ListPipelines", json!({}), [true, true, true, true]),
        ("ListActionTypes", json!({}), [true, true, false, true]),
        (
            "GetActionType",
            json!({ "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" }),
            [true, true, false, true],
        ),
        ("StartPipelineExecution", json!({ "name": "ghost" }), [true, true, false, false]),
        (
            "StopPipelineExecution",
            json!({ "pipelineName": "ghost", "pipelineExecutionId": "x" }),
            [true, true, false, false],
        ),
        (
            "RetryStageExecution",
            json!({ "pipelineName": "ghost", "stageName": "Build", "pipelineExecutionId": "x", "retryMode": "FAILED_ACTIONS" }),
            [true, true, false, false],
        ),
        (
            "RollbackStage",
            json!({ "pipelineName": "ghost", "stageName": "Build", "targetPipelineExecutionId": "x" }),
            [true, true, false, false],
        ),
        (
            "PutApprovalResult",
            json!({ "pipelineName": "ghost", "stageName": "Build", "actionName": "Approve", "token": "t", "result": { "summary": "ok", "status": "Approved" } }),
            [true, false, true, false],
        ),
        (
            "EnableStageTransition",
            json!({ "pipelineName": "ghost", "stageName": "Build", "transitionType": "Inbound" }),
            [true, true, false, false],
        ),
        (
            "DisableStageTransition",
            json!({ "pipelineName": "ghost", "stageName": "Build", "transitionType": "Inbound", "reason": "r" }),
            [true, true, false, false],
        ),
        (
            "GetPipelineExecution",
            json!({ "pipelineName": "ghost", "pipelineExecutionId": "x" }),
            [true, true, true, true],
        ),
        ("ListPipelineExecutions", json!({ "pipelineName": "ghost" }), [true, true, true, true]),
        ("GetPipelineState", json!({ "name": "ghost" }), [true, true, true, true]),
        ("ListActionExecutions", json!({ "pipelineName": "ghost" }), [true, true, false, true]),
        (
            "PutActionRevision",
            json!({ "pipelineName": "ghost", "stageName": "Source", "actionName": "Source", "actionRevision": { "revisionId": "r", "revisionChangeId": "c", "created": 1 } }),
            [true, true, false, false],
        ),
        ("ListRuleTypes", json!({}), [true, true, false, true]),
        (
            "TagResource",
            json!({ "resourceArn": arn["resourceArn"], "tags": [{ "key": "k", "value": "v" }] }),
            [true, true, false, false],
        ),
        ("UntagResource", json!({ "resourceArn": arn["resourceArn"], "tagKeys": ["k"] }), [true, true, false, false]),
        ("ListTagsForResource", arn.clone(), [true, true, false, true]),
        (
            "OverrideStageCondition",
            json!({ "pipelineName": "ghost", "stageName": "Build", "pipelineExecutionId": "x", "conditionType": "BEFORE_ENTRY" }),
            [true, true, false, false],
        ),
        ("ListRuleExecutions", json!({ "pipelineName": "ghost" }), [true, true, false, true]),
    ]
}

#[tokio::test]
async fn every_operation_against_every_role() {
    on_both_backends(|server: TestServer| async move {
        let mut keys = Vec::new();
        for role in Role::ALL {
            let (_, key) = server.client_as(&role.name().to_lowercase(), role).await;
            keys.push((role, key));
        }
        let mut wrong = Vec::new();
        for (operation, input, allowed) in operations() {
            for (i, (role, (id, secret))) in keys.iter().enumerate() {
                let answer = server
                    .raw_signed(operation, input.to_string().into_bytes(), id, secret, format_amz_date(now_seconds()))
                    .await;
                let denied = answer.error_type() == "AccessDeniedException";
                if denied == allowed[i] {
                    wrong.push(format!(
                        "{} {operation}: expected {}, got {}",
                        role.name(),
                        if allowed[i] { "allowed" } else { "denied" },
                        answer.text
                    ));
                }
                if denied {
                    assert_eq!(answer.status, 400);
                    assert!(
                        answer.text.contains(&format!("{USER_ARN_PREFIX}{}", role.name().to_lowercase())),
                        "{}",
                        answer.text
                    );
                }
            }
        }
        assert!(wrong.is_empty(), "{:?} backend:\n{}", server.backend, wrong.join("\n"));
        server
    })
    .await;
}

#[tokio::test]
async fn inline_policies_narrow_and_explicit_deny_wins() {
    on_both_backends(|server: TestServer| async move {
        let (client, (key_id, key_secret)) = server.client_as("contractor", Role::Editor).await;
        let deny_prod = json!({ "Version": "2012-10-17", "Statement": [
            { "Effect": "Deny", "Action": "codepipeline:*", "Resource": "arn:aws:codepipeline:*:*:prod-*" }
        ]});
        server.engine.identity().put_user_policy("contractor", "no-prod", &deny_prod.to_string()).await.unwrap();
        let err = client.get_pipeline().name("prod-web").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"), "{err:?}");
        assert!(err.message().unwrap().contains("explicit deny"), "{err:?}");
        let err = client.get_pipeline().name("dev-web").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("PipelineNotFoundException"), "other pipelines stay open: {err:?}");
        // Stage conditions are checked against their pipeline and stage too, not against `*`.
        let conditions = [
            ("OverrideStageCondition", json!({ "pipelineName": "prod-web", "stageName": "Build", "pipelineExecutionId": "x", "conditionType": "BEFORE_ENTRY" })),
            ("ListRuleExecutions", json!({ "pipelineName": "prod-web" })),
        ];
        for (operation, input) in conditions {
            let answer = server.raw_signed(operation, input.to_string().into_bytes(), &key_id, &key_secret, format_amz_date(now_seconds())).await;
            assert_eq!(answer.error_type(), "AccessDeniedException", "{operation}: {}", answer.text);
            assert!(answer.text.contains("prod-web"), "{}", answer.text);
        }

        // A Viewer granted approvals on one stage only, as the Approver role is meant to be narrowed.
        let (viewer, _) = server.client_as("reviewer", Role::Viewer).await;
        let approve_prod = json!({ "Statement": { "Effect": "Allow", "Action": "codepipeline:PutApprovalResult",
            "Resource": "arn:aws:codepipeline:us-east-1:000000000000:web/Prod/*" }});
        server.engine.identity().put_user_policy("reviewer", "approve-prod", &approve_prod.to_string()).await.unwrap();
        let answer = |stage: &'static str| {
            let viewer = viewer.clone();
            async move {
                let result = aws_sdk_codepipeline::types::ApprovalResult::builder()
                    .summary("ok")
                    .status(aws_sdk_codepipeline::types::ApprovalStatus::Approved)
                    .build()
                    .unwrap();
                let sent = viewer.put_approval_result().pipeline_name("web").stage_name(stage).action_name("Gate").token("t").result(result);
                sent.send().await.unwrap_err().into_service_error().code().unwrap_or_default().to_owned()
            }
        };
        assert_eq!(answer("Prod").await, "PipelineNotFoundException");
        assert_eq!(answer("Staging").await, "AccessDeniedException");
        server
    })
    .await;
}

#[tokio::test]
async fn changes_record_the_callers_arn() {
    on_both_backends(|server: TestServer| async move {
        let (editor, _) = server.client_as("editor", Role::Editor).await;
        editor.create_pipeline().pipeline(common::sdk_pipeline("arns")).send().await.unwrap();
        editor
            .disable_stage_transition()
            .pipeline_name("arns")
            .stage_name("Build")
            .transition_type(aws_sdk_codepipeline::types::StageTransitionType::Inbound)
            .reason("freeze")
            .send()
            .await
            .unwrap();
        let state = editor.get_pipeline_state().name("arns").send().await.unwrap();
        let build = state.stage_states().iter().find(|s| s.stage_name() == Some("Build")).unwrap();
        assert_eq!(
            build.inbound_transition_state().unwrap().last_changed_by(),
            Some("arn:aws:iam::000000000000:user/editor")
        );

        let started = editor.start_pipeline_execution().name("arns").send().await.unwrap();
        let execution = editor
            .get_pipeline_execution()
            .pipeline_name("arns")
            .pipeline_execution_id(started.pipeline_execution_id().unwrap())
            .send()
            .await
            .unwrap();
        let trigger = execution.pipeline_execution().unwrap().trigger().unwrap();
        assert_eq!(trigger.trigger_detail(), Some("arn:aws:iam::000000000000:user/editor"));
        server
    })
    .await;
}

#[tokio::test]
async fn the_audit_trail_records_every_call_and_detects_tampering() {
    on_both_backends(|server: TestServer| async move {
        let (viewer, (viewer_key, _)) = server.client_as("auditee", Role::Viewer).await;
        let mut pipeline = common::pipeline_json("audited");
        pipeline["stages"][1]["actions"][0]["configuration"]["OAuthToken"] = json!("ghp_supersecretvalue");
        let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert!(!created.text.contains("ghp_supersecretvalue"), "{}", created.text);
        viewer.list_pipelines().send().await.unwrap();
        viewer.delete_pipeline().name("audited").send().await.unwrap_err();

        let trail = server.engine.audit();
        let records = trail.list(&Default::default()).await.unwrap();
        let events: Vec<serde_json::Value> = records.iter().map(|r| serde_json::from_str(&r.record).unwrap()).collect();
        let denied = &events[0];
        assert_eq!(denied["eventName"], "DeletePipeline");
        assert_eq!(denied["errorCode"], "AccessDeniedException");
        assert_eq!(denied["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/auditee");
        assert_eq!(denied["userIdentity"]["accessKeyId"], viewer_key.as_str());
        assert_eq!(denied["sourceIPAddress"], "127.0.0.1");
        assert_eq!(denied["requestParameters"]["name"], "audited");
        assert_eq!(events[1]["eventName"], "ListPipelines");
        assert_eq!(events[1]["readOnly"], true);
        assert!(events[1].get("errorCode").is_none());
        assert!(events[1]["userAgent"].as_str().unwrap().contains("aws-sdk-rust"), "{}", events[1]);
        let create = &events[2];
        assert_eq!(create["eventName"], "CreatePipeline");
        assert_eq!(create["requestParameters"]["pipeline"]["stages"][1]["actions"][0]["configuration"]["OAuthToken"], "****");
        assert!(!records.iter().any(|r| r.record.contains("ghp_supersecretvalue")), "a secret reached the audit trail");
        assert_eq!(trail.list(&engine::audit::AuditFilter { outcome: Some("Failure".into()), user_arn: Some(format!("{USER_ARN_PREFIX}auditee")), ..Default::default() }).await.unwrap().len(), 1);
        // Pages go back from a record; reads (Get*, List*) can be left out.
        let older = trail.list(&engine::audit::AuditFilter { before_seq: Some(records[1].seq), ..Default::default() }).await.unwrap();
        assert_eq!(older, records[2..].to_vec());
        let writes = trail.list(&engine::audit::AuditFilter { writes_only: true, ..Default::default() }).await.unwrap();
        assert!(writes.iter().any(|r| r.event_name == "CreatePipeline"));
        assert!(!writes.iter().any(|r| r.event_name.starts_with("List") || r.event_name.starts_with("Get")), "{writes:?}");
        assert_eq!(writes.len(), records.iter().filter(|r| !r.event_name.starts_with("List") && !r.event_name.starts_with("Get")).count());

        let intact = engine::audit::ChainCheck::Intact { records: records.len() as u64, legacy: 0, keyed_from: Some(records.last().unwrap().seq) };
        assert_eq!(trail.verify().await.unwrap(), intact);
        let mut conn = server.raw_database().await;
        let forged = records[1].record.replace("auditee", "someone-else");
        sqlx::query("update audit_record set record = $1 where seq = $2").bind(forged).bind(records[1].seq).execute(&mut conn).await.unwrap();
        assert!(matches!(trail.verify().await.unwrap(), engine::audit::ChainCheck::Broken { seq, .. } if seq == records[1].seq));
        server
    })
    .await;
}

/// `sluice audit verify` over the test server's data dir and database.
async fn audit_verify(server: &TestServer) -> anyhow::Result<()> {
    let store = server::config::StoreArgs {
        data_dir: server.data_dir.clone(),
        database_url: Some(server.database_url().into()),
    };
    server::auth::commands::audit(server::config::AuditCommand::Verify { store }).await
}

/// Rewrites every record from `from` on so that its links and unkeyed hashes agree again: what
/// anyone with database access could do to the old SHA-256 chain after editing a record.
async fn rechain(
    server: &TestServer,
    records: &[engine::audit::AuditRecord],
    from: usize,
    hash: impl Fn(&str, &str) -> String,
) {
    let mut conn = server.raw_database().await;
    let mut prev = records[from - 1].hash.clone();
    for record in &records[from..] {
        let rehashed = hash(&prev, &record.record);
        sqlx::query("update audit_record set prev_hash = $1, hash = $2 where seq = $3")
            .bind(&prev)
            .bind(&rehashed)
            .bind(record.seq)
            .execute(&mut conn)
            .await
            .unwrap();
        prev = rehashed;
    }
}

#[tokio::test]
async fn the_audit_chain_is_keyed_so_edits_deletions_and_rechaining_are_caught() {
    use engine::audit::ChainCheck;
    use sha2::{Digest, Sha256};
    on_both_backends(|server: TestServer| async move {
        let trail = server.engine.audit();
        // Records an older Sluice wrote with the unkeyed chain, then keyed ones after them.
        let mut conn = server.raw_database().await;
        let mut prev = engine::audit::GENESIS_HASH.to_owned();
        for n in 0..2 {
            let record = json!({ "eventName": "ListPipelines", "n": n }).to_string();
            let hash = hex::encode(Sha256::digest(format!("{prev}\n{record}")));
            sqlx::query("insert into audit_record (event_ms, user_arn, event_name, outcome, record, prev_hash, hash) values ($1, 'a', 'ListPipelines', 'Success', $2, $3, $4)")
                .bind(1_000 + n).bind(&record).bind(&prev).bind(&hash).execute(&mut conn).await.unwrap();
            prev = hash;
        }
        drop(conn);
        for _ in 0..4 {
            server.client.list_pipelines().send().await.unwrap();
        }
        let mut records = trail.list(&Default::default()).await.unwrap();
        records.reverse();
        assert_eq!(records.len(), 6);
        assert!(std::fs::metadata(server.data_dir.join("keys/audit")).unwrap().is_file(), "the key sits beside the master key");
        let intact = ChainCheck::Intact { records: 6, legacy: 2, keyed_from: Some(records[2].seq) };
        assert_eq!(trail.verify().await.unwrap(), intact);
        audit_verify(&server).await.unwrap();

        // An edit re-chained the old way (unkeyed SHA-256) is caught at the edited record.
        let mut conn = server.raw_database().await;
        let forged = records[3].record.replace("ListPipelines", "DeletePipeline");
        sqlx::query("update audit_record set record = $1 where seq = $2").bind(&forged).bind(records[3].seq).execute(&mut conn).await.unwrap();
        drop(conn);
        let mut edited = records.clone();
        edited[3].record = forged;
        rechain(&server, &edited, 3, |prev, record| hex::encode(Sha256::digest(format!("{prev}\n{record}")))).await;
        assert!(matches!(trail.verify().await.unwrap(), ChainCheck::Broken { seq, .. } if seq == records[3].seq));
        let failed = audit_verify(&server).await.unwrap_err().to_string();
        assert!(failed.contains(&format!("record {}", records[3].seq)), "{failed}");
        // So is one re-chained with a key that is not the data dir's.
        rechain(&server, &edited, 3, |prev, record| engine::audit::chain_hash(&[7; 32], prev, record)).await;
        assert!(matches!(trail.verify().await.unwrap(), ChainCheck::Broken { seq, .. } if seq == records[3].seq));

        // A deleted record breaks the link of the one after it.
        let mut conn = server.raw_database().await;
        for record in &records {
            sqlx::query("update audit_record set record = $1, prev_hash = $2, hash = $3 where seq = $4")
                .bind(&record.record).bind(&record.prev_hash).bind(&record.hash).bind(record.seq)
                .execute(&mut conn).await.unwrap();
        }
        assert_eq!(trail.verify().await.unwrap(), intact, "restored");
        sqlx::query("delete from audit_record where seq = $1").bind(records[4].seq).execute(&mut conn).await.unwrap();
        drop(conn);
        let failed = audit_verify(&server).await.unwrap_err().to_string();
        assert!(failed.contains(&format!("record {}", records[5].seq)) && failed.contains("removed"), "{failed}");
        server
    })
    .await;
}

#[tokio::test]
async fn secrets_never_come_back_and_masked_updates_keep_them() {
    on_both_backends(|server: TestServer| async move {
        const TOKEN: &str = "ghp_thisisthesecrettoken";
        let mut pipeline = common::pipeline_json("github");
        pipeline["stages"][0]["actions"][0]["actionTypeId"] = json!({ "category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1" });
        pipeline["stages"][0]["actions"][0]["configuration"] =
            json!({ "Owner": "sluice", "Repo": "app", "Branch": "main", "OAuthToken": TOKEN, "PollForSourceChanges": "false" });
        let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let got = server.raw("GetPipeline", r#"{"name":"github"}"#).await;
        let configuration = &got.json["pipeline"]["stages"][0]["actions"][0]["configuration"];
        assert_eq!(configuration["OAuthToken"], "****");
        assert_eq!(configuration["Repo"], "app");

        // The declaration read back, changed and sent again: `****` keeps the stored token.
        let mut changed = got.json["pipeline"].clone();
        changed["stages"][0]["actions"][0]["configuration"]["Branch"] = json!("release");
        let updated = server.raw("UpdatePipeline", json!({ "pipeline": changed }).to_string()).await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        let stored = server.engine.pipeline("github", None).await.unwrap().declaration;
        let kept = &stored.stages[0].actions[0].configuration["OAuthToken"];
        assert!(engine::secrets::is_sealed(kept), "stored encrypted: {kept}");
        assert_eq!(engine::secrets::Sealer::new(&server.data_dir).open(engine::secrets::context::CONFIGURATION, kept).unwrap(), TOKEN);
        assert_eq!(stored.stages[0].actions[0].configuration["Branch"], "release");

        let records = server.engine.audit().list(&Default::default()).await.unwrap();
        for text in [&created.text, &got.text, &updated.text].into_iter().chain(records.iter().map(|r| &r.record)) {
            assert!(!text.contains(TOKEN), "the secret leaked: {text}");
        }
        server
    })
    .await;
}
