//! What only users who may create pipelines are offered (the editor's Save, the JSON page's
//! Create); the others read why. The server checks again when the button is used.
use leptos::prelude::*;

use crate::auth::get_current_user;

#[component]
pub fn MayCreate(
    /// Said instead, to a user whose role may not create pipelines.
    refusal: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Transition fallback=|| ()>
            {move || match user.get() {
                Some(Ok(user)) if user.can_create_pipelines => children().into_any(),
                _ => view! { <p class="muted" data-testid="create-not-allowed">{refusal}</p> }.into_any(),
            }}
        </Transition>
    }
}
