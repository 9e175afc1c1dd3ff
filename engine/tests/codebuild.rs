//! CodeBuild actions in real pipelines, on both backends: builds run in the sandbox, pass files and
//! exported variables to later actions, and fail the way CodeBuild's phases fail.
mod support;

use engine::build_projects::{BuildProject, BuildVariable, ProjectArtifacts, ProjectEnvironment, ProjectSource};
use support::*;

fn project(name: &str, buildspec: Option<&str>, variables: &[(&str, &str)]) -> BuildProject {
    BuildProject {
        name: name.into(),
        description: None,
        source: ProjectSource { kind: "CODEPIPELINE".into(), buildspec: buildspec.map(str::to_owned), location: None },
        artifacts: ProjectArtifacts { kind: "CODEPIPELINE".into() },
        environment: ProjectEnvironment {
            kind: "LINUX_CONTAINER".into(),
            image: "aws/codebuild/standard:7.0".into(),
            compute_type: "BUILD_GENERAL1_SMALL".into(),
            environment_variables: variables
                .iter()
                .map(|(name, value)| BuildVariable {
                    name: (*name).into(),
                    value: (*value).into(),
                    kind: "PLAINTEXT".into(),
                })
                .collect(),
        },
        service_role: None,
        timeout_in_minutes: 5,
        created_ms: 0,
        updated_ms: 0,
    }
}

/// A CodeBuild action of `project`.
fn build(name: &str, project: &str, config: Value, inputs: &[&str], outputs: &[&str]) -> Value {
    let mut configuration = json!({ "ProjectName": project });
    configuration.as_object_mut().unwrap().extend(config.as_object().cloned().unwrap_or_default());
    json!({
        "name": name,
        "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
        "runOrder": 1,
        "configuration": configuration,
        "inputArtifacts": inputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
        "outputArtifacts": outputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
    })
}

/// Builds the first project: writes the app, its docs and the next build's buildspec.
const MAKE: &str = r#"
version: 0.2
env:
  variables:
    GREETING: from-buildspec
    LAYER: buildspec
  exported-variables: [GREETING, LAYER, NUMBER, SUCCEEDING, INITIATOR]
phases:
  install:
    runtime-versions:
      python: 3.12
    commands:
      - mkdir -p dist/sub docs
  build:
    commands:
      - cp message.txt dist/sub/message.txt
      - test "$TOKEN" = s3cret-value && echo "token=$TOKEN"
      - echo map > dist/app.js.map
      - echo "guide for $GREETING" > docs/guide.md
      - |
        cat > dist/buildspec.yml <<'EOF'
        version: 0.2
        phases:
          build:
            commands:
              - test ! -e app.js.map && test -f sub/message.txt
              - echo "got $UPSTREAM" > message.txt
              - cat "$CODEBUILD_SRC_DIR_Docs/guide.md" >> message.txt
        artifacts:
          files: message.txt
        EOF
      - export NUMBER=$CODEBUILD_BUILD_NUMBER INITIATOR=$CODEBUILD_INITIATOR
  post_build:
    commands:
      - SUCCEEDING=$CODEBUILD_BUILD_SUCCEEDING
