//! Browser sign-in: a session cookie (HttpOnly, SameSite=Lax) in front of every page and server
//! function. State-changing browser requests must come from this site (Origin or Referer), which
//! together with SameSite keeps other sites from acting with a user's cookie.
//! Just over 400 lines: the cookie, the same-site check and the sign-in form are one story, read
//! top to bottom.
use super::{audit, resources, Caller};
use crate::AppState;
use app::auth::CurrentUser;
use axum::{
    body::Body,
    extract::{ConnectInfo, Extension, Form, Query, Request, State},
    http::{header, request::Parts, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use std::time::Duration;

pub const COOKIE: &str = "sluice_session";
const SESSION_HOURS: u64 = 12;
/// Where a user whose password was chosen for them must change it before anything else.
const PASSWORD_PATH: &str = "/account/change_password";
const WRONG_PASSWORD: &str = "Wrong user name or password.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", post(sign_out))
        .route(PASSWORD_PATH, get(password_page).post(change_password))
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
        if let Some(caller) = parts.extensions.get::<Caller>() {
            provide_context(caller.clone());
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
    match state.engine.audit().list(&Default::default()).await {
        Ok(records) => {
            let lines: String = records.iter().rev().map(|r| format!("{}\n", r.record)).collect();
            (
                [
                    (header::CONTENT_TYPE, "application/x-ndjson"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"sluice-audit.jsonl\""),
                ],
                lines,
            )
                .into_response()
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
    Html(sign_in_html(&safe_next(query.next.as_deref()), query.failed.is_some().then_some(WRONG_PASSWORD)))
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn sign_in(State(state): State<AppState>, parts: Parts, Form(form): Form<SignInForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    if !same_origin(&parts.headers, &state.config.allowed_origins()) {
        return (StatusCode::FORBIDDEN, "Cross-site sign-in refused.").into_response();
    }
    let address = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    // Refused before the password is even checked: a guesser learns nothing while waiting.
    if let Some(wait) = state.sign_ins.wait(&form.username, address) {
        let message = format!("Too many failed sign-ins: try again in {} seconds.", wait.as_secs() + 1);
        record_sign_in(&state, &parts, &form.username, Some(("Throttled", &message))).await;
        let retry_after = (header::RETRY_AFTER, (wait.as_secs() + 1).to_string());
        return (StatusCode::TOO_MANY_REQUESTS, [retry_after], Html(sign_in_html(&next, Some(&message))))
            .into_response();
    }
    // A disabled user is refused exactly as an unknown one is.
    let Some(user) = state.engine.identity().sign_in(&form.username, form.password.clone()).await else {
        state.sign_ins.failed(&form.username, address);
        record_sign_in(&state, &parts, &form.username, Some(("Failed authentication", WRONG_PASSWORD))).await;
        let again = format!("/signin?failed=1&next={}", percent_encode(&next));
        return Redirect::to(&again).into_response();
    };
    state.sign_ins.succeeded(&form.username);
    record_sign_in(&state, &parts, &form.username, None).await;
    let lifetime = Duration::from_secs(SESSION_HOURS * 3600);
    let token = match state.engine.identity().start_session(&form.username, lifetime).await {
        Ok(token) => token,
        Err(err) => {
            tracing::error!(error = %err, "could not create a session");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Could not sign in; see the server log.").into_response();
        }
    };
    let cookie = session_cookie(&token, lifetime.as_secs(), over_tls(&parts.headers));
    let next = if user.must_change_password { password_href(&next) } else { next };
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// Sign-ins are recorded as CloudTrail records them: `ConsoleLogin`, failed ones included, with
/// `error` as `(code, message)`.
async fn record_sign_in(state: &AppState, parts: &Parts, user_name: &str, error: Option<(&str, &str)>) {
    let context =
        audit::CallContext::of_request(audit::UI_SOURCE, "ConsoleLogin".into(), parts, state.engine.account());
    let identity = audit::CallIdentity {
        user_name: Some(user_name.to_owned()),
        arn: error.is_none().then(|| state.engine.account().user_arn(user_name)),
        ..Default::default()
    };
    audit::append(&state.engine, &context, &identity, &serde_json::json!({ "userName": user_name }), error).await;
}

/// `PASSWORD_PATH`, then back to `next`.
fn password_href(next: &str) -> String {
    format!("{PASSWORD_PATH}?next={}", percent_encode(next))
}

async fn password_page(Query(query): Query<SignInQuery>) -> Html<String> {
    Html(password_html(&safe_next(query.next.as_deref()), None))
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    next: Option<String>,
}

/// A password change from the page every other page sends to while the password was chosen by
/// someone else; it ends the user's other sessions and keeps this one.
async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !caller.may("iam:ChangePassword", &caller.arn) {
        return (StatusCode::FORBIDDEN, format!("{} may not change their password (iam:ChangePassword).", caller.arn))
            .into_response();
    }
    match state.engine.identity().change_own_password(&caller, form.current_password, form.new_password).await {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(err) => (StatusCode::BAD_REQUEST, Html(password_html(&next, Some(&shown(err))))).into_response(),
    }
}

/// A refused password change in the page's words; database details go to the log.
fn shown(err: engine::IdentityError) -> String {
    match err {
        engine::IdentityError::Store(_) | engine::IdentityError::Hashing(_) => {
            tracing::error!(error = %err, "could not change a password");
            "Could not change the password; see the server log.".to_owned()
        }
        refused => refused.to_string(),
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !same_origin(&headers, &state.config.allowed_origins()) {
        return (StatusCode::FORBIDDEN, "Cross-site sign-out refused.").into_response();
    }
    if let Some(token) = session_token(&headers) {
        if let Err(err) = state.engine.identity().end_session(&token).await {
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
    let signed_api_call =
        path == "/" && request.method() == Method::POST && request.headers().contains_key(header::AUTHORIZATION);
    if is_public(path) || signed_api_call {
        return next.run(request).await;
    }
    let caller = match session_token(request.headers()) {
        Some(token) => match state.engine.session_caller(&token).await {
            Ok(caller) => caller,
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
    if unsafe_method && !is_api && !same_origin(request.headers(), &state.config.allowed_origins()) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    if caller.must_change_password && !matches!(path_of(&request), PASSWORD_PATH | "/signout") {
        if request.method() == Method::GET {
            let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            return Redirect::to(&password_href(target)).into_response();
        }
        return (StatusCode::FORBIDDEN, format!("Change your password first, at {PASSWORD_PATH}.")).into_response();
    }
    let account = state.engine.account();
    let may_create =
        caller.may("codepipeline:CreatePipeline", &format!("arn:aws:codepipeline:{}:{}:*", account.region, account.id));
    let current = CurrentUser {
        name: caller.user_name.clone(),
        arn: caller.arn.clone(),
        can_create_pipelines: may_create,
        can_read_audit: caller.may(super::AUDIT_ACTION, "*"),
        can_manage_users: caller.may("iam:ListUsers", &format!("arn:aws:iam::{}:user/*", account.id)),
    };
    request.extensions_mut().insert(current);
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
    audit::append(&state.engine, &context, &identity, &parameters, failed.then_some((error_code.as_str(), ""))).await;
    response
}

fn path_of(request: &Request) -> &str {
    request.uri().path()
}

fn is_public(path: &str) -> bool {
    // A subscription's confirmation link carries its own credential, the token.
    path == "/healthz"
        // The metrics page checks its own bearer token.
        || path == "/metrics"
        || path == "/signin"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path == "/sns/confirm"
        // Git over HTTP authenticates each request itself (Basic, with an access key).
        || crate::api::codecommit::git_http::is_git_path(path)
        // A webhook's deliveries carry their own authentication (an HMAC, an address range).
        || crate::api::webhooks::is_webhook_path(path)
        || crate::api::connections::webhook::is_webhook_path(path)
}

/// True when the request's Origin (or, lacking one, Referer) is Sluice's public URL (one of
/// `Config::allowed_origins`). The `Host` header is not trusted: a request that names another
/// host as both Host and Origin (a DNS rebinding page) is refused.
fn same_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    let source = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    source.and_then(crate::config::origin_of).is_some_and(|origin| allowed.contains(&origin))
}

/// The session cookie; `Secure` when the browser reached Sluice over TLS (through a proxy that
/// terminates it and says so), so the token never travels in clear text.
fn session_cookie(token: &str, max_age_seconds: u64, secure: bool) -> String {
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

/// Only paths on this site: `//evil.example`, `/\\evil.example` or `https://...` would make
/// sign-in an open redirect, and so would `/<TAB>/evil.example`, as browsers drop tabs and
/// newlines from URLs. Checked as sent and once more percent-decoded.
fn safe_next(next: Option<&str>) -> String {
    let on_this_site = |path: &str| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    let local = |next: &str| {
        let decoded = super::sigv4::percent_decode(next);
        on_this_site(next)
            && next.chars().all(|c| c.is_ascii_graphic())
            && on_this_site(&decoded)
            && !decoded.chars().any(char::is_control)
    };
    match next {
        Some(next) if local(next) => next.to_owned(),
        _ => "/".to_owned(),
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn sign_in_html(next: &str, error: Option<&str>) -> String {
    let fields = r#"<label>User name <input name="username" autocomplete="username" required autofocus data-testid="signin-username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="signin-password"></label>"#;
    form_page(("Sign in", "Sign in to Sluice"), "/signin", "signin", error, fields, next)
}

fn password_html(next: &str, error: Option<&str>) -> String {
    let fields = r#"<p>This password was chosen for you: choose your own before going on.</p>
<label>Current password <input name="current_password" type="password" autocomplete="current-password" required autofocus data-testid="current-password"></label>
<label>New password (8 characters or more) <input name="new_password" type="password" autocomplete="new-password" required minlength="8" data-testid="new-password"></label>"#;
    form_page(("Change password", "Change your password"), PASSWORD_PATH, "password", error, fields, next)
}

/// A page holding one form, served without the wasm app (sign-in, the forced password change):
/// `(title and button, heading)`, where it posts, the prefix of its test ids, an error shown above
/// the fields, and `next`, where the form leads.
fn form_page(
    (title, heading): (&str, &str),
    action: &str,
    testid: &str,
    error: Option<&str>,
    fields: &str,
    next: &str,
) -> String {
    let error = error
        .map(|message| format!(r#"<p class="form-error" data-testid="{testid}-error">{}</p>"#, html_escape(message)))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Sluice</title><link rel="stylesheet" href="/pkg/sluice.css"><link rel="icon" type="image/svg+xml" href="/favicon.svg"></head>
<body><main class="page signin-page">
<form class="card signin-card" method="post" action="{action}">
<h1>{heading}</h1>{error}
{fields}
<input type="hidden" name="next" value="{}">
<button type="submit" class="button primary wide" data-testid="{testid}-submit">{title}</button>
</form></main></body></html>"#,
        html_escape(next)
    )
}

#[cfg(test)]
mod tests;
