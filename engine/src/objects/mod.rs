//! Sluice's versioned object store: S3-style buckets and keys, every put a new version, as local
//! files under the data dir. Artifacts and S3 source objects both live here.
//! (Being implemented: see the artifacts helper's brief.)
use crate::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ObjectStore {
    #[allow(dead_code)]
    store: Store,
    #[allow(dead_code)]
    root: PathBuf,
}

impl ObjectStore {
    pub fn new(store: Store, data_dir: &Path) -> Self {
        ObjectStore { store, root: data_dir.join("objects") }
    }
}
