//! A button for what cannot be undone (delete a user, revoke a key, reject an approval, abandon
//! a run): the first press asks, in place, what exactly will happen; only the second does it.
use leptos::prelude::*;

#[component]
pub fn ConfirmButton(
    /// The button's text ("Delete user").
    label: &'static str,
    /// What the question says will happen ("Delete the user alice? Their keys stop working.").
    #[prop(into)]
    question: String,
    /// The confirming button's text ("Delete").
    confirm: &'static str,
    /// The button's test id; the question's buttons are `confirm-yes` and `confirm-no`.
    testid: &'static str,
    #[prop(default = "button danger")] class: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    view! {
        <button type="button" class=class data-testid=testid aria-expanded=move || asking.get().to_string()
            on:click=move |_| asking.set(true)>{label}</button>
        <Show when=move || asking.get()>
            <span class="confirm-box" role="alertdialog" aria-label=label data-testid="confirm">
                <span class="confirm-question">{question.clone()}</span>
                <button type="button" class="button small danger" data-testid="confirm-yes" on:click=move |_| {
                    asking.set(false);
                    on_confirm.run(());
                }>{confirm}</button>
                <button type="button" class="button small ghost" data-testid="confirm-no" on:click=move |_| asking.set(false)>"Cancel"</button>
            </span>
        </Show>
    }
}
