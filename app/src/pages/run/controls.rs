//! What the run view's controls share: the pipeline, the inputs (kept outside the refetched view
//! so typing survives live updates), the last error with the control it belongs to, and a way to
//! refetch at once.
use leptos::prelude::*;

use crate::api::{pipeline_href, AppError};

#[derive(Clone, Copy)]
pub struct Controls {
    pub pipeline: StoredValue<String>,
    pub variables: RwSignal<String>,
    pub reason: RwSignal<String>,
    pub comment: RwSignal<String>,
    /// The last refusal: (the control's key, the message), shown beside that control.
    pub error: RwSignal<Option<(String, String)>>,
    pub changed: RwSignal<u64>,
}

impl Controls {
    pub fn new(pipeline: String) -> Self {
        Controls {
            pipeline: StoredValue::new(pipeline),
            variables: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
            comment: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            changed: RwSignal::new(0),
        }
    }

    /// Runs a server function for the control `at`; shows its error beside it, or refetches.
    pub fn run(self, at: String, call: impl std::future::Future<Output = Result<(), AppError>> + 'static) {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(()) => {
                    self.error.set(None);
                    self.changed.update(|n| *n += 1);
                }
                Err(err) => self.error.set(Some((at, err.to_string()))),
            }
        });
    }

    /// Runs a server function that starts an execution; opens the new execution, or shows the
    /// error beside the control `at`.
    pub fn open_started(
        self,
        at: String,
        call: impl std::future::Future<Output = Result<String, AppError>> + 'static,
        navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
    ) {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(id) => {
                    self.error.set(None);
                    navigate(
                        &format!("{}?execution={id}", pipeline_href(&self.pipeline.get_value())),
                        Default::default(),
                    );
                }
                Err(err) => self.error.set(Some((at, err.to_string()))),
            }
        });
    }
}

/// The last error of the control `at`, if it has one.
#[component]
pub fn ControlError(controls: Controls, #[prop(into)] at: String) -> impl IntoView {
    move || {
        controls.error.get().filter(|(key, _)| *key == at).map(|(_, message)| {
            view! { <p class="notice bad control-error" role="alert" data-testid="control-error">{message}</p> }
        })
    }
}
