//! Hosted repositories over git's smart HTTP protocol with the real `git`: clone, push, branches
//! and tags with an access key as Basic credentials, refusals for a wrong password and for a key
//! without GitPush, gzip-encoded requests, the events a push writes to the outbox, and the
//! CodeCommit API through boto3. On both backends.
mod common;

use common::git::{commit_file, git, git_output, new_working_copy, scratch_dir};
use common::{new_user_with_key, on_both_backends, run_python_check, TestServer};
use engine::identity::Role;
use engine::repos::REPOSITORY_STATE_CHANGE;
use serde_json::Value;

/// The CodeCommit events in the outbox, oldest first, once there are at least `count`: a push
/// is recorded when git http-backend exits, which may be just after git has its answer.
async fn push_events(server: &TestServer, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let events = server.engine.events_after(0, 1000).await.unwrap();
        let pushes: Vec<Value> =
            events.into_iter().filter(|e| e.detail_type == REPOSITORY_STATE_CHANGE).map(|e| e.body).collect();
        if pushes.len() >= count {
            return pushes;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("fewer than {count} push events after 5 s");
}

/// The event for `reference`, the latest one.
fn event_for<'a>(events: &'a [Value], reference: &str) -> &'a Value {
    let found = events.iter().rev().find(|e| e["detail"]["referenceFullName"] == reference);
    found.unwrap_or_else(|| panic!("no event for {reference} in {events:#?}"))
}

#[tokio::test]
async fn git_clones_and_pushes_branches_and_tags_with_an_access_key() {
    on_both_backends(|server| async move {
        server.create_repository("app").await;
        let remote = server.remote("app", &server.key);
        let work = new_working_copy().await;
        let first = commit_file(&work, "app.txt", "one\n", "First").await;
        git(&work, &["push", "--quiet", &remote, "main"]).await;
        git(&work, &["checkout", "--quiet", "-b", "feature"]).await;
        let feature = commit_file(&work, "feature.txt", "wip\n", "Feature work").await;
        git(&work, &["tag", "-a", "v1", "-m", "Release 1", &first]).await;
        git(&work, &["push", "--quiet", &remote, "feature", "v1"]).await;

        // A Viewer clones (GitPull) and sees both branches and the tag.
        let viewer = new_user_with_key(&server.engine, "viewer", Role::Viewer).await;
        let clones = scratch_dir();
        git(&clones, &["clone", "--quiet", &server.remote("app", &viewer), "copy"]).await;
        let copy = clones.join("copy");
        assert_eq!(std::fs::read_to_string(copy.join("app.txt")).unwrap(), "one\n");
        assert!(git(&copy, &["branch", "-r"]).await.contains("origin/feature"));
        assert_eq!(git(&copy, &["rev-parse", "v1^{commit}"]).await, first);

        // A Viewer may not push: git reports the 403, and nothing moves.
        commit_file(&copy, "app.txt", "two\n", "Second").await;
        let refused = git_output(&copy, &["push", "--quiet", "origin", "main"]).await;
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("403"), "{refused:?}");
        let main =
            server.codecommit("GetBranch", serde_json::json!({"repositoryName": "app", "branchName": "main"})).await;
        assert_eq!(main.json["branch"]["commitId"], first.as_str());

        // A wrong password is an authentication failure (401), never a prompt.
        let wrong = server.remote("app", &(server.key.0.clone(), "not-the-secret".into()));
        let failed = git_output(&clones, &["ls-remote", &wrong]).await;
        assert!(!failed.status.success());
        assert!(String::from_utf8_lossy(&failed.stderr).contains("Authentication failed"), "{failed:?}");

        // The pushes are events: created branches and tag, then an update with its old commit.
        git(&work, &["checkout", "--quiet", "main"]).await;
        let second = commit_file(&work, "app.txt", "three\n", "Third").await;
        git(&work, &["push", "--quiet", &remote, "main"]).await;
        let events = push_events(&server, 4).await;
        assert_eq!(events.len(), 4, "{events:#?}");
        let updated = event_for(&events, "refs/heads/main");
        assert_eq!(updated["source"], "aws.codecommit");
        assert_eq!(updated["resources"][0], "arn:aws:codecommit:us-east-1:000000000000:app");
        let detail = &updated["detail"];
        assert_eq!(detail["event"], "referenceUpdated");
        assert_eq!((detail["commitId"].as_str(), detail["oldCommitId"].as_str()), (Some(&*second), Some(&*first)));
        assert_eq!(
            (detail["referenceType"].as_str(), detail["referenceName"].as_str()),
            (Some("branch"), Some("main"))
        );
        assert_eq!(detail["callerUserArn"], "arn:aws:iam::000000000000:user/tester");
        let created = &event_for(&events, "refs/heads/feature")["detail"];
        assert_eq!(
            (created["event"].as_str(), created["commitId"].as_str()),
            (Some("referenceCreated"), Some(&*feature))
        );
        let tag = &event_for(&events, "refs/tags/v1")["detail"];
        assert_eq!((tag["referenceType"].as_str(), tag["commitId"].as_str()), (Some("tag"), Some(&*first)));

        // Deleting a branch is an event too.
        git(&work, &["push", "--quiet", &remote, "--delete", "feature"]).await;
        let events = push_events(&server, 5).await;
        let deleted = &event_for(&events, "refs/heads/feature")["detail"];
        assert_eq!(
            (deleted["event"].as_str(), deleted["oldCommitId"].as_str()),
            (Some("referenceDeleted"), Some(&*feature))
        );
        server
    })
    .await;
}

