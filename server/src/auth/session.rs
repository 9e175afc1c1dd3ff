//! Browser sign-in: a session cookie (HttpOnly, SameSite=Lax) in front of every page and server
//! function. State-changing browser requests must come from this site (Origin or Referer), which
//! together with SameSite keeps other sites from acting with a user's cookie.
use super::{audit, resources, secrets, Caller};
use crate::AppState;
use app::auth::{CurrentUser, Permissions};
use axum::{
    body::Body,
    extract::{Form, Query, Request, State},
    http::{header, request::Parts, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const COOKIE: &str = "sluice_session";
const SESSION_HOURS: i64 = 12;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/audit/export", get(export_audit))
}

/// Gives pages and server functions the user the guard found (leptos_axum provides the request
/// parts as context before calling this).
pub fn provide_user_context() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            provide_context(user.clone());
        }
        if let Some(permissions) = parts.extensions.get::<Permissions>() {
            provide_context(permissions.clone());
        }
    }
}

/// The whole trail as JSON lines, oldest first, for whoever may read it.
async fn export_audit(State(state): State<AppState>, request: Request) -> Response {
    let Some(caller) = request.extensions().get::<Caller>() else {
        return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response();
    };
    if !caller.may(super::AUDIT_ACTION, "*") {
        return (StatusCode::FORBIDDEN, format!("{} may not read the audit trail.", caller.arn)).into_response();
    }
    match state.engine.store().list_audit(&Default::default()).await {
        Ok(records) => {
            let lines: String = records.iter().rev().map(|r| format!("{}\n", r.record)).collect();
            ([(header::CONTENT_TYPE, "application/x-ndjson"), (header::CONTENT_DISPOSITION, "attachment; filename=\"sluice-audit.jsonl\"")], lines).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not read the audit trail");
            (StatusCode::INTERNAL_SERVER_ERROR, "Could not read the audit trail; see the server log.").into_response()
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    failed: Option<String>,
}

async fn sign_in_page(Query(query): Query<SignInQuery>) -> Html<String> {
    Html(sign_in_html(&safe_next(query.next.as_deref()), query.failed.is_some()))
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn sign_in(State(state): State<AppState>, parts: Parts, Form(form): Form<SignInForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    if !same_origin(&parts.headers) {
        return (StatusCode::FORBIDDEN, "Cross-site sign-in refused.").into_response();
    }
    let store = state.engine.store();
    // A disabled user is refused exactly as an unknown one is.
    let user = store.user(&form.username).await.ok().filter(|user| user.active);
    // Hash even for unknown users, so the answer's timing does not tell which names exist.
    let stored = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password = form.password.clone();
    let valid = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &stored)).await.unwrap_or(false);
    record_sign_in(&state, &parts, &form.username, valid && user.is_some()).await;
    if !(valid && user.is_some()) {
        let again = format!("/signin?failed=1&next={}", percent_encode(&next));
        return Redirect::to(&again).into_response();
    }
    let token = secrets::new_session_token();
    let expires = engine::store::now_ms() + SESSION_HOURS * 3600 * 1000;
    if let Err(err) = store.create_session(&token_hash(&token), &form.username, expires).await {
        tracing::error!(error = %err, "could not create a session");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Could not sign in; see the server log.").into_response();
    }
    let cookie = session_cookie(&token, SESSION_HOURS * 3600, over_tls(&parts.headers));
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// Sign-ins are recorded as CloudTrail records them: `ConsoleLogin`, failed ones included.
async fn record_sign_in(state: &AppState, parts: &Parts, user_name: &str, succeeded: bool) {
    let context = audit::CallContext::of_request(audit::UI_SOURCE, "ConsoleLogin".into(), parts, state.engine.account());
    let identity = audit::CallIdentity {
        user_name: Some(user_name.to_owned()),
        arn: succeeded.then(|| super::user_arn(state.engine.account(), user_name)),
        ..Default::default()
    };
    let error = (!succeeded).then_some(("Failed authentication", "Wrong user name or password."));
    audit::append(state.engine.store(), &context, &identity, &serde_json::json!({ "userName": user_name }), error).await;
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "Cross-site sign-out refused.").into_response();
    }
    if let Some(token) = session_token(&headers) {
        if let Err(err) = state.engine.store().delete_session(&token_hash(&token)).await {
            tracing::error!(error = %err, "could not end a session");
        }
    }
    let cleared = session_cookie("", 0, over_tls(&headers));
    ([(header::SET_COOKIE, cleared)], Redirect::to("/signin")).into_response()
}

