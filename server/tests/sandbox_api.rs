//! Pipeline code is hostile: a pipeline whose commands attack the server runs through the API,
//! and every attack fails with its reason in the action's log, on SQLite and PostgreSQL. (The
//! normal delivery pipeline of execution_api.rs runs in the same sandbox and succeeds.)
mod common;

use aws_sdk_codepipeline::types::ActionExecutionStatus;
use common::{
    commands_action, on_both_backends, signed_get, upload_zip, v2_pipeline_with_s3_source, wait_final, TestServer,
};
use serde_json::json;

/// (action name, command, what its log must say).
fn attacks(server: &TestServer) -> Vec<(&'static str, String, &'static str)> {
    let data = server.data_dir.display();
    let work = engine::sandbox::SandboxConfig::default().work_dir;
    let work = work.display();
    let mut attacks = vec![
        ("ReadMasterKey", format!("cat {data}/keys/master"), "No such file or directory"),
        ("ListDataDir", format!("ls {data}"), "No such file or directory"),
        ("ServerEnvironment", format!("cat /proc/{}/environ", std::process::id()), "No such file or directory"),
        ("WriteOutside", format!("touch {data}/pwned"), "No such file or directory"),
        ("WriteSystem", "touch /usr/pwned".to_owned(), "Read-only file system"),
        // The attacks run side by side, yet each sees only its own workspace.
        (
            "OtherWorkspaces",
            format!("n=$(ls -d {work}/*/ | wc -l); echo \"workspaces visible: $n\"; test $n -gt 1"),
            "workspaces visible: 1",
        ),
        (
            "ForkBomb",
            "perl -e 'while (1) { defined(fork) or die \"fork failed: $!\\n\" }'".to_owned(),
            "the sandbox's limit of",
        ),
        ("MemoryHog", "perl -e '$x = \"x\" x (6 * 1024 ** 3)'".to_owned(), "Out of memory"),
    ];
    if let Some(path) = server.database_url().strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path).to_owned();
        attacks.push(("ReadDatabase", format!("cat {file}"), "No such file or directory"));
    }
    attacks
}

#[tokio::test]
async fn pipeline_code_cannot_touch_sluice() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let attacks = attacks(&server);
        let actions: Vec<_> =
            attacks.iter().map(|(name, command, _)| commands_action(name, 1, &[command], "Src", None)).collect();
        let pipeline = v2_pipeline_with_s3_source(
            "hostile",
            "sources",
            "app.zip",
            vec![json!({ "name": "Attack", "actions": actions })],
        );
        let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let id = loop {
            let listed = server.client.list_pipeline_executions().pipeline_name("hostile").send().await.unwrap();
            if let Some(first) = listed.pipeline_execution_summaries().first() {
                break first.pipeline_execution_id().unwrap().to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        wait_final(&server, "hostile", &id).await;
        let runs = server.client.list_action_executions().pipeline_name("hostile").send().await.unwrap();
        for (name, command, says) in &attacks {
            let run = runs
                .action_execution_details()
                .iter()
                .find(|a| a.action_name() == Some(*name))
                .expect("the attack ran");
            let result = run.output().and_then(|o| o.execution_result());
            let summary = result.and_then(|r| r.error_details()).and_then(|e| e.message()).unwrap_or_default();
            assert_eq!(
                run.status(),
                Some(&ActionExecutionStatus::Failed),
                "{name} `{command}` was not refused: {summary}"
            );
            let log_url = format!("{}/api/v1/action-executions/{}/log", server.url, run.action_execution_id().unwrap());
            let log: serde_json::Value = signed_get(&log_url, &server.key).await.json().await.unwrap();
            let text: Vec<&str> = log["lines"].as_array().unwrap().iter().filter_map(|l| l["text"].as_str()).collect();
            let said = text.iter().any(|l| l.contains(says)) || summary.contains(says);
            assert!(
                said,
                "{name}: neither the log nor the summary says {says:?}: {summary} {:?}",
                &text[..text.len().min(5)]
            );
        }
        assert!(!server.data_dir.join("pwned").exists());
        server
    })
    .await;
}
