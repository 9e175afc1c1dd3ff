//! The engine's store is its own: the server and the web app read and change everything through
//! `Engine`'s methods, which check and decode once. The compiler keeps `engine::store` private;
//! this keeps anyone from opening a way around it (a public accessor, a re-export).
use std::path::{Path, PathBuf};

/// What only the engine may write: its store module, its handle, and raw SQL.
const FORBIDDEN: [&str; 4] = ["engine::store", "engine::Store", ".store()", "sqlx::"];

/// Whether `line` names the store: a forbidden path, or the type `Store` itself (not `KeyStore`).
fn names_the_store(line: &str) -> bool {
    let bare_store = line
        .match_indices("Store::")
        .any(|(at, _)| line[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_'));
    bare_store || FORBIDDEN.iter().any(|pattern| line.contains(pattern))
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

#[test]
fn the_server_and_the_app_reach_the_database_only_through_the_engine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in ["server/src", "app/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "the sources were not found under {}", root.display());
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if names_the_store(line) {
                offending.push(format!("{}:{}: {}", file.strip_prefix(root).unwrap().display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offending.is_empty(), "the store is the engine's own; use an Engine method:\n{}", offending.join("\n"));
}

#[test]
fn the_check_tells_the_store_from_other_stores() {
    assert!(names_the_store("let store = Store::connect(&url).await?;"));
    assert!(names_the_store("use engine::store::executions;"));
    assert!(names_the_store("state.engine.store().list_audit(&filter)"));
    assert!(!names_the_store("engine::objects::KeyStore::new(&data_dir)"));
    assert!(!names_the_store("let stored = engine.objects();"));
}
