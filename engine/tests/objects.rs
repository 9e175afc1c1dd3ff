//! The versioned object store on both backends, encryption at rest, and artifact packing.
use engine::objects::{pack_dir, unpack, ObjectError, ObjectStore, ObjectVersion};
use engine::testing::{TestDatabase, BACKENDS};
use engine::Store;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

/// Runs a scenario with a fresh object store over a fresh SQLite, then a fresh PostgreSQL database.
async fn on_both_backends<F, Fut>(scenario: F)
where
    F: Fn(ObjectStore, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        let data = tempfile::tempdir().expect("temp data dir");
        scenario(ObjectStore::new(store, data.path()), data.path().to_owned()).await;
        db.cleanup().await;
    }
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The one file that stores `version`.
fn stored_file(data: &Path, version: &ObjectVersion) -> PathBuf {
    let matching: Vec<_> = files_under(&data.join("objects"))
        .into_iter()
        .filter(|p| p.file_name().unwrap() == version.version_id.as_str())
        .collect();
    assert_eq!(matching.len(), 1, "{matching:?}");
    matching.into_iter().next().unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn every_put_is_a_new_version_and_reads_return_the_exact_bytes() {
    on_both_backends(|objects, data| async move {
        assert_eq!(objects.latest("artifacts", "app.zip").await.unwrap(), None);
        let v1 = objects.put_bytes("artifacts", "app.zip", b"hello".to_vec(), None).await.unwrap();
        let v2 = objects.put_bytes("artifacts", "app.zip", b"second".to_vec(), None).await.unwrap();
        assert_eq!(objects.latest("artifacts", "app.zip").await.unwrap().as_ref(), Some(&v2));
        let v3 = objects.put_bytes("artifacts", "app.zip", Vec::new(), None).await.unwrap();

        // S3's ETag for "hello" and its SHA-256.
        assert_eq!(v1.etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(v1.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!((v1.size, v2.size, v3.size), (5, 6, 0));
        assert!(v1.version_id < v2.version_id && v2.version_id < v3.version_id, "version ids are time-ordered");
        assert!(v1.version_id.bytes().all(|b| b.is_ascii_alphanumeric()));

        let latest = objects.latest("artifacts", "app.zip").await.unwrap().unwrap();
        assert_eq!(latest, v3);
        let listed = objects.versions("artifacts", "app.zip", 10).await.unwrap();
        assert_eq!(listed, vec![v3.clone(), v2.clone(), v1.clone()]);
        assert_eq!(objects.versions("artifacts", "app.zip", 2).await.unwrap(), vec![v3.clone(), v2.clone()]);

        let first = objects.version("artifacts", "app.zip", &v1.version_id).await.unwrap().unwrap();
        assert_eq!(first, v1);
        assert_eq!(objects.open_bytes(&first).await.unwrap(), b"hello");
        let dest = data.join("out.bin");
        objects.read_to_file(&v2, &dest).await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"second");
        assert_eq!(objects.open_bytes(&v3).await.unwrap(), b"");

        // Keys and buckets are separate namespaces.
        assert_eq!(objects.latest("artifacts", "other.zip").await.unwrap(), None);
        assert_eq!(objects.latest("sources", "app.zip").await.unwrap(), None);
        assert_eq!(objects.version("artifacts", "app.zip", &"0".repeat(32)).await.unwrap(), None);
        let missing = objects.get("artifacts", "other.zip", None).await;
        assert!(matches!(missing, Err(ObjectError::NotFound { .. })), "{missing:?}");
        let malformed = objects.version("artifacts", "app.zip", "../../x").await;
        assert!(matches!(malformed, Err(ObjectError::InvalidVersionId(_))), "{malformed:?}");
    })
    .await;
}

#[tokio::test]
async fn put_file_streams_a_large_file() {
    on_both_backends(|objects, data| async move {
        let src = data.join("big.bin");
        let content: Vec<u8> = (0..1_000_003u32).map(|i| (i * 7 % 256) as u8).collect();
        std::fs::write(&src, &content).unwrap();
        let version = objects.put_file("artifacts", "p/Build/big.bin", &src, None).await.unwrap();
        assert_eq!(version.size, content.len() as u64);
        let back = data.join("back.bin");
        objects.read_to_file(&version, &back).await.unwrap();
        assert!(std::fs::read(&back).unwrap() == content);
    })
    .await;
}

#[tokio::test]
async fn encrypted_objects_are_not_plaintext_on_disk_and_decrypt_exactly() {
    on_both_backends(|objects, data| async move {
        let key_id = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(!objects.keys().has_key(key_id));
        objects.keys().create_key(key_id).unwrap();
        assert!(objects.keys().has_key(key_id));
        assert_eq!(objects.keys().list_keys().unwrap(), vec![key_id.to_owned()]);
        let again = objects.keys().create_key(key_id);
        assert!(matches!(again, Err(ObjectError::KeyExists { .. })), "{again:?}");
        let key_files = files_under(&data.join("keys"));
        assert_eq!(key_files.len(), 1);
        assert_eq!(std::fs::metadata(&key_files[0]).unwrap().permissions().mode() & 0o777, 0o600);

        // Several chunks' worth, so chunking is exercised too.
        let marker = b"SECRET-MARKER-4711 ";
        let plain: Vec<u8> = marker.iter().copied().cycle().take(200_000).collect();
        let sealed = objects.put_bytes("artifacts", "secret.txt", plain.clone(), Some(key_id)).await.unwrap();
        let open = objects.put_bytes("artifacts", "open.txt", plain.clone(), None).await.unwrap();
        assert_eq!(sealed.encryption_key_id.as_deref(), Some(key_id));
        assert_eq!(open.encryption_key_id, None);
        assert_eq!(sealed.etag, open.etag, "the ETag is of the plaintext");

        let sealed_bytes = std::fs::read(stored_file(&data, &sealed)).unwrap();
        assert!(!contains(&sealed_bytes, marker), "the encrypted file holds plaintext");
        assert!(contains(&std::fs::read(stored_file(&data, &open)).unwrap(), marker), "the marker search works");

        assert!(objects.open_bytes(&sealed).await.unwrap() == plain);
        let read_back = objects.get("artifacts", "secret.txt", Some(&sealed.version_id)).await.unwrap();
        let dest = data.join("secret.out");
        objects.read_to_file(&read_back, &dest).await.unwrap();
        assert!(std::fs::read(&dest).unwrap() == plain);
    })
    .await;
}

#[tokio::test]
async fn a_flipped_byte_is_an_error_not_wrong_data() {
    on_both_backends(|objects, data| async move {
        objects.keys().create_key("alias/artifacts").unwrap();
        let content = b"#!/bin/sh\necho deploy to production\n".repeat(100);
        for key_id in [Some("alias/artifacts"), None] {
            let version = objects.put_bytes("artifacts", "deploy.sh", content.clone(), key_id).await.unwrap();
            let path = stored_file(&data, &version);
            let mut stored = std::fs::read(&path).unwrap();
            let middle = stored.len() / 2;
            stored[middle] ^= 0x01;
            std::fs::write(&path, &stored).unwrap();

            let dest = data.join("deploy.out");
            let read = objects.read_to_file(&version, &dest).await;
            assert!(matches!(read, Err(ObjectError::Corrupt(_))), "{key_id:?}: {read:?}");
            assert!(!dest.exists(), "{key_id:?}: a failed read leaves no file behind");
            let bytes = objects.open_bytes(&version).await;
            assert!(matches!(bytes, Err(ObjectError::Corrupt(_))), "{key_id:?}: {bytes:?}");

            // A truncated file is caught as well.
            std::fs::write(&path, &stored[..stored.len() - 3]).unwrap();
            assert!(matches!(objects.open_bytes(&version).await, Err(ObjectError::Corrupt(_))));
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_key_id_is_a_clear_error_and_stores_nothing() {
    on_both_backends(|objects, data| async move {
        let put = objects.put_bytes("artifacts", "app.zip", b"x".to_vec(), Some("alias/missing")).await;
        let Err(err @ ObjectError::UnknownKey { .. }) = put else { panic!("expected UnknownKey, got {put:?}") };
        let message = err.to_string();
        assert!(message.contains("alias/missing") && message.contains("create-key"), "{message}");
        assert_eq!(objects.latest("artifacts", "app.zip").await.unwrap(), None);
        assert!(files_under(&data.join("objects")).is_empty());
    })
    .await;
}

#[tokio::test]
async fn keys_never_escape_the_objects_dir_and_names_are_checked() {
    on_both_backends(|objects, data| async move {
        let nasty = ["../../../../escape.txt", "/etc/passwd", "a/../../b", "..", "x/./../../../y", "\\..\\..\\win"];
        for key in nasty {
            let version = objects.put_bytes("artifacts", key, key.as_bytes().to_vec(), None).await.unwrap();
            assert_eq!(objects.latest("artifacts", key).await.unwrap().unwrap().key, key);
            assert_eq!(objects.open_bytes(&version).await.unwrap(), key.as_bytes());
        }
        let objects_dir = data.join("objects").canonicalize().unwrap();
        let stored = files_under(&data);
        assert_eq!(stored.len(), nasty.len(), "{stored:?}");
        for file in stored {
            assert!(file.canonicalize().unwrap().starts_with(&objects_dir), "{file:?} is outside the objects dir");
        }

        for bucket in ["ab", "Upper", "-start", "end-", "a..b", "under_score", "../etc", &"b".repeat(64)] {
            let put = objects.put_bytes(bucket, "k", b"x".to_vec(), None).await;
            assert!(matches!(put, Err(ObjectError::InvalidBucket { .. })), "{bucket}: {put:?}");
        }
        for key in [String::new(), "k".repeat(1025), "nul\0byte".to_owned()] {
            let put = objects.put_bytes("artifacts", &key, b"x".to_vec(), None).await;
            assert!(matches!(put, Err(ObjectError::InvalidKey { .. })), "{put:?}");
        }
        // The longest key S3 allows works.
        objects.put_bytes("my.bucket-1", &"k".repeat(1024), b"x".to_vec(), None).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_artifact_survives_pack_store_encrypted_read_and_unpack() {
    on_both_backends(|objects, data| async move {
        let work = data.join("work");
        std::fs::create_dir_all(work.join("bin")).unwrap();
        std::fs::write(work.join("bin/run.sh"), "#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(work.join("bin/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(work.join("README"), "read me").unwrap();
        let zip = data.join("out.zip");
        pack_dir(&work, &zip).await.unwrap();

        objects.keys().create_key("alias/pipeline").unwrap();
        let stored =
            objects.put_file("artifacts", "demo/BuildOutput/abc123.zip", &zip, Some("alias/pipeline")).await.unwrap();
        let fetched = data.join("fetched.zip");
        objects.read_to_file(&stored, &fetched).await.unwrap();
        let input = data.join("input");
        assert_eq!(unpack(&fetched, &input).await.unwrap(), 2);
        assert_eq!(std::fs::read_to_string(input.join("README")).unwrap(), "read me");
        assert_eq!(std::fs::metadata(input.join("bin/run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
    })
    .await;
}

/// The scheduler's path: a directory zipped straight into the store and a stored zip unpacked
/// in place, with no copy of the zip beside them, and the same bytes as `pack_dir` writes.
#[tokio::test]
async fn a_directory_is_stored_and_unpacked_without_a_copy_of_its_zip() {
    on_both_backends(|objects, data| async move {
        let work = data.join("work");
        std::fs::create_dir_all(work.join("bin")).unwrap();
        std::fs::write(work.join("bin/run.sh"), "#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(work.join("bin/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(work.join("README"), "read me").unwrap();
        let reference = data.join("reference.zip");
        pack_dir(&work, &reference).await.unwrap();
        let reference = std::fs::read(&reference).unwrap();

        objects.keys().create_key("alias/pipeline").unwrap();
        for key_id in [None, Some("alias/pipeline")] {
            let stored = objects.put_dir("artifacts", "demo/Out/abc.zip", &work, key_id, None).await.unwrap();
            assert_eq!(
                objects.open_bytes(&stored).await.unwrap(),
                reference,
                "{key_id:?}: the stored zip is pack_dir's"
            );
            assert_eq!(stored.size, reference.len() as u64);
            let input = data.join(format!("input-{}", key_id.is_some()));
            assert_eq!(objects.unpack_to(&stored, &input).await.unwrap(), 2, "{key_id:?}");
            assert_eq!(std::fs::read_to_string(input.join("README")).unwrap(), "read me");
            assert_eq!(std::fs::metadata(input.join("bin/run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
            let scratch = files_under(&data.join("objects/.tmp"));
            assert!(scratch.is_empty(), "{key_id:?}: scratch files left behind: {scratch:?}");

            // A stored zip that no longer matches its SHA-256 is not unpacked.
            let path = stored_file(&data, &stored);
            let mut bytes = std::fs::read(&path).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap();
            let damaged = objects.unpack_to(&stored, &data.join("damaged")).await;
            assert!(matches!(damaged, Err(ObjectError::Corrupt(_))), "{key_id:?}: {damaged:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn pack_and_unpack_keep_files_modes_and_structure_deterministically() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("scripts")).unwrap();
    std::fs::create_dir_all(src.join("empty/inner")).unwrap();
    std::fs::write(src.join("scripts/deploy.sh"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(src.join("scripts/deploy.sh"), std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::write(src.join("data.json"), r#"{"a":1}"#).unwrap();
    std::fs::write(src.join("big.bin"), vec![42u8; 300_000]).unwrap();
    symlink("data.json", src.join("link-inside.json")).unwrap();
    symlink("/etc/hostname", src.join("link-outside")).unwrap();
    symlink("scripts", src.join("link-dir")).unwrap();

    let zip_a = tmp.path().join("a.zip");
    let summary = pack_dir(&src, &zip_a).await.unwrap();
    assert_eq!(summary.files, 4, "{summary:?}");
    assert_eq!(summary.skipped.len(), 2, "{summary:?}");
    assert!(summary.skipped.iter().any(|s| s.starts_with("link-outside")), "{summary:?}");
    let zip_b = tmp.path().join("b.zip");
    pack_dir(&src, &zip_b).await.unwrap();
    assert!(std::fs::read(&zip_a).unwrap() == std::fs::read(&zip_b).unwrap(), "packing is deterministic");

    let out = tmp.path().join("out");
    unpack(&zip_a, &out).await.unwrap();
    assert_eq!(std::fs::read_to_string(out.join("scripts/deploy.sh")).unwrap(), "#!/bin/sh\nexit 0\n");
    assert_eq!(std::fs::metadata(out.join("scripts/deploy.sh")).unwrap().permissions().mode() & 0o777, 0o750);
    assert_eq!(std::fs::metadata(out.join("data.json")).unwrap().permissions().mode() & 0o111, 0, "not executable");
    assert_eq!(std::fs::read(out.join("big.bin")).unwrap().len(), 300_000);
    assert!(out.join("empty/inner").is_dir());
    let link = std::fs::symlink_metadata(out.join("link-inside.json")).unwrap();
    assert!(link.is_file(), "an inside symlink becomes a plain copy");
    assert_eq!(std::fs::read_to_string(out.join("link-inside.json")).unwrap(), r#"{"a":1}"#);
    assert!(!out.join("link-outside").exists() && !out.join("link-dir").exists());

    // Entry names are relative, with no trace of where the tree was on the packing machine.
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip_a).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(names.iter().any(|n| n == "scripts/deploy.sh"), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('/') && !n.contains("src")), "{names:?}");
}

/// Writes a zip with the given raw entry names (files unless marked as symlinks).
fn hostile_zip(path: &Path, entries: &[(&str, bool)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, is_link) in entries {
        if *is_link {
            zip.add_symlink(*name, "/etc", options).unwrap();
        } else {
            zip.start_file(*name, options).unwrap();
            zip.write_all(b"pwned").unwrap();
        }
    }
    zip.finish().unwrap();
}

#[tokio::test]
async fn unpack_rejects_entries_that_escape_the_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("deep/dest");
    for (name, is_link) in [
        ("../../evil.txt", false),
        ("ok/../../../evil.txt", false),
        ("/tmp/sluice-evil-abs.txt", false),
        ("link", true),
    ] {
        let zip = tmp.path().join("hostile.zip");
        hostile_zip(&zip, &[("fine.txt", false), (name, is_link)]);
        let result = unpack(&zip, &dest).await;
        assert!(matches!(result, Err(ObjectError::UnsafeArchive(_))), "{name}: {result:?}");
    }
    assert!(!tmp.path().join("evil.txt").exists() && !tmp.path().join("deep/evil.txt").exists());
    assert!(!Path::new("/tmp/sluice-evil-abs.txt").exists());
    assert!(!dest.join("link").exists());

    let garbage = tmp.path().join("garbage.zip");
    std::fs::write(&garbage, b"this is not a zip file").unwrap();
    let result = unpack(&garbage, &tmp.path().join("g")).await;
    assert!(matches!(result, Err(ObjectError::Archive(_))), "{result:?}");
}
