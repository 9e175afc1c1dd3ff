//! The CodeCommit source through a real server and the real `git`: a push starts the pipelines
//! that watch the branch without polling (through the push's event, within a second), polling
//! pipelines start from the branch head, the artifact holds the pushed tree (CODE_ZIP) or a clone
//! (CODEBUILD_CLONE_REF), the variables name the commit, and a missing branch fails clearly.
mod common;

use aws_sdk_codepipeline::types::{PipelineExecutionStatus, TriggerType};
use common::git::{commit_file, git, new_working_copy};
use common::runs::{create, executions, finished, source_action, trigger, wait_for};
use common::{check_stage, on_both_backends, v2_pipeline_with_source};
use serde_json::json;
use std::time::{Duration, Instant};

/// A V2 pipeline: a CodeCommit source of `repository`/`branch` (and `extra` settings), then a
/// Commands action running `commands` on what it read.
fn pipeline(
    name: &str,
    repository: &str,
    branch: &str,
    extra: serde_json::Value,
    commands: &[&str],
) -> serde_json::Value {
    let mut configuration = json!({ "RepositoryName": repository, "BranchName": branch });
    configuration.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v2_pipeline_with_source(name, "CodeCommit", configuration, vec![check_stage(commands)])
}

#[tokio::test]
async fn a_push_starts_the_pipelines_that_watch_the_branch() {
    on_both_backends(|server| async move {
        server.create_repository("web").await;
        let no_poll = json!({ "PollForSourceChanges": "false" });
        let zip_check = ["grep -q 'hello from git' app.txt"];
        create(&server, pipeline("on-push", "web", "main", no_poll.clone(), &zip_check)).await;
        let clone = json!({ "PollForSourceChanges": "false", "OutputArtifactFormat": "CODEBUILD_CLONE_REF" });
        create(
            &server,
            pipeline("cloned", "web", "main", clone, &["test -f .git/HEAD", "grep -q 'hello from git' app.txt"]),
        )
        .await;
        create(&server, pipeline("other-branch", "web", "dev", no_poll, &["true"])).await;
        create(&server, pipeline("polled", "web", "main", json!({}), &zip_check)).await;

        // CreatePipeline's run finds no branch yet, and says so.
        let first = wait_for(&server, "on-push", "the first run failing", |e| e.len() == 1 && finished(&e[0])).await;
        assert_eq!(first[0].status(), Some(&PipelineExecutionStatus::Failed));
        let failed = source_action(&server, "on-push", first[0].pipeline_execution_id().unwrap()).await;
        let message = failed["output"]["executionResult"]["externalExecutionSummary"]
            .as_str()
            .or(failed["output"]["executionResult"]["errorDetails"]["message"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| failed.to_string());
        assert!(message.contains("Branch main does not exist in repository web"), "{failed:#}");

        let work = new_working_copy().await;
        let commit = commit_file(&work, "app.txt", "hello from git\n", "Say hello\n\nWith a body.").await;
        git(&work, &["push", "--quiet", &server.remote("web", &server.key), "main"]).await;
        let pushed = Instant::now();
        wait_for(&server, "on-push", "a run started by the push", |e| e.len() == 2).await;
        let started_after = pushed.elapsed();
        println!("the push started its pipeline {} ms after git push returned", started_after.as_millis());
        assert!(started_after < Duration::from_secs(3), "took {started_after:?}");

        for name in ["on-push", "cloned"] {
            let runs = wait_for(&server, name, "the pushed run finishing", |e| e.len() == 2 && finished(&e[0])).await;
            let run = &runs[0];
            assert_eq!(trigger(run), Some(&TriggerType::CloudWatchEvent), "{name}");
            assert_eq!(run.status(), Some(&PipelineExecutionStatus::Succeeded), "{name}: {run:#?}");
            assert_eq!(run.source_revisions()[0].revision_id(), Some(commit.as_str()));
            assert_eq!(run.source_revisions()[0].revision_summary(), Some("Say hello"));
            let source = source_action(&server, name, run.pipeline_execution_id().unwrap()).await;
            let variables = &source["output"]["outputVariables"];
            assert_eq!(variables["CommitId"], commit.as_str());
            assert_eq!(variables["BranchName"], "main");
            assert_eq!(variables["RepositoryName"], "web");
            assert_eq!(variables["CommitMessage"], "Say hello\n\nWith a body.");
            assert!(variables["AuthorDate"].as_str().unwrap().ends_with('Z'), "{variables}");
        }
        // The polling pipeline finds the new head on its own, once.
        let polled = wait_for(&server, "polled", "a polled run", |e| e.len() == 2 && finished(&e[0])).await;
        assert_eq!(trigger(&polled[0]), Some(&TriggerType::PollForSourceChanges));
        assert_eq!(polled[0].status(), Some(&PipelineExecutionStatus::Succeeded), "{polled:#?}");

        // A commit starts each pipeline once; another branch starts nothing.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for (name, runs) in [("on-push", 2), ("cloned", 2), ("polled", 2), ("other-branch", 1)] {
            assert_eq!(executions(&server, name).await.len(), runs, "{name}");
        }
        server
    })
    .await;
}
