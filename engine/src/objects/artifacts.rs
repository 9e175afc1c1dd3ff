//! Artifacts as CodePipeline passes them between actions: zip files of a directory.
//!
//! `pack_dir` is deterministic (entries in byte order of their paths, fixed 1980-01-01 timestamps),
//! so the same tree always packs to the same bytes and the same ETag. Paths are relative with `/`
//! separators; unix permission bits are kept so scripts stay executable. Symlinks are never stored
//! as links: one to a regular file inside the directory is stored as that file's content, any
//! other (to a directory, outside the tree, dangling) is left out and listed in the summary.
//!
//! `unpack` refuses, before writing it, any entry that would land outside the destination
//! (zip-slip: `../x`, absolute paths) and any symlink entry, and fails on a CRC mismatch. It also
//! refuses zip bombs ([`UnpackLimits`]): too many entries, too many bytes in all, or a large entry
//! that inflates too far. The sizes an archive declares are checked before anything is written,
//! and the bytes actually inflated are counted as they are written, as a header can lie.
use super::{blocking, ObjectError, Result};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// What `pack_dir` put in the zip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackSummary {
    pub files: u64,
    /// Uncompressed bytes of the files.
    pub bytes: u64,
    /// Relative paths left out, each with the reason (symlinks that lead elsewhere, sockets, ...).
    pub skipped: Vec<String>,
}

/// Zips the contents of `dir` into a new file at `zip_path` (replacing it).
pub async fn pack_dir(dir: &Path, zip_path: &Path) -> Result<PackSummary> {
    let (dir, zip_path) = (dir.to_owned(), zip_path.to_owned());
    blocking(move || pack_blocking(&dir, &zip_path)).await
}

/// What `unpack` accepts from one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Uncompressed bytes of all entries together.
    pub max_total_bytes: u64,
    /// Entries (files and directories).
    pub max_entries: usize,
    /// Uncompressed bytes per compressed byte, for entries larger than `ratio_applies_above`.
    pub max_ratio: u64,
    /// Entries up to this size may inflate as far as they like (a small file of one repeated byte).
    pub ratio_applies_above: u64,
}

impl Default for UnpackLimits {
    /// 5 GiB in all (S3's single-PUT limit, like uploads), 100,000 entries, 200:1 above 1 MiB.
    fn default() -> Self {
        UnpackLimits { max_total_bytes: 5 << 30, max_entries: 100_000, max_ratio: 200, ratio_applies_above: 1 << 20 }
    }
}

impl UnpackLimits {
    /// How many bytes an entry of `compressed` bytes may inflate to, before the total's limit.
    fn entry_allowance(&self, compressed: u64) -> u64 {
        compressed.saturating_mul(self.max_ratio).max(self.ratio_applies_above)
    }
}

/// Extracts `zip_path` into `dest` (created if missing; meant to be a new, empty directory)
/// within the default [`UnpackLimits`]. Returns the number of files written.
pub async fn unpack(zip_path: &Path, dest: &Path) -> Result<u64> {
    unpack_within(zip_path, dest, UnpackLimits::default()).await
}

/// `unpack` within other limits.
pub async fn unpack_within(zip_path: &Path, dest: &Path, limits: UnpackLimits) -> Result<u64> {
    let (zip_path, dest) = (zip_path.to_owned(), dest.to_owned());
    blocking(move || unpack_blocking(&zip_path, &dest, &limits)).await
}

enum Entry {
    Dir { name: String, mode: u32 },
    File { name: String, path: PathBuf, mode: u32, size: u64 },
}

fn io_err(context: impl std::fmt::Display) -> impl FnOnce(io::Error) -> ObjectError {
    move |err| ObjectError::io(context.to_string(), err)
}

fn zip_err(context: impl std::fmt::Display) -> impl FnOnce(zip::result::ZipError) -> ObjectError {
    move |err| match err {
        zip::result::ZipError::Io(err) => ObjectError::io(context.to_string(), err),
        other => ObjectError::Archive(format!("{context}: {other}")),
    }
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    if meta.is_dir() {
        0o755
    } else {
        0o644
    }
}

