//! The engine's store is its own: the server and the web app read and change everything through
//! `Engine`'s methods, which check and decode once. `Store` is an opaque handle they open and hand
//! to the engine. The compiler keeps `engine::store` and the handle's methods private; this keeps
//! anyone from opening a way around them (a public accessor, a re-export, SQL of their own). And
//! the engine's errors are its own words: CodePipeline's exception names are the API's.
use std::path::{Path, PathBuf};

/// What only the engine may write: its store module, a way to its store, and raw SQL.
const FORBIDDEN: [&str; 3] = ["engine::store", ".store()", "sqlx::"];

fn names_the_store(line: &str) -> bool {
    FORBIDDEN.iter().any(|pattern| line.contains(pattern))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The lines of the Rust files under `dirs` (relative to the workspace) that `offends`, as
/// `path:line: text`.
fn offending_lines(dirs: &[&str], offends: impl Fn(&str) -> bool) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "the sources were not found under {}", root.display());
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if offends(line) {
                offending.push(format!("{}:{}: {}", file.strip_prefix(root).unwrap().display(), n + 1, line.trim()));
            }
        }
    }
    offending
}

#[test]
fn the_server_and_the_app_reach_the_database_only_through_the_engine() {
    let offending = offending_lines(&["server/src", "app/src"], names_the_store);
    assert!(offending.is_empty(), "the store is the engine's own; use an Engine method:\n{}", offending.join("\n"));
}

/// An AWS exception name in a string: the API's words, which belong to `server/src/api/error.rs`.
fn names_an_exception(line: &str) -> bool {
    line.contains("Exception\"")
}

#[test]
fn the_engine_says_what_went_wrong_and_the_api_names_the_exception() {
    let offending = offending_lines(&["engine/src"], names_an_exception);
    assert!(
        offending.is_empty(),
        "engine errors say what went wrong (EngineError, Refusal); the API names the exception:\n{}",
        offending.join("\n")
    );
    assert!(names_an_exception(r#"EngineError::refused("StageNotRetryableException", why)"#));
    assert!(!names_an_exception("EngineError::refused(Refusal::StageNotRetryable, why)"));
}

#[test]
fn the_check_finds_a_way_around_the_engine() {
    assert!(names_the_store("use engine::store::executions;"));
    assert!(names_the_store("state.engine.store().list_audit(&filter)"));
    assert!(names_the_store("sqlx::query(\"select 1\")"));
    assert!(!names_the_store("engine::objects::KeyStore::new(&data_dir)"));
    assert!(!names_the_store("let stored = engine.objects();"));
}
