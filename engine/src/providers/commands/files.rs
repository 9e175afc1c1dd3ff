//! The workspace layout, the primary input copied in, and output artifacts collected by pattern.
use super::super::{ActionFailure, LogSink, OutputArtifactPayload, Payload};
use globset::{GlobBuilder, GlobMatcher};
use model::OutputArtifact;
use std::io;
use std::path::{Component, Path, PathBuf};

pub(in crate::providers) struct Layout {
    pub src: PathBuf,
    pub home: PathBuf,
    pub tmp: PathBuf,
    pub run: PathBuf,
    pub artifacts: PathBuf,
}

impl Layout {
    /// Makes the folders; `src/` is the primary input's folder moved in, when there is one.
    /// Every folder costs an inode allocation and release per attempt, so none is made twice.
    pub(in crate::providers) async fn create(
        workspace: &Path,
        primary: Option<&Path>,
    ) -> Result<Layout, ActionFailure> {
        let layout = Layout {
            src: workspace.join("src"),
            home: workspace.join("home"),
            tmp: workspace.join("tmp"),
            run: workspace.join("run"),
            artifacts: workspace.join("artifacts"),
        };
        if let Some(primary) = primary {
            take_input(primary, &layout.src).await?;
        }
        for dir in layout.writable() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|err| super::system(format!("cannot create {}: {err}", dir.display())))?;
        }
        Ok(layout)
    }

    /// What the commands may write; `artifacts/` is made by Sluice after the run.
    pub(in crate::providers) fn writable(&self) -> Vec<&Path> {
        vec![&self.src, &self.home, &self.tmp, &self.run]
    }
}

/// Moves the unpacked primary input (this attempt's own copy) into `src/`, copying only when it
/// is on another file system.
async fn take_input(from: &Path, to: &Path) -> Result<(), ActionFailure> {
    let (from, to) = (from.to_owned(), to.to_owned());
    blocking(move || {
        std::fs::rename(&from, &to).or_else(|_| std::fs::create_dir_all(&to).and_then(|()| copy_tree(&from, &to)))
    })
    .await
    .map_err(|err| super::system(format!("cannot place the primary input artifact: {err}")))
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
        } else {
            std::fs::copy(&source, &target)?; // keeps the mode, so scripts stay executable
        }
    }
    Ok(())
}

/// One `files` entry, compiled.
struct Pattern {
    glob: GlobMatcher,
    /// Set when the pattern has no wildcard: it may name a directory, meaning all of it.
    literal: Option<String>,
}

fn compile(text: &str) -> Result<Pattern, ActionFailure> {
    let bad = |why: &str| ActionFailure::configuration(format!("Output file pattern '{text}' {why}"));
    let trimmed = text.trim().trim_start_matches("./");
    if trimmed.is_empty() {
        return Err(bad("is empty"));
    }
    if Path::new(trimmed).components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(bad("must stay inside the working directory"));
    }
    // CodeBuild's `**/` and `dist/` mean "everything below".
    let pattern = match trimmed.strip_suffix('/') {
        Some("**") => "**".to_owned(),
        Some(dir) => format!("{dir}/**"),
        None => trimmed.to_owned(),
    };
    let glob = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|err| bad(&format!("is not a valid pattern: {}", err.kind())))?
        .compile_matcher();
    let literal = (!pattern.contains(['*', '?', '[', '{'])).then(|| pattern.trim_end_matches('/').to_owned());
    Ok(Pattern { glob, literal })
}

impl Pattern {
    fn matches(&self, relative: &str) -> bool {
        self.glob.is_match(relative)
            || self.literal.as_deref().is_some_and(|dir| relative.strip_prefix(dir).is_some_and(|r| r.starts_with('/')))
    }
}

/// Copies the files matching the artifact's patterns from `src/` into `artifacts/<name>/`.
pub(super) async fn collect_output(
    layout: &Layout,
    artifact: &OutputArtifact,
    log: &LogSink,
) -> Result<OutputArtifactPayload, ActionFailure> {
    let texts = if artifact.files.is_empty() { vec!["**/*".to_owned()] } else { artifact.files.clone() };
    let dir = layout.artifacts.join(&artifact.name);
    let selection = Selection { root: layout.src.clone(), files: &texts, exclude: &[], discard_paths: false };
    collect(selection, dir.clone(), &artifact.name, log).await?;
    Ok(OutputArtifactPayload { name: artifact.name.clone(), payload: Payload::Dir(dir) })
}