pub(super) fn pack_blocking(dir: &Path, zip_path: &Path) -> Result<PackSummary> {
    let root = dir.canonicalize().map_err(io_err(format!("opening the artifact directory {}", dir.display())))?;
    let out = File::create(zip_path).map_err(io_err(format!("creating {}", zip_path.display())))?;
    // If the zip is being written inside the directory, it must not pack itself.
    let exclude = zip_path.canonicalize().ok();
    let mut entries = Vec::new();
    let mut summary = PackSummary::default();
    walk(&root, &root, "", exclude.as_deref(), &mut entries, &mut summary.skipped)?;

    let mut zip = ZipWriter::new(BufWriter::new(out));
    let base = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let context = || format!("writing {}", zip_path.display());
    for entry in entries {
        match entry {
            Entry::Dir { name, mode } => {
                zip.add_directory(name, base.unix_permissions(mode)).map_err(zip_err(context()))?;
            }
            Entry::File { name, path, mode, size } => {
                let options = base.unix_permissions(mode).large_file(size >= u64::from(u32::MAX));
                zip.start_file(name, options).map_err(zip_err(context()))?;
                let mut input = File::open(&path).map_err(io_err(format!("reading {}", path.display())))?;
                summary.bytes +=
                    io::copy(&mut input, &mut zip).map_err(io_err(format!("packing {}", path.display())))?;
                summary.files += 1;
            }
        }
    }
    let out = zip.finish().map_err(zip_err(context()))?;
    out.into_inner()
        .map_err(|err| ObjectError::io(context(), err.into_error()))?
        .sync_all()
        .map_err(io_err(context()))?;
    Ok(summary)
}

/// The files of an artifact folder: `(name in the artifact, path)`, and what is left out.
pub type ArtifactFiles = (Vec<(String, PathBuf)>, Vec<String>);

/// The files of the artifact folder `dir`, as `pack_dir` would pack them: `(name in the artifact,
/// path)` in byte order of their names, and what it would skip. Blocking.
pub fn artifact_files(dir: &Path) -> Result<ArtifactFiles> {
    let root = dir.canonicalize().map_err(io_err(format!("opening the artifact directory {}", dir.display())))?;
    let (mut entries, mut skipped) = (Vec::new(), Vec::new());
    walk(&root, &root, "", None, &mut entries, &mut skipped)?;
    let files = entries
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::File { name, path, .. } => Some((name, path)),
            Entry::Dir { .. } => None,
        })
        .collect();
    Ok((files, skipped))
}

/// Collects the entries under `dir` depth-first, children in byte order of their names.
fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    exclude: Option<&Path>,
    out: &mut Vec<Entry>,
    skipped: &mut Vec<String>,
) -> Result<()> {
    let listing = fs::read_dir(dir).map_err(io_err(format!("listing {}", dir.display())))?;
    let mut children = listing.collect::<io::Result<Vec<_>>>().map_err(io_err(format!("listing {}", dir.display())))?;
    children.sort_by_key(|child| child.file_name());
    for child in children {
        let file_name = child.file_name();
        let Some(file_name) = file_name.to_str() else {
            skipped.push(format!("{prefix}/{} (name is not UTF-8)", file_name.to_string_lossy()));
            continue;
        };
        let name = if prefix.is_empty() { file_name.to_owned() } else { format!("{prefix}/{file_name}") };
        let path = child.path();
        let meta = fs::symlink_metadata(&path).map_err(io_err(format!("reading {}", path.display())))?;
        if meta.file_type().is_symlink() {
            match fs::canonicalize(&path).and_then(|target| fs::metadata(&target).map(|meta| (target, meta))) {
                Ok((target, target_meta)) if target.starts_with(root) && target_meta.is_file() => {
                    out.push(Entry::File { name, path: target, mode: mode_of(&target_meta), size: target_meta.len() });
                }
                _ => skipped.push(format!("{name} (symlink to a directory, outside the artifact or to nothing)")),
            }
        } else if meta.is_dir() {
            out.push(Entry::Dir { name: name.clone(), mode: mode_of(&meta) });
            walk(root, &path, &name, exclude, out, skipped)?;
        } else if meta.is_file() {
            if exclude.is_some_and(|exclude| exclude == path) {
                continue;
            }
            out.push(Entry::File { name, path, mode: mode_of(&meta), size: meta.len() });
        } else {
            skipped.push(format!("{name} (not a regular file)"));
        }
    }
    Ok(())
}

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;

