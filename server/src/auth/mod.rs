//! Identity and permissions: who is calling (SigV4 access keys on the API) and whether the
//! policies of their role and their inline policies allow what they ask.
pub mod audit;
pub mod commands;
pub mod connection_commands;
pub mod operations;
pub mod resources;
pub mod session;
pub mod sigv4;
pub mod throttle;

use crate::api::error::ApiError;
use engine::identity::{Decision, IdentityError};
use engine::Engine;

pub use engine::identity::{Caller, AUDIT_ACTION};

/// Compares digests, so the time taken says nothing about how much of the secret was right.
pub fn same_secret(expected: &str, given: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(expected.as_bytes()), Sha256::digest(given.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `caller.may`, as the API's `AccessDeniedException` in IAM's words.
pub fn authorize(caller: &Caller, action: &str, resource: &str) -> Result<(), ApiError> {
    let why = match caller.permissions().decide(action, resource) {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_owned(),
        Decision::ImplicitDeny => format!("because no identity-based policy allows the {action} action"),
    };
    Err(ApiError::new(
        "AccessDeniedException",
        format!("User: {} is not authorized to perform: {action} on resource: {resource} {why}", caller.arn),
    ))
}

/// Checks the signature of a request to `service` (the name it is signed for, such as
/// `codepipeline` or `events`) and returns who signed it.
pub async fn authenticate(
    engine: &Engine,
    request: &sigv4::SignedRequest<'_>,
    service: &str,
) -> Result<Caller, ApiError> {
    authenticate_payload(engine, request, service, &sigv4::payload_hash(request.body)).await
}

/// `authenticate` for a request whose body is streamed: the signature covers `payload_hash`,
/// which the caller must check against the body itself.
pub async fn authenticate_payload(
    engine: &Engine,
    request: &sigv4::SignedRequest<'_>,
    service: &str,
    payload_hash: &str,
) -> Result<Caller, ApiError> {
    let refuse = |err: sigv4::SigV4Error| ApiError::new(err.exception(), err.message());
    let claim = sigv4::parse_authorization(request.headers).map_err(refuse)?;
    let unrecognized =
        || ApiError::new("UnrecognizedClientException", "The security token included in the request is invalid.");
    let Some(key) = engine.identity().signing_key(&claim.access_key_id).await? else { return Err(unrecognized()) };
    let now = engine::now_ms() / 1000;
    let region = &engine.account().region;
    sigv4::verify(&claim, &key.secret_access_key, (region, service), request, payload_hash, now).map_err(refuse)?;
    match engine.caller(&key.user_name, Some(key.access_key_id)).await {
        Err(IdentityError::UserNotFound(_)) => Err(unrecognized()),
        loaded => Ok(loaded?),
    }
}