#[tokio::test]
async fn git_over_http_refuses_what_it_must() {
    on_both_backends(|server| async move {
        server.create_repository("locked").await;
        let client = reqwest::Client::new();
        let refs = format!("{}/v1/repos/locked/info/refs?service=git-upload-pack", server.url);
        let anonymous = client.get(&refs).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"Sluice\"");

        let (id, secret) = &server.key;
        let wrong = client.get(&refs).basic_auth(id, Some("not-the-secret")).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let missing = format!("{}/v1/repos/missing/info/refs?service=git-upload-pack", server.url);
        let answer = client.get(&missing).basic_auth(id, Some(secret)).send().await.unwrap();
        assert_eq!(answer.status(), 404);

        // A policy that denies GitPull on this one repository wins over the Admin role.
        let deny = r#"{"Statement": {"Effect": "Deny", "Action": "codecommit:GitPull", "Resource": "arn:aws:codecommit:*:*:locked"}}"#;
        server.engine.identity().put_user_policy("tester", "no-locked", deny).await.unwrap();
        let denied = client.get(&refs).basic_auth(id, Some(secret)).send().await.unwrap();
        assert_eq!(denied.status(), 403);
        assert!(denied.text().await.unwrap().contains("codecommit:GitPull"));

        // Every refusal is in the audit trail under the key it claimed.
        let records = server.engine.audit().list(&Default::default()).await.unwrap();
        let parsed: Vec<Value> = records.iter().map(|r| serde_json::from_str(&r.record).unwrap()).collect();
        let is_git = |r: &&Value| r["eventSource"] == "codecommit.amazonaws.com" && r["eventName"] == "GitPull";
        let git_calls: Vec<&Value> = parsed.iter().filter(is_git).collect();
        let codes: Vec<&str> = git_calls.iter().filter_map(|r| r["errorCode"].as_str()).collect();
        for code in ["UnrecognizedClientException", "RepositoryDoesNotExistException", "AccessDeniedException"] {
            assert!(codes.contains(&code), "{code} not in {codes:?}");
        }
        let wrong_key = git_calls.iter().find(|r| r["errorCode"] == "UnrecognizedClientException").unwrap();
        assert_eq!(wrong_key["userIdentity"]["accessKeyId"], id.as_str());
        assert_eq!(git_calls.len(), 3, "the anonymous challenge is not recorded: {git_calls:#?}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_gzip_encoded_fetch_is_served() {
    on_both_backends(|server| async move {
        server.create_repository("zipped").await;
        let work = new_working_copy().await;
        let commit = commit_file(&work, "a.txt", "gzip\n", "Zipped").await;
        git(&work, &["push", "--quiet", &server.remote("zipped", &server.key), "main"]).await;
        // What git sends to fetch one commit: a want line, a flush, done.
        let want = format!("want {commit}\n");
        let request = format!("{:04x}{want}00000009done\n", want.len() + 4);
        let gzipped = gzip(request.as_bytes());
        let (id, secret) = &server.key;
        let answer = reqwest::Client::new()
            .post(format!("{}/v1/repos/zipped/git-upload-pack", server.url))
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-git-upload-pack-request")
            .header("content-encoding", "gzip")
            .body(gzipped)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["content-type"], "application/x-git-upload-pack-result");
        let body = answer.bytes().await.unwrap();
        assert!(body.windows(4).any(|w| w == b"PACK"), "no pack in {:?}", String::from_utf8_lossy(&body));
        server
    })
    .await;
}

/// gzip from Python's standard library, so the test needs no compression crate of its own.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut python = std::process::Command::new("python3")
        .args(["-c", "import gzip, sys; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python.stdin.take().unwrap().write_all(data).unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[tokio::test]
async fn boto3_drives_the_codecommit_api() {
    on_both_backends(|server| async move {
        let env =
            [("SLUICE_URL", server.url.as_str()), ("SLUICE_KEY_ID", &server.key.0), ("SLUICE_SECRET", &server.key.1)];
        run_python_check("codecommit_check.py", &env).await;
        server
    })
    .await;
}
