//! The hosted repositories over git's smart HTTP protocol, at CodeCommit's clone URL path
//! (`/v1/repos/<name>`): `git clone`, `fetch` and `push` with HTTP Basic authentication, the
//! user name a Sluice access key id and the password its secret. Fetching needs
//! `codecommit:GitPull` on the repository's ARN, pushing `codecommit:GitPush`; each request is
//! recorded in the audit trail as `GitPull` or `GitPush`. When a push ends, the references it
//! changed become events (`Engine::record_push`).
use super::{cgi, EVENT_SOURCE};
use crate::auth::{audit, Caller};
use crate::AppState;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/repos/{name}/info/refs", get(info_refs))
        .route("/v1/repos/{name}/git-upload-pack", post(upload_pack))
        .route("/v1/repos/{name}/git-receive-pack", post(receive_pack))
}

/// Whether a path is served here (and so takes Basic authentication, not a session).
pub fn is_git_path(path: &str) -> bool {
    path.starts_with("/v1/repos/")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    /// Advertising refs or sending objects: clone, fetch, ls-remote.
    Pull,
    /// Receiving objects and updating refs.
    Push,
}

impl Service {
    fn operation(self) -> &'static str {
        match self {
            Service::Pull => "GitPull",
            Service::Push => "GitPush",
        }
    }

    fn iam_action(self) -> String {
        format!("codecommit:{}", self.operation())
    }
}

async fn info_refs(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    let push = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "service=git-receive-pack"));
    let service = if push { Service::Push } else { Service::Pull };
    serve(&state, &name, service, "info/refs", request).await
}

async fn upload_pack(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    serve(&state, &name, Service::Pull, "git-upload-pack", request).await
}

async fn receive_pack(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    serve(&state, &name, Service::Push, "git-receive-pack", request).await
}

/// Authenticates, authorizes and records the request, then hands it to http-backend.
async fn serve(state: &AppState, name: &str, service: Service, endpoint: &str, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let engine = &state.engine;
    let context = audit::CallContext::of_request(EVENT_SOURCE, service.operation().into(), &parts, engine.account());
    let parameters = serde_json::json!({ "repositoryName": name, "endpoint": endpoint });
    let record = |identity: audit::CallIdentity, error: Option<(&'static str, String)>| {
        let (context, parameters) = (&context, &parameters);
        async move {
            let error = error.as_ref().map(|(code, message)| (*code, message.as_str()));
            audit::append(engine, context, &identity, parameters, error).await;
        }
    };
    let caller = match basic_caller(state, &parts).await {
        Ok(caller) => caller,
        Err(refused) => {
            let message = "Sign in with a Sluice access key id as the user name and its secret as the password.";
            // git asks without credentials first and sends them on the challenge: only a
            // request that claimed to be someone is worth a record.
            if let NotAuthenticated::Refused(claimed_key) = refused {
                let identity = audit::CallIdentity { access_key_id: claimed_key, ..Default::default() };
                record(identity, Some(("UnrecognizedClientException", message.into()))).await;
            }
            let challenge = (header::WWW_AUTHENTICATE, "Basic realm=\"Sluice\"");
            return (StatusCode::UNAUTHORIZED, [challenge], format!("{message}\n")).into_response();
        }
    };
    let identity = audit::CallIdentity::from(&caller);
    let (action, arn) = (service.iam_action(), engine.account().repository_arn(name));
    if !caller.may(&action, &arn) {
        let message = format!("User: {} is not authorized to perform: {action} on resource: {arn}", caller.arn);
        record(identity, Some(("AccessDeniedException", message.clone()))).await;
        return (StatusCode::FORBIDDEN, format!("{message}\n")).into_response();
    }
    let repos = engine.repositories();
    if let Err(err) = repos.existing(name).await {
        let code = super::exception(&err).unwrap_or("InternalFailure");
        record(identity, Some((code, err.to_string()))).await;
        let status = if code == "InternalFailure" { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NOT_FOUND };
        return (status, format!("{err}\n")).into_response();
    }
    record(identity, None).await;
    // A push is recorded alone: what changed between the snapshots before and after is its own.
    let pushes = service == Service::Push && endpoint == "git-receive-pack";
    let guard = if pushes { Some(repos.lock_pushes(name).await) } else { None };
    let before = match pushes {
        true => match repos.refs(name).await {
            Ok(refs) => Some(refs),
            Err(err) => return internal(err),
        },
        false => None,
    };
    let cgi_request = cgi::CgiRequest {
        method: parts.method.as_str(),
        path_info: format!("/{name}.git/{endpoint}"),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        remote_user: &caller.user_name,
        remote_addr: parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    };
    let (response, finished) = match cgi::run(repos.root(), cgi_request, body).await {
        Ok(answer) => answer,
        Err(err) => return internal(err),
    };
    if let Some(before) = before {
        let (engine, name, pusher) = (engine.clone(), name.to_owned(), caller.principal());
        tokio::spawn(async move {
            let _one_push_at_a_time = guard;
            let _ = finished.await;
            let after = match engine.repositories().refs(&name).await {
                Ok(after) => after,
                Err(err) => {
                    return tracing::error!(repository = %name, error = %err, "could not read the refs after a push")
                }
            };
            let updates = engine::repos::push::ref_updates(&before, &after);
            if let Err(err) = engine.record_push(&name, &updates, Some(&pusher)).await {
                tracing::error!(repository = %name, error = %err, "could not record a push");
            }
        });
    }
    response
}

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "git over HTTP failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "The server could not serve the repository; its log has the details.\n")
        .into_response()
}

/// Why a request has no caller.
enum NotAuthenticated {
    /// It sent no Basic credentials.
    Missing,
    /// Its credentials are wrong: with the key id they claimed, when readable.
    Refused(Option<String>),
}

/// The caller of a Basic-authenticated request: an active access key whose secret is the
/// password, of an active user.
async fn basic_caller(state: &AppState, parts: &Parts) -> Result<Caller, NotAuthenticated> {
    let encoded = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .ok_or(NotAuthenticated::Missing)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| NotAuthenticated::Refused(None))?;
    let decoded = String::from_utf8(decoded).map_err(|_| NotAuthenticated::Refused(None))?;
    let (key_id, secret) = decoded.split_once(':').ok_or(NotAuthenticated::Refused(None))?;
    let claimed = || NotAuthenticated::Refused(Some(key_id.to_owned()));
    let engine = &state.engine;
    let key = match engine.identity().signing_key(key_id).await {
        Ok(Some(key)) => key,
        Ok(None) => return Err(claimed()),
        Err(err) => {
            tracing::error!(error = %err, "could not read an access key");
            return Err(claimed());
        }
    };
    if !crate::auth::same_secret(&key.secret_access_key, secret) {
        return Err(claimed());
    }
    engine.caller(&key.user_name, Some(key.access_key_id)).await.map_err(|_| claimed())
}
