//! The web app's bundle (wasm, its JS glue, the stylesheet) under a versioned path,
//! `/pkg/<version>/...`, where `<version>` is a hash of the files' contents: a browser may keep
//! them for a year (a new build has a new path), and gets the brotli or gzip copy the build
//! wrote beside each file (`scripts/lib.sh`) when it accepts one.
use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::Router;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The files whose contents name the version.
const BUNDLE: [&str; 3] = ["sluice.js", "sluice_bg.wasm", "sluice.css"];

/// The bundle's version: the first 16 hex digits of a hash of its files ("dev" when the site
/// dir has none, as in the API tests).
pub fn version(site_dir: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut found = false;
    for name in BUNDLE {
        if let Ok(bytes) = std::fs::read(site_dir.join("pkg").join(name)) {
            hasher.update(name.as_bytes());
            hasher.update(&bytes);
            found = true;
        }
    }
    if !found {
        return "dev".to_owned();
    }
    hex::encode(hasher.finalize())[..16].to_owned()
}

/// The directory the pages name in their script and stylesheet links.
pub fn pkg_dir(version: &str) -> String {
    format!("pkg/{version}")
}

/// `/pkg/<version>/*`: the bundle, precompressed, cached for a year.
pub fn router<S: Clone + Send + Sync + 'static>(site_dir: &Path, version: &str) -> Router<S> {
    let files = ServeDir::new(site_dir.join("pkg")).precompressed_br().precompressed_gzip();
    let forever = SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Router::new()
        .nest_service(&format!("/{}", pkg_dir(version)), tower::ServiceBuilder::new().layer(forever).service(files))
}
