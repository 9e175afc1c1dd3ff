//! The builds this process runs, by id, with the token that stops each: StopBuild cancels it,
//! and the build's process group is killed as a stopped action's is.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Default)]
pub(crate) struct Running {
    tokens: Mutex<HashMap<String, CancellationToken>>,
}

/// Unregisters its build when the build ends.
pub(crate) struct Registered {
    running: Arc<Running>,
    id: String,
}

impl Running {
    pub(crate) fn register(self: &Arc<Self>, id: &str, token: CancellationToken) -> Registered {
        self.lock().insert(id.to_owned(), token);
        Registered { running: self.clone(), id: id.to_owned() }
    }

    /// Cancels the build if it runs here; false when it does not.
    pub(crate) fn stop(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        // A panic while holding the map leaves it consistent: each operation is one map call.
        self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.running.lock().remove(&self.id);
    }
}
