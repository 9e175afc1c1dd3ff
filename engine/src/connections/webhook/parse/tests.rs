use super::*;
use serde_json::json;

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const ZERO: &str = "0000000000000000000000000000000000000000";

fn parsed(provider: ProviderType, kind: &str, body: Value) -> Result<Parsed, String> {
    parse(provider, Some(kind), body.to_string().as_bytes())
}

fn one_event(parsed: Result<Parsed, String>) -> (String, GitEvent) {
    match parsed {
        Ok(Parsed::Events { repository, mut events }) if events.len() == 1 => (repository, events.remove(0)),
        other => panic!("not one event: {other:?}"),
    }
}

#[test]
fn github_pushes_and_pull_requests() {
    let push = json!({ "ref": "refs/heads/main", "after": A, "deleted": false, "repository": { "full_name": "octo/app" },
        "commits": [{ "added": ["a.rs"], "modified": ["b.rs"], "removed": [] }, { "added": [], "modified": ["a.rs"], "removed": ["c.rs"] }] });
    let (repository, event) = one_event(parsed(ProviderType::GitHub, "push", push));
    assert_eq!(repository, "octo/app");
    assert_eq!(event.kind, GitEventKind::Push(GitRef::Branch("main".into())));
    assert_eq!(event.commit, A);
    assert_eq!(event.changed_files, Some(vec!["a.rs".into(), "b.rs".into(), "c.rs".into()]));
    let annotated =
        json!({ "ref": "refs/tags/v1", "after": A, "head_commit": { "id": B }, "repository": { "full_name": "o/r" } });
    let (_, event) = one_event(parsed(ProviderType::GitHub, "push", annotated));
    assert_eq!((event.kind, event.commit.as_str()), (GitEventKind::Push(GitRef::Tag("v1".into())), B));

    let pr = json!({ "action": "synchronize", "number": 5, "repository": { "full_name": "octo/app" },
        "pull_request": { "head": { "ref": "feature", "sha": B }, "base": { "ref": "main" } } });
    let (_, event) = one_event(parsed(ProviderType::GitHubEnterpriseServer, "pull_request", pr));
    let expected = GitEventKind::PullRequest {
        action: Pr::Updated,
        number: Some(5),
        source_branch: "feature".into(),
        destination_branch: "main".into(),
    };
    assert_eq!((event.kind, event.commit.as_str(), event.changed_files), (expected, B, None));
}

#[test]
fn what_sluice_does_not_act_on_is_ignored_with_a_reason() {
    let ignored = |p: Result<Parsed, String>| match p {
        Ok(Parsed::Ignored(why)) => why,
        other => panic!("not ignored: {other:?}"),
    };
    assert!(ignored(parsed(ProviderType::GitHub, "issues", json!({}))).contains("\"issues\""));
    let deleted =
        json!({ "ref": "refs/heads/old", "after": ZERO, "deleted": true, "repository": { "full_name": "o/r" } });
    assert!(ignored(parsed(ProviderType::GitHub, "push", deleted)).contains("deleted"));
    let labeled = json!({ "action": "labeled", "repository": { "full_name": "o/r" } });
    assert!(ignored(parsed(ProviderType::GitHub, "pull_request", labeled)).contains("labeled"));
    let title = json!({ "project": { "path_with_namespace": "g/r" }, "object_attributes": { "action": "update" } });
    assert!(ignored(parsed(ProviderType::GitLab, "Merge Request Hook", title)).contains("update"));
    assert!(ignored(parsed(ProviderType::GitLab, "Issue Hook", json!({}))).contains("Issue Hook"));
}

#[test]
fn malformed_bodies_name_the_missing_field() {
    assert!(parse(ProviderType::GitHub, Some("push"), b"{not json").unwrap_err().contains("not JSON"));
    let no_repo = parsed(ProviderType::GitHub, "push", json!({ "ref": "refs/heads/main", "after": A }));
    assert!(no_repo.unwrap_err().contains("repository.full_name"));
    let bad_commit = json!({ "ref": "refs/heads/main", "after": "; rm -rf /", "repository": { "full_name": "o/r" } });
    assert!(parsed(ProviderType::GitHub, "push", bad_commit).unwrap_err().contains("commit id"));
    assert!(parsed(ProviderType::Bitbucket, "repo:push", json!({ "repository": { "full_name": "o/r" } }))
        .unwrap_err()
        .contains("push.changes"));
    assert!(parsed(ProviderType::GitHub, "push", json!([1, 2])).is_err());
}

