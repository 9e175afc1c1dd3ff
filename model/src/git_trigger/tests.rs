use super::*;
use crate::pipeline::GitPullRequestEventType::{Closed, Open, Updated};

fn criteria(includes: &[&str], excludes: &[&str]) -> Option<GitFilterCriteria> {
    let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    Some(GitFilterCriteria { includes: owned(includes), excludes: owned(excludes) })
}

fn push_filter(
    tags: Option<GitFilterCriteria>,
    branches: Option<GitFilterCriteria>,
    file_paths: Option<GitFilterCriteria>,
) -> GitPushFilter {
    GitPushFilter { tags, branches, file_paths }
}

fn config(push: Vec<GitPushFilter>, pull_request: Vec<GitPullRequestFilter>) -> GitConfiguration {
    GitConfiguration { source_action_name: "Source".into(), push, pull_request }
}

fn push(reference: &str, files: Option<&[&str]>) -> GitEvent {
    GitEvent {
        kind: GitEventKind::Push(GitRef::parse(reference).unwrap()),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        changed_files: files.map(|f| f.iter().map(|s| s.to_string()).collect()),
    }
}

fn pull_request(action: GitPullRequestEventType, destination: &str, files: Option<&[&str]>) -> GitEvent {
    GitEvent {
        kind: GitEventKind::PullRequest {
            action,
            number: Some(7),
            source_branch: "feature/x".into(),
            destination_branch: destination.into(),
        },
        ..push("refs/heads/feature/x", files)
    }
}

fn fires(git: &GitConfiguration, event: &GitEvent) -> bool {
    decide(git, "main", event).fires()
}

#[test]
fn branch_includes_and_excludes_with_excludes_winning() {
    let git = config(vec![push_filter(None, criteria(&["release/**", "main"], &["release/old*"]), None)], vec![]);
    assert!(fires(&git, &push("refs/heads/main", None)));
    assert!(fires(&git, &push("refs/heads/release/2.0", None)));
    assert!(!fires(&git, &push("refs/heads/release/old-1", None)), "an exclude wins over a matching include");
    assert!(!fires(&git, &push("refs/heads/dev", None)));
    let only_excludes = config(vec![push_filter(None, criteria(&[], &["wip/*"]), None)], vec![]);
    assert!(fires(&only_excludes, &push("refs/heads/anything", None)), "no includes: every branch not excluded");
    assert!(!fires(&only_excludes, &push("refs/heads/wip/a", None)));
}

#[test]
fn tags_filters_match_tag_pushes_only_and_branch_filters_branch_pushes_only() {
    let tags = config(vec![push_filter(criteria(&["v*"], &["v0.*"]), None, None)], vec![]);
    assert!(fires(&tags, &push("refs/tags/v1.2", None)));
    assert!(!fires(&tags, &push("refs/tags/v0.9", None)));
    assert!(!fires(&tags, &push("refs/heads/v1", None)), "a branch named like a tag is not a tag");
    let branches = config(vec![push_filter(None, criteria(&["**"], &[]), None)], vec![]);
    assert!(!fires(&branches, &push("refs/tags/v1", None)), "a branch filter does not take tag pushes");
    assert!(GitRef::parse("refs/notes/x").is_none());
}

#[test]
fn file_paths_need_one_included_file_that_is_not_excluded() {
    let git = config(
        vec![push_filter(None, criteria(&["main"], &[]), criteria(&["src/**", "**/*.toml"], &["src/docs/**"]))],
        vec![],
    );
    assert!(fires(&git, &push("refs/heads/main", Some(&["src/lib.rs"]))));
    assert!(fires(&git, &push("refs/heads/main", Some(&["Cargo.toml"]))));
    assert!(!fires(&git, &push("refs/heads/main", Some(&["src/docs/a.md"]))), "excluded");
    assert!(fires(&git, &push("refs/heads/main", Some(&["src/docs/a.md", "src/main.rs"]))));
    assert!(!fires(&git, &push("refs/heads/main", Some(&["README.md"]))));
    assert!(!fires(&git, &push("refs/heads/dev", Some(&["src/lib.rs"]))), "criteria are ANDed");
    let unknown = decide(&git, "main", &push("refs/heads/main", None));
    assert!(matches!(&unknown, Decision::Skips(why) if why.contains("changed files")), "{unknown:?}");
}

#[test]
fn filters_are_ored_and_the_firing_one_is_named() {
    let git = config(
        vec![push_filter(None, criteria(&["main"], &[]), None), push_filter(criteria(&["v*"], &[]), None, None)],
        vec![],
    );
    assert_eq!(decide(&git, "main", &push("refs/tags/v2", None)), Decision::Fires("push[1]".into()));
    let Decision::Skips(why) = decide(&git, "main", &push("refs/heads/dev", None)) else { panic!() };
    assert!(why.contains("push[0]: branch dev matches no include") && why.contains("push[1]"), "{why}");
    let no_prs = decide(&git, "main", &pull_request(Open, "main", None));
    assert_eq!(no_prs, Decision::Skips("the trigger has no pullRequest filters".into()));
}

#[test]
fn pull_requests_match_events_and_destination_branches() {
    let filter = GitPullRequestFilter {
        events: vec![Open, Updated],
        branches: criteria(&["main"], &[]),
        file_paths: criteria(&["src/**"], &[]),
    };
    let git = config(vec![], vec![filter]);
    assert!(fires(&git, &pull_request(Open, "main", Some(&["src/a.rs"]))));
    assert!(fires(&git, &pull_request(Updated, "main", Some(&["src/a.rs"]))));
    assert!(!fires(&git, &pull_request(Closed, "main", Some(&["src/a.rs"]))));
    assert!(!fires(&git, &pull_request(Open, "dev", Some(&["src/a.rs"]))), "the destination branch is filtered");
    assert!(!fires(&git, &pull_request(Open, "main", Some(&["docs/a.md"]))));
    let any_event = config(vec![], vec![GitPullRequestFilter { events: vec![], branches: None, file_paths: None }]);
    assert!(fires(&any_event, &pull_request(Closed, "dev", None)), "no events listed: all of them");
    assert!(!fires(&any_event, &push("refs/heads/main", None)), "a push is not a pull request");
}

#[test]
fn a_trigger_without_filters_starts_on_pushes_to_the_actions_branch() {
    let git = config(vec![], vec![]);
    assert!(fires(&git, &push("refs/heads/main", None)));
    assert!(!fires(&git, &push("refs/heads/dev", None)));
    assert!(!fires(&git, &push("refs/tags/main", None)));
    assert!(!fires(&git, &pull_request(Open, "main", None)));
}

#[test]
fn a_pattern_with_too_many_alternatives_fires_nothing() {
    let git = config(vec![push_filter(None, criteria(&[&"{a,b}".repeat(8)], &[]), None)], vec![]);
    assert!(!fires(&git, &push("refs/heads/a", None)));
}

#[test]
fn events_describe_themselves_for_trigger_details() {
    assert_eq!(push("refs/tags/v1", None).describe(), "push of tag v1 at 0123456789ab");
    assert_eq!(
        pull_request(Updated, "main", None).describe(),
        "pull request #7 UPDATED feature/x -> main at 0123456789ab"
    );
}
