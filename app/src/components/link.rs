//! Links to addresses that pipelines and actions supply (an approval's ExternalEntityLink, an
//! action's external execution URL): only http(s) ones become links. Anything else
//! (`javascript:`, `data:`) shows as text, so a pipeline cannot run script in the session of
//! whoever reviews it.
use leptos::prelude::*;

/// `url` (trimmed) when it is an absolute http(s) URL, which is safe as an `href`. Browsers drop
/// tabs and newlines inside URLs (`java\tscript:`), so any control character disqualifies it.
pub fn web_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let web = ["http://", "https://"]
        .iter()
        .any(|scheme| url.get(..scheme.len()).is_some_and(|start| start.eq_ignore_ascii_case(scheme)));
    (web && !url.chars().any(char::is_control)).then_some(url)
}

/// `text` linking to `url` in a new tab when `url` is a web address; otherwise `url` as text.
#[component]
pub fn ExternalLink(url: String, #[prop(into)] text: String) -> impl IntoView {
    match web_url(&url) {
        Some(href) => view! { <a href=href.to_owned() target="_blank" rel="noopener">{text}</a> }.into_any(),
        None => view! { <span class="external-url" title="Not a web address, so not a link">{url}</span> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_links() {
        assert_eq!(web_url(" https://ci.example.com/build/1 "), Some("https://ci.example.com/build/1"));
        assert_eq!(web_url("HTTP://example.com"), Some("HTTP://example.com"));
        for refused in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>",
            "//evil.example",
            "https:evil",
            "/pipelines/x",
            "http://x\ny",
        ] {
            assert_eq!(web_url(refused), None, "{refused:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_script_url_renders_as_text() {
        let html = |url: &str| view! { <ExternalLink url=url.to_owned() text="Details"/> }.to_html();
        assert!(html("https://ci.example.com/1").contains(r#"<a href="https://ci.example.com/1""#));
        let script = html("javascript:alert(document.cookie)");
        assert!(!script.contains("<a") && !script.contains("href"), "{script}");
        assert!(script.contains("javascript:alert(document.cookie)"));
    }
}