#[test]
fn gitlab_tag_pushes_run_the_tagged_commit_and_short_commit_lists_hide_the_files() {
    let tag = json!({ "ref": "refs/tags/v1", "after": A, "checkout_sha": B, "project": { "path_with_namespace": "g/sub/r" },
        "commits": [], "total_commits_count": 0 });
    let (repository, event) = one_event(parsed(ProviderType::GitLab, "Tag Push Hook", tag));
    assert_eq!((repository.as_str(), event.commit.as_str()), ("g/sub/r", B));
    assert_eq!(event.kind, GitEventKind::Push(GitRef::Tag("v1".into())));

    let many = json!({ "ref": "refs/heads/main", "after": A, "checkout_sha": A, "project": { "path_with_namespace": "g/r" },
        "commits": [{ "added": ["x"], "modified": [], "removed": [] }], "total_commits_count": 40 });
    assert_eq!(one_event(parsed(ProviderType::GitLabSelfManaged, "Push Hook", many)).1.changed_files, None);

    let merged = json!({ "project": { "path_with_namespace": "g/r" }, "object_attributes": { "action": "merge", "iid": 3,
        "source_branch": "f", "target_branch": "main", "last_commit": { "id": A } } });
    let (_, event) = one_event(parsed(ProviderType::GitLab, "Merge Request Hook", merged));
    assert!(matches!(event.kind, GitEventKind::PullRequest { action: Pr::Closed, number: Some(3), .. }), "{event:?}");
}

#[test]
fn a_bitbucket_push_is_one_event_per_updated_ref() {
    let push = json!({ "repository": { "full_name": "team/r" }, "push": { "changes": [
        { "new": { "type": "branch", "name": "main", "target": { "hash": A } }, "old": null },
        { "new": null, "old": { "type": "branch", "name": "gone" } },
        { "new": { "type": "tag", "name": "v2", "target": { "hash": B } } } ] } });
    let Ok(Parsed::Events { repository, events }) = parsed(ProviderType::Bitbucket, "repo:push", push) else {
        panic!()
    };
    assert_eq!(repository, "team/r");
    let kinds: Vec<_> = events.iter().map(|e| (e.kind.clone(), e.commit.as_str())).collect();
    assert_eq!(
        kinds,
        [(GitEventKind::Push(GitRef::Branch("main".into())), A), (GitEventKind::Push(GitRef::Tag("v2".into())), B)]
    );
}

#[test]
fn no_cut_or_retyped_body_makes_it_panic() {
    let bodies = [
        (
            "push",
            json!({ "ref": "refs/heads/main", "after": A, "repository": { "full_name": "o/r" }, "commits": [{ "added": ["a"] }] }),
        ),
        (
            "Push Hook",
            json!({ "ref": "refs/heads/main", "after": A, "project": { "path_with_namespace": "g/r" }, "total_commits_count": 1 }),
        ),
        (
            "repo:push",
            json!({ "repository": { "full_name": "o/r" }, "push": { "changes": [{ "new": { "type": "branch", "name": "m", "target": { "hash": A } } }] } }),
        ),
    ];
    let providers = [ProviderType::GitHub, ProviderType::GitLab, ProviderType::Bitbucket];
    for ((kind, body), provider) in bodies.iter().zip(providers) {
        let text = body.to_string();
        for end in 0..text.len() {
            let _ = parse(provider, Some(kind), &text.as_bytes()[..end]);
        }
        // Every string and list in the body replaced by a number, and by null.
        for replacement in ["1", "null", "[]", "{}"] {
            let retyped = text.replace(&format!("\"{A}\""), replacement).replace("[\"a\"]", replacement);
            let _ = parse(provider, Some(kind), retyped.as_bytes());
        }
    }
}