/// Refuses an archive whose central directory already declares more than `limits` allow.
fn check_declared<R: io::Read + io::Seek>(
    archive: &mut ZipArchive<R>,
    archive_name: &str,
    limits: &UnpackLimits,
) -> Result<()> {
    if archive.len() > limits.max_entries {
        return Err(ObjectError::ArchiveLimit(format!(
            "{archive_name} has {} entries; the limit is {} entries",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(zip_err(archive_name))?;
        let (size, compressed) = (entry.size(), entry.compressed_size());
        if size > limits.entry_allowance(compressed) {
            return Err(ObjectError::ArchiveLimit(format!(
                "{:?} in {archive_name} inflates {compressed} bytes to {size}; the limit is a ratio of {}:1 for entries over {} bytes",
                entry.name(),
                limits.max_ratio,
                limits.ratio_applies_above
            )));
        }
        total = total.saturating_add(size);
    }
    if total > limits.max_total_bytes {
        return Err(total_limit(archive_name, limits));
    }
    Ok(())
}

fn total_limit(archive_name: &str, limits: &UnpackLimits) -> ObjectError {
    ObjectError::ArchiveLimit(format!(
        "{archive_name} unpacks to more than the limit of {} bytes in all",
        limits.max_total_bytes
    ))
}

fn unpack_blocking(zip_path: &Path, dest: &Path, limits: &UnpackLimits) -> Result<u64> {
    let file = File::open(zip_path).map_err(io_err(format!("opening {}", zip_path.display())))?;
    unpack_file(file, &zip_path.display().to_string(), dest, limits)
}

/// Extracts the zip in the open `file` (read from its start) into `dest` within `limits`;
/// `archive_name` names it in errors. The object store uses it to unpack a stored version in
/// place, without a copy.
pub(super) fn unpack_file(file: File, archive_name: &str, dest: &Path, limits: &UnpackLimits) -> Result<u64> {
    fs::create_dir_all(dest).map_err(io_err(format!("creating {}", dest.display())))?;
    let dest = dest.canonicalize().map_err(io_err(format!("opening {}", dest.display())))?;
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(zip_err(archive_name))?;
    check_declared(&mut archive, archive_name, limits)?;
    let mut files = 0;
    let mut written: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_err(archive_name))?;
        let name = entry.name().map(|name| name.into_owned()).unwrap_or_else(|_| format!("entry #{index}"));
        // The zip reader would quietly make `/etc/x` relative; an absolute name is refused outright.
        let absolute = name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':');
        let Some(relative) = entry.enclosed_name().filter(|_| !absolute) else {
            return Err(ObjectError::UnsafeArchive(format!(
                "{name:?} in {archive_name} would be written outside the destination"
            )));
        };
        let mode = entry.unix_mode();
        if entry.is_symlink() || mode.is_some_and(|mode| mode & S_IFMT == S_IFLNK) {
            return Err(ObjectError::UnsafeArchive(format!("{name:?} in {archive_name} is a symbolic link")));
        }
        let target = dest.join(&relative);
        let parent = if entry.is_dir() { target.as_path() } else { target.parent().unwrap_or(&dest) };
        fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
        // The name is clean, but a symlink already in `dest` could still redirect the write.
        let resolved = parent.canonicalize().map_err(io_err(format!("opening {}", parent.display())))?;
        let is_link = fs::symlink_metadata(&target).is_ok_and(|meta| meta.file_type().is_symlink());
        if !resolved.starts_with(&dest) || is_link {
            return Err(ObjectError::UnsafeArchive(format!(
                "{name:?} would be written through a symbolic link in the destination"
            )));
        }
        if entry.is_dir() {
            set_mode(&target, mode.map_or(0o755, |mode| mode & 0o777 | 0o700))?;
            continue;
        }
        let out = File::create(&target).map_err(io_err(format!("creating {}", target.display())))?;
        let mut out = BufWriter::new(out);
        // Declared sizes were checked; what actually inflates is capped here, one byte past the
        // allowance so that going over is seen.
        let allowance = limits.entry_allowance(entry.compressed_size()).min(limits.max_total_bytes - written);
        // The zip reader checks each entry's CRC-32 as it reaches the end and fails the copy on a mismatch.
        let copied =
            io::copy(&mut io::Read::take(&mut entry, allowance + 1), &mut out).map_err(|err| match err.kind() {
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                    ObjectError::Archive(format!("{name:?} in {archive_name} is damaged: {err}"))
                }
                _ => ObjectError::io(format!("extracting {name:?} to {}", target.display()), err),
            })?;
        if copied > allowance {
            return Err(match written + copied > limits.max_total_bytes {
                true => total_limit(archive_name, limits),
                false => ObjectError::ArchiveLimit(format!(
                    "{name:?} in {archive_name} inflates past its declared size, beyond a ratio of {}:1",
                    limits.max_ratio
                )),
            });
        }
        written += copied;
        out.into_inner().map_err(|err| ObjectError::io(format!("writing {}", target.display()), err.into_error()))?;
        // The owner can always read and write what it unpacked (so it can clean up); no set-id bits.
        set_mode(&target, mode.map_or(0o644, |mode| mode & 0o777 | 0o600))?;
        files += 1;
    }
    Ok(files)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(io_err(format!("setting the mode of {}", path.display())))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip of `entries` (name, length) whose files are all zeros: deflate packs 8 MiB of them
    /// into about 8 KB, as a zip bomb's entries do.
    fn zeros_zip(path: &Path, entries: &[(&str, usize)]) {
        let mut zip = ZipWriter::new(File::create(path).unwrap());
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, len) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(&vec![0u8; *len]).unwrap();
        }
        zip.finish().unwrap();
    }

    fn unpacked(entries: &[(&str, usize)], limits: UnpackLimits) -> (Result<u64>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("bomb.zip");
        zeros_zip(&zip, entries);
        let result = unpack_blocking(&zip, &dir.path().join("out"), &limits);
        (result, dir)
    }

    fn refusal(result: Result<u64>) -> String {
        match result {
            Err(err @ ObjectError::ArchiveLimit(_)) => err.to_string(),
            other => panic!("expected an archive limit, got {other:?}"),
        }
    }

    #[test]
    fn a_zip_bomb_is_refused_before_anything_is_written() {
        // Two 8 MiB entries of zeros in about 16 KB: 1000:1, over the default 200:1.
        let (result, dir) = unpacked(&[("a.bin", 8 << 20), ("b.bin", 8 << 20)], UnpackLimits::default());
        let message = refusal(result);
        assert!(message.contains("\"a.bin\"") && message.contains("200:1"), "{message}");
        assert!(fs::read_dir(dir.path().join("out")).unwrap().next().is_none(), "nothing was unpacked");
    }

    #[test]
    fn total_size_and_entry_count_have_limits() {
        let limits = UnpackLimits { max_total_bytes: 5 << 19, max_entries: 3, ..UnpackLimits::default() };
        let message = refusal(unpacked(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)], limits).0);
        assert!(message.contains("4 entries") && message.contains("limit is 3 entries"), "{message}");
        let message = refusal(unpacked(&[("a", 1 << 20), ("b", 1 << 20), ("c", 1 << 20)], limits).0);
        assert!(message.contains(&format!("limit of {} bytes in all", 5 << 19)), "{message}");
        // Entries up to 1 MiB may compress as well as they like; within the limits all is unpacked.
        assert_eq!(unpacked(&[("a", 1 << 20), ("b", 1 << 20)], limits).0.unwrap(), 2);
    }
}