artifacts:
  files: ['**/*']
  secondary-artifacts:
    App:
      files: ['**/*']
      base-directory: dist
      exclude-paths: ['**/*.map']
    Docs:
      files: [docs/*]
      discard-paths: yes
"#;

#[tokio::test]
async fn builds_pass_files_and_exported_variables_to_later_actions() {
    on_both(|h| async move {
        h.engine.create_build_project(project("make", Some(MAKE), &[("LAYER", "project")])).await.unwrap();
        h.engine.secrets().put("ci/build", r#"{"token":"s3cret-value"}"#).await.unwrap();
        // No buildspec: `buildspec.yml` of the primary source, which the first build wrote.
        h.engine.create_build_project(project("check", None, &[])).await.unwrap();
        let mut make = build(
            "Make",
            "make",
            json!({ "EnvironmentVariables": r#"[{"name":"LAYER","value":"action","type":"PLAINTEXT"},
                {"name":"TOKEN","value":"ci/build:token","type":"SECRETS_MANAGER"}]"# }),
            &["Code"],
            &["App", "Docs"],
        );
        make["namespace"] = json!("MakeVars");
        let check = build(
            "Check",
            "check",
            json!({
                "PrimarySource": "App",
                "EnvironmentVariables": r##"[{"name":"UPSTREAM","value":"#{MakeVars.GREETING}/#{MakeVars.LAYER}"}]"##,
            }),
            &["Docs", "App"],
            &["Out"],
        );
        let verify = step("Verify", "Test", 1, json!({ "Read": "Out" }), &["Out"], &[]);
        let layout = pipeline(
            "cb",
            vec![
                source(json!({ "Write": "hello" })),
                ("Build", vec![make]),
                ("Check", vec![check]),
                ("Verify", vec![verify]),
            ],
        );
        h.create(layout).await;
        let id = h.start("cb").await;
        let status = h.wait_end("cb", &id).await;
        let runs = h.runs("cb", &id).await;
        let run = |name: &str| runs.iter().find(|r| r.action_name == name).unwrap_or_else(|| panic!("{name} ran"));
        assert_eq!(status, PipelineExecutionStatus::Succeeded, "{runs:#?}");
        let vars = &run("Make").output.output_variables;
        assert_eq!(vars["GREETING"], "from-buildspec");
        assert_eq!(vars["LAYER"], "action", "the action's variables win over the project's and the buildspec's");
        assert_eq!((vars["NUMBER"].as_str(), vars["SUCCEEDING"].as_str()), ("1", "1"));
        assert_eq!(vars["INITIATOR"], "codepipeline/cb");
        assert!(run("Make").external_execution_id.as_deref().unwrap().starts_with("make:"));
        assert_eq!(
            run("Verify").output.output_variables["Message"],
            "got from-buildspec/action\nguide for from-buildspec\n",
            "the second build read its buildspec from the first one's artifact and the docs as a secondary input"
        );
        let log = log_text(&h, &run("Make").action_execution_id).await;
        for expected in [
            "[Container] Entering phase INSTALL",
            "[Container] Phase complete: BUILD State: SUCCEEDED",
            "[Container] Not applied here: runtime-versions python",
            "token=****",
            "[Container] Running in the host sandbox: no container runtime is used, so image aws/codebuild/standard:7.0",
        ] {
            assert!(log.contains(expected), "{expected:?} in\n{log}");
        }
        assert!(!log.contains("s3cret"), "secrets are masked in the log:\n{log}");
        h
    })
    .await;
}

async fn log_text(h: &Harness, action_execution_id: &str) -> String {
    let lines = h.engine.action_log(action_execution_id, 0, 10_000).await.unwrap();
    lines.into_iter().map(|(_, line)| line).collect::<Vec<_>>().join("\n")
}

/// Each project fails in its own way; all run side by side in one stage.
const CASES: [(&str, &str); 5] = [
    (
        "build-fails",
        "version: 0.2\nphases:\n  install:\n    commands: [echo install-ran]\n  build:\n    commands:\n      - echo build-1\n      - 'false'\n      - echo never-printed\n    finally:\n      - echo finally-ran\n  post_build:\n    commands:\n      - echo post-succeeding=$CODEBUILD_BUILD_SUCCEEDING\n",
    ),
    (
        "pre-build-aborts",
        "version: 0.2\nphases:\n  pre_build:\n    commands: ['exit_code() { return 3; }', exit_code]\n  build:\n    commands: [echo never-built]\n  post_build:\n    commands: [echo never-posted]\n",
    ),
    (
        "pre-build-continues",
        "version: 0.2\nphases:\n  pre_build:\n    on-failure: CONTINUE\n    commands: ['false']\n  build:\n    commands: [echo built-with-succeeding=$CODEBUILD_BUILD_SUCCEEDING]\n",
    ),
    ("bad-buildspec", "version: 0.2\nphases:\n  build:\n    commands: [make]\n  tests:\n    commands: [make test]\n"),
    ("no-match", "version: 0.2\nphases:\n  build:\n    commands: [echo x > x.txt]\nartifacts:\n  files: [nothing/**/*]\n"),
];

#[tokio::test]
async fn failed_phases_follow_codebuild_semantics() {
    on_both(|h| async move {
        let mut actions = Vec::new();
        for (name, buildspec) in CASES {
            h.engine.create_build_project(project(name, Some(buildspec), &[])).await.unwrap();
            let outputs: &[&str] = if name == "no-match" { &["Out"] } else { &[] };
            actions.push(build(name, name, json!({}), &["Code"], outputs));
        }
        actions.push(build("missing", "no-such-project", json!({}), &["Code"], &[]));
        h.create(pipeline("fails", vec![source(json!({})), ("Build", actions)])).await;
        let id = h.start("fails").await;
        assert_eq!(h.wait_end("fails", &id).await, PipelineExecutionStatus::Failed);
        let runs = h.runs("fails", &id).await;
        let outcome = |name: &str| {
            let run = runs.iter().find(|r| r.action_name == name).unwrap_or_else(|| panic!("{name} ran"));
            assert_eq!(run.state.status, ActionExecutionStatus::Failed, "{run:#?}");
            (run.state.error_message.clone().unwrap_or_default(), run.action_execution_id.clone())
        };

        let (error, exec) = outcome("build-fails");
        assert_eq!(error, "Build failed in phase BUILD: command 'false' exited with status 1");
        let log = log_text(&h, &exec).await;
        for expected in [
            "install-ran",
            "build-1",
            "finally-ran",
            "[Container] Phase complete: BUILD State: FAILED",
            "[Container] Entering phase POST_BUILD",
            "post-succeeding=0",
        ] {
            assert!(log.contains(expected), "{expected:?} in\n{log}");
        }
        assert!(!log.contains("never-printed"), "{log}");

        let (error, exec) = outcome("pre-build-aborts");
        assert_eq!(error, "Build failed in phase PRE_BUILD: command 'exit_code' exited with status 3");
        let log = log_text(&h, &exec).await;
        assert!(!log.contains("Entering phase BUILD") && !log.contains("never-"), "ABORT skips the rest:\n{log}");

        let (error, exec) = outcome("pre-build-continues");
        assert_eq!(error, "Build failed in phase PRE_BUILD: command 'false' exited with status 1");
        assert!(log_text(&h, &exec).await.contains("built-with-succeeding=0"));

        let (error, _) = outcome("bad-buildspec");
        assert!(
            error.starts_with("YAML_FILE_ERROR: the project's inline buildspec line 5: phases: unknown field `tests`"),
            "{error}"
        );
        let (error, _) = outcome("no-match");
        assert_eq!(error, "No files matched 'nothing/**/*' for output artifact 'Out'");
        let (error, _) = outcome("missing");
        assert!(error.contains("The CodeBuild project 'no-such-project' does not exist"), "{error}");
        h
    })
    .await;
}