/// Which files of a tree make an artifact, in CodeBuild's terms.
pub(in crate::providers) struct Selection<'a> {
    /// What the patterns are relative to: `src/`, or a build's `base-directory` in it.
    pub root: PathBuf,
    pub files: &'a [String],
    /// Files matching these are left out (`exclude-paths`).
    pub exclude: &'a [String],
    /// Every file goes to the top of the artifact (`discard-paths`).
    pub discard_paths: bool,
}

/// Copies the selected files into `dest`; fails when no pattern matched any file.
pub(in crate::providers) async fn collect(
    selection: Selection<'_>,
    dest: PathBuf,
    name: &str,
    log: &LogSink,
) -> Result<(), ActionFailure> {
    let texts = selection.files;
    let patterns = texts.iter().map(|t| compile(t)).collect::<Result<Vec<_>, _>>()?;
    let exclude = selection.exclude.iter().map(|t| compile(t)).collect::<Result<Vec<_>, _>>()?;
    let (src, discard) = (selection.root, selection.discard_paths);
    let (copied, used, skipped_links) = blocking(move || collect_blocking(&src, &dest, &patterns, &exclude, discard))
        .await
        .map_err(|err| super::system(format!("cannot collect output artifact '{name}': {err}")))?;
    for link in skipped_links {
        log.line(format!("[Sluice] Skipping {link}: it is a link to outside the working directory"));
    }
    for (text, used) in texts.iter().zip(&used) {
        if !used {
            log.line(format!("[Sluice] Skipping pattern '{text}': no matching files"));
        }
    }
    if copied == 0 {
        let list = texts.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
        return Err(ActionFailure::job_failed(format!("No files matched {list} for output artifact '{name}'")));
    }
    log.line(format!("[Sluice] Collected {copied} file(s) into output artifact '{name}'"));
    Ok(())
}

/// Returns how many files were copied, which patterns matched, and which links were left out.
fn collect_blocking(
    src: &Path,
    dest: &Path,
    patterns: &[Pattern],
    exclude: &[Pattern],
    discard_paths: bool,
) -> io::Result<(usize, Vec<bool>, Vec<String>)> {
    std::fs::create_dir_all(dest)?;
    let root = src.canonicalize()?;
    let mut used = vec![false; patterns.len()];
    let (mut copied, mut skipped) = (0, Vec::new());
    for relative in list_files(src)? {
        let mut wanted = false;
        for (pattern, used) in patterns.iter().zip(used.iter_mut()) {
            if pattern.matches(&relative) {
                (wanted, *used) = (true, true);
            }
        }
        if !wanted || exclude.iter().any(|pattern| pattern.matches(&relative)) {
            continue;
        }
        let source = src.join(&relative);
        // A link could point at the server's own files; only links within the tree are followed.
        let real = source.canonicalize().ok().filter(|real| real.starts_with(&root) && real.is_file());
        let Some(real) = real else {
            skipped.push(relative);
            continue;
        };
        let target = match (discard_paths, Path::new(&relative).file_name()) {
            (true, Some(file_name)) => dest.join(file_name),
            _ => dest.join(&relative),
        };
        // With discarded paths two files may share a name: the later one wins, as in CodeBuild.
        if discard_paths {
            let _ = std::fs::remove_file(&target);
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Nothing changes `src/` any more, so a hard link is as good as a copy and much cheaper.
        if std::fs::hard_link(&real, &target).is_err() {
            std::fs::copy(&real, &target)?;
        }
        copied += 1;
    }
    Ok((copied, used, skipped))
}

/// Every non-directory below `root`, as `/`-separated relative paths; linked directories are not entered.
fn list_files(root: &Path) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(root.join(&relative))? {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                files.push(path.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    Ok(files)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|err| Err(io::Error::other(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        compile(pattern).expect("pattern compiles").matches(path)
    }

    #[test]
    fn codebuild_style_patterns() {
        assert!(matches("**/*", "a.txt"));
        assert!(matches("**/*", "a/b/c.txt"));
        assert!(matches("**/", "a/b/c.txt"));
        assert!(matches("*.txt", "a.txt"));
        assert!(!matches("*.txt", "dir/a.txt"));
        assert!(matches("dist/**/*", "dist/a.js"));
        assert!(matches("dist/**/*", "dist/x/y/a.js"));
        assert!(!matches("dist/**/*", "distro/a.js"));
        assert!(matches("dist", "dist/x/a.js"));
        assert!(matches("dist/", "dist/x/a.js"));
        assert!(!matches("dist", "distro/a.js"));
        assert!(matches("./build.zip", "build.zip"));
    }

    #[test]
    fn patterns_may_not_leave_the_tree() {
        for bad in ["../x", "/etc/passwd", "a/../../b", ""] {
            assert!(compile(bad).is_err(), "{bad} should be refused");
        }
    }
}