/// In front of everything but health checks, static files, sign-in and SigV4-signed API calls:
/// finds the session's user, or sends the browser to sign in. `/objects/` and `/api/v1/` take a
/// session or a SigV4 signature and refuse anything else in JSON.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let signed_api_call = path == "/" && request.method() == Method::POST && request.headers().contains_key(header::AUTHORIZATION);
    if is_public(path) || signed_api_call {
        return next.run(request).await;
    }
    let caller = match session_token(request.headers()) {
        Some(token) => match state.engine.store().session_user(&token_hash(&token)).await {
            Ok(Some(user)) => Caller::load(state.engine.store(), state.engine.account(), &user, None)
                .await
                .ok()
                .map(|caller| Caller { session_id: Some(token_hash(&token)[..16].to_owned()), ..caller }),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "could not read a session");
                None
            }
        },
        None => None,
    };
    let is_api = path == "/" && request.method() == Method::POST;
    let Some(caller) = caller else {
        if resources::is_resource_path(request.uri().path()) {
            if !request.headers().contains_key(header::AUTHORIZATION) {
                return resources::unauthenticated();
            }
            return match resources::authenticate_signed(&state, request).await {
                Ok(request) => match request.extensions().get::<Caller>().cloned() {
                    Some(caller) => resources::run_recorded(&state, &caller, request, next).await,
                    None => next.run(request).await,
                },
                Err(refused) => refused,
            };
        }
        if is_api {
            // The API answers in its own words (MissingAuthenticationTokenException).
            return next.run(request).await;
        }
        if request.method() == Method::GET {
            let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            return Redirect::to(&format!("/signin?next={}", percent_encode(target))).into_response();
        }
        return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response();
    };
    // The API's X-Amz-Target header is one a cross-site page cannot send without CORS, which
    // Sluice never grants; other state-changing requests must name this site as their origin.
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !is_api && !same_origin(request.headers()) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    let account = state.engine.account();
    let may_create = caller.may("codepipeline:CreatePipeline", &format!("arn:aws:codepipeline:{}:{}:*", account.region, account.id));
    let current = CurrentUser {
        name: caller.user_name.clone(),
        arn: caller.arn.clone(),
        can_create_pipelines: may_create,
        can_read_audit: caller.may(super::AUDIT_ACTION, "*"),
        can_manage_users: caller.may("iam:ListUsers", &format!("arn:aws:iam::{}:user/*", account.id)),
    };
    let checker = caller.clone();
    request.extensions_mut().insert(current);
    request.extensions_mut().insert(Permissions(Arc::new(move |action: &str, resource: &str| checker.may(action, resource))));
    request.extensions_mut().insert(caller.clone());
    // Server functions are POSTs even when they only read; Get*/List* ones are not changes.
    // Object uploads stream to disk rather than being held here for the record.
    if resources::is_resource_path(path_of(&request)) {
        return resources::run_recorded(&state, &caller, request, next).await;
    }
    if unsafe_method && !is_api && !audit::is_read_only(&audit::ui_event_name(path_of(&request))) {
        return run_recorded(&state, &caller, request, next).await;
    }
    next.run(request).await
}

/// Runs a change made from the web app (a server function or form post) and records it in the
/// audit trail as the API's calls are.
async fn run_recorded(state: &AppState, caller: &Caller, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::api::MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large.").into_response();
    };
    let operation = audit::ui_event_name(parts.uri.path());
    let context = audit::CallContext::of_request(audit::UI_SOURCE, operation, &parts, state.engine.account());
    let parameters = audit::form_parameters(&bytes);
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    let error_code = format!("HTTP{}", status.as_u16());
    let identity = audit::CallIdentity::from(caller);
    audit::append(state.engine.store(), &context, &identity, &parameters, failed.then_some((error_code.as_str(), ""))).await;
    response
}

fn path_of(request: &Request) -> &str {
    request.uri().path()
}

fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/signin" || path == "/favicon.svg" || path.starts_with("/pkg/")
}

/// True when the request's Origin (or, lacking one, Referer) is this very host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let source = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    source.is_some_and(|source| {
        let rest = source.strip_prefix("http://").or_else(|| source.strip_prefix("https://")).unwrap_or("");
        rest.split('/').next() == Some(host)
    })
}

/// The session cookie; `Secure` when the browser reached Sluice over TLS (through a proxy that
/// terminates it and says so), so the token never travels in clear text.
fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then(|| value.to_owned())
    })
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Only paths on this site: `//evil.example` or `https://...` would make sign-in an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => next.to_owned(),
        _ => "/".to_owned(),
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An argon2id hash of a random password, checked against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2x1aWNlZHVtbXlzYWx0$0xgqDdtAa9h3pS1DqB2f3s1bq4xgBwDtNHc1Bq1yfIo";

fn sign_in_html(next: &str, failed: bool) -> String {
    let error = if failed { r#"<p class="form-error" data-testid="signin-error">Wrong user name or password.</p>"# } else { "" };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Sluice</title><link rel="stylesheet" href="/pkg/sluice.css"><link rel="icon" type="image/svg+xml" href="/favicon.svg"></head>
<body><main class="page signin-page">
<form class="card signin-card" method="post" action="/signin">
<h1>Sign in to Sluice</h1>{error}
<label>User name <input name="username" autocomplete="username" required autofocus data-testid="signin-username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="signin-password"></label>
<input type="hidden" name="next" value="{}">
<button type="submit" class="button primary wide" data-testid="signin-submit">Sign in</button>
</form></main></body></html>"#,
        html_escape(next)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/pipelines/web")), "/pipelines/web");
        assert_eq!(safe_next(Some("//evil.example/x")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn origin_must_be_this_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        assert!(!same_origin(&headers), "no Origin and no Referer");
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
        headers.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&headers));
    }

    #[test]
    fn cookies_are_http_only_same_site_and_secure_behind_tls() {
        let mut headers = HeaderMap::new();
        let plain = session_cookie("t", 60, over_tls(&headers));
        assert_eq!(plain, "sluice_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(session_cookie("t", 60, over_tls(&headers)).ends_with("; Secure"));
    }

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
