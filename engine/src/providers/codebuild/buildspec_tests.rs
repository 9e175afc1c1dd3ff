//! The buildspec parser on real-looking buildspecs and on the mistakes people make in them.
use super::*;

const FULL: &str = r#"
version: 0.2
env:
  shell: bash
  variables:
    STAGE: prod
    RETRIES: 3
  parameter-store:
    TOKEN: /ci/token
  secrets-manager:
    DB: ci/db:password
  exported-variables:
    - IMAGE_TAG
phases:
  install:
    runtime-versions:
      python: 3.12
    commands:
      - echo install
  pre_build:
    on-failure: CONTINUE
    commands: echo one command
  build:
    commands:
      - make
      - |
        echo multi
        echo line
    finally:
      - echo cleanup
  post_build:
    run-as: builder
    commands:
      - echo done
reports:
  unit:
    files: ['**/*.xml']
    base-directory: reports
    file-format: JUNITXML
artifacts:
  files:
    - '**/*'
  base-directory: dist
  discard-paths: yes
  exclude-paths: ['**/*.map']
  secondary-artifacts:
    Docs:
      files: docs/**/*
      name: docs
cache:
  paths:
    - '/root/.m2/**/*'
"#;

#[test]
fn a_full_buildspec_is_read_into_types() {
    let spec = parse("buildspec.yml", FULL).expect("parses");
    assert_eq!(spec.version, "0.2");
    assert_eq!(spec.env.variables["RETRIES"], "3", "numbers are kept as written");
    assert_eq!(spec.env.parameter_store["TOKEN"], "/ci/token");
    assert_eq!(spec.env.secrets_manager["DB"], "ci/db:password");
    assert_eq!(spec.env.exported_variables, ["IMAGE_TAG"]);
    let phases: Vec<&str> = spec.phases.declared().iter().map(|(name, _)| name.upper()).collect();
    assert_eq!(phases, ["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"]);
    let pre = spec.phases.pre_build.as_ref().unwrap();
    assert_eq!(
        (pre.on_failure, pre.commands.as_slice()),
        (OnFailure::Continue, ["echo one command".to_owned()].as_slice())
    );
    let build = spec.phases.build.as_ref().unwrap();
    assert_eq!(build.on_failure, OnFailure::Abort, "ABORT is the default");
    assert_eq!(build.commands[1], "echo multi\necho line\n");
    assert_eq!(build.finally, ["echo cleanup"]);
    assert_eq!(spec.phases.post_build.as_ref().unwrap().run_as.as_deref(), Some("builder"));
    assert!(spec.phases.install.as_ref().unwrap().runtime_versions.is_some());
    let artifacts = spec.artifacts.as_ref().unwrap();
    assert!(artifacts.discard_paths && !artifacts.enable_symlinks);
    assert_eq!(artifacts.base_directory.as_deref(), Some("dist"));
    assert_eq!(artifacts.exclude_paths, ["**/*.map"]);
    assert_eq!(artifacts.secondary["Docs"].files, ["docs/**/*"]);
    assert_eq!(spec.reports["unit"].file_format.as_deref(), Some("JUNITXML"));
    assert_eq!(spec.cache.unwrap().paths, ["/root/.m2/**/*"]);
}

fn refused(text: &str) -> BuildspecError {
    parse("buildspec.yml", text).expect_err("refused")
}

#[test]
fn an_unknown_phase_is_named_with_its_line() {
    let err = refused("version: 0.2\nphases:\n  build:\n    commands: [make]\n  test:\n    commands: [make test]\n");
    assert_eq!(err.line, Some(5), "{err}");
    assert!(err.reason.contains("unknown field `test`") && err.reason.contains("post_build"), "{err}");
    assert!(err.to_string().starts_with("buildspec.yml line 5: "), "{err}");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let err = refused("version: 0.2\nphases:\n  build:\n    comands:\n      - make\n");
    assert_eq!(err.line, Some(4), "{err}");
    assert!(err.reason.contains("unknown field `comands`"), "{err}");
    let err = refused("version: 0.2\nartifact:\n  files: x\nphases:\n  build:\n    commands: [make]\n");
    assert_eq!(err.line, Some(2), "{err}");
}

#[test]
fn yaml_that_does_not_parse_is_refused_with_its_line() {
    let err = refused("version: 0.2\nphases:\n  build:\n    commands:\n      - make\n     - bad indent\n");
    assert_eq!(err.line, Some(6), "{err}");
    let err = refused("version: 0.2\nphases:\n  build:\n    commands: \"unterminated\n");
    assert!(err.line.is_some(), "{err}");
}

#[test]
fn wrong_values_are_refused() {
    let err = refused("version: 0.2\nphases:\n  build:\n    on-failure: RETRY_FOREVER\n    commands: [make]\n");
    assert_eq!(err.line, Some(4), "{err}");
    assert!(err.reason.contains("RETRY_FOREVER"), "{err}");
    let err = refused("version: 0.1\nphases:\n  build:\n    commands: [make]\n");
    assert!(err.reason.contains("0.1") && err.line == Some(1), "{err}");
    assert!(refused("phases:\n  build:\n    commands: [make]\n").reason.contains("version"));
    assert!(refused("version: 0.2\n").reason.contains("no phase"));
    assert!(refused("").reason.contains("empty"));
    let err = refused("version: 0.2\nphases:\n  build: {}\n");
    assert!(err.reason.contains("commands"), "{err}");
    let err = refused("version: 0.2\nenv:\n  variables:\n    BAD-NAME: x\nphases:\n  build:\n    commands: [make]\n");
    assert_eq!(err.line, Some(4), "{err}");
    let err = refused("version: 0.2\nenv:\n  shell: pwsh.exe\nphases:\n  build:\n    commands: [make]\n");
    assert!(err.reason.contains("pwsh.exe"), "{err}");
    let err = refused("version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  name: x\n");
    assert!(err.reason.contains("needs files"), "{err}");
    let err = refused("version: 0.2\nphases:\n  build:\n    commands:\n      - key: value\n");
    assert_eq!(err.line, Some(5), "a map where a command belongs: {err}");
    let err = refused(
        "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: x\n  discard-paths: maybe\n",
    );
    assert!(err.reason.contains("maybe"), "{err}");
}
