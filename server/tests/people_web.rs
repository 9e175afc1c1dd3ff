//! The web side of identity, over real HTTP: sign-in (refusals audited without saying why, the
//! cookie `Secure` behind TLS), the admin server functions' IAM checks, and the audit records of
//! signed `/objects` and `/api/v1` calls.
mod common;

use common::{on_both_backends, signed_get, TestServer};
use serde_json::Value;
use server::auth::policy::Role;

const ADMIN_PASSWORD: &str = "boss-password-1";
const VIEWER_PASSWORD: &str = "viewer-password-1";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the sign-in form; `proto` is what a TLS-terminating proxy would send.
async fn sign_in(server: &TestServer, user: &str, password: &str, proto: Option<&str>) -> reqwest::Response {
    let mut request = no_redirects()
        .post(format!("{}/signin", server.url))
        .header("origin", &server.url)
        .header("user-agent", "people-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}&next=/"));
    if let Some(proto) = proto {
        request = request.header("x-forwarded-proto", proto);
    }
    request.send().await.unwrap()
}

/// The session cookie (`name=value`) of a successful sign-in.
async fn session_of(server: &TestServer, user: &str, password: &str) -> String {
    let answer = sign_in(server, user, password, None).await;
    let cookie = answer.headers().get("set-cookie").expect("signed in").to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Calls an admin server function with a session, as the pages do: `(HTTP status, body)`.
async fn call(server: &TestServer, session: &str, function: &str, form: &str) -> (u16, String) {
    let answer = no_redirects()
        .post(format!("{}/api/admin/{function}", server.url))
        .header("cookie", session)
        .header("origin", &server.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

async fn audit_events(server: &TestServer) -> Vec<Value> {
    let records = server.engine.store().list_audit(&Default::default()).await.unwrap();
    records.iter().map(|record| serde_json::from_str(&record.record).unwrap()).collect()
}

async fn with_people(server: &TestServer) {
    let store = server.engine.store();
    server::auth::create_user(store, "boss", Role::Admin, Some(ADMIN_PASSWORD.into())).await.unwrap();
    server::auth::create_user(store, "watcher", Role::Viewer, Some(VIEWER_PASSWORD.into())).await.unwrap();
}

#[tokio::test]
async fn refused_sign_ins_are_recorded_alike_and_cookies_are_secure_behind_tls() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        for (user, password) in [("boss", "wrong-password"), ("nobody", "any-password"), ("boss", ADMIN_PASSWORD)] {
            let answer = sign_in(&server, user, password, None).await;
            assert_eq!(answer.status().as_u16(), 303);
        }
        let events = audit_events(&server).await;
        let (ok, unknown, wrong) = (&events[0], &events[1], &events[2]);
        assert_eq!((ok["eventName"].as_str(), ok.get("errorCode")), (Some("ConsoleLogin"), None));
        assert_eq!(ok["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/boss");
        for refused in [unknown, wrong] {
            assert_eq!(refused["eventName"], "ConsoleLogin");
            assert_eq!(refused["errorCode"], "Failed authentication");
            assert_eq!(refused["userIdentity"]["type"], "Unknown", "a refused sign-in names nobody: {refused}");
            assert_eq!(refused["sourceIPAddress"], "127.0.0.1");
            assert_eq!(refused["userAgent"], "people-test");
        }
        assert_eq!(unknown["errorMessage"], wrong["errorMessage"], "the record does not tell which names exist");

        let plain = sign_in(&server, "boss", ADMIN_PASSWORD, None).await;
        let cookie = plain.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly") && !cookie.contains("Secure"), "{cookie}");
        let proxied = sign_in(&server, "boss", ADMIN_PASSWORD, Some("https")).await;
        let cookie = proxied.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.ends_with("; Secure"), "behind a TLS proxy the cookie is Secure: {cookie}");

        server.engine.store().set_user_active("watcher", false).await.unwrap();
        let disabled = sign_in(&server, "watcher", VIEWER_PASSWORD, None).await;
        assert!(disabled.headers().get("set-cookie").is_none(), "a disabled user gets no session");
        server
    })
    .await;
}

#[tokio::test]
async fn admin_functions_check_iam_actions_and_are_audited() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        let (boss, watcher) = (session_of(&server, "boss", ADMIN_PASSWORD).await, session_of(&server, "watcher", VIEWER_PASSWORD).await);

        let (status, body) = call(&server, &watcher, "create_user", "name=mallory&role=Admin&password=").await;
        assert!(status >= 400 && body.contains("iam:CreateUser"), "{status} {body}");
        assert!(server.engine.store().user("mallory").await.is_err(), "nothing was created");
        let (status, body) = call(&server, &watcher, "list_users", "").await;
        assert!(status >= 400 && body.contains("iam:ListUsers"), "{status} {body}");

        // Every role manages its own keys, and only its own.
        let (status, body) = call(&server, &watcher, "create_access_key", "user=watcher").await;
        assert_eq!(status, 200, "{body}");
        let key: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(key["secret_access_key"].as_str().unwrap().len(), 40);
        let (status, body) = call(&server, &watcher, "create_access_key", "user=boss").await;
        assert!(status >= 400 && body.contains("iam:CreateAccessKey"), "{status} {body}");

        let (status, body) = call(&server, &watcher, "change_password", "current_password=wrong&new_password=brand-new-pass").await;
        assert!(status >= 400 && body.contains("current password is wrong"), "{status} {body}");
        let (status, body) = call(&server, &watcher, "change_password", &format!("current_password={VIEWER_PASSWORD}&new_password=brand-new-pass")).await;
        assert_eq!(status, 200, "{body}");
        assert!(sign_in(&server, "watcher", "brand-new-pass", None).await.headers().get("set-cookie").is_some());

        let (status, body) = call(&server, &boss, "create_user", "name=carol&role=Approver&password=").await;
        assert_eq!(status, 200, "{body}");
        let password: String = serde_json::from_str(&body).unwrap();
        assert!(password.len() >= 16, "a generated password is answered once: {password}");
        assert_eq!(server.engine.store().user("carol").await.unwrap().role, "Approver");
        let (status, body) = call(&server, &boss, "put_user_policy", "user=carol&policy_name=bad&document=%7B%22Statement%22%3A1%7D").await;
        assert!(status >= 400 && body.contains("grammar"), "the policy parser's reason: {status} {body}");
        let (status, body) = call(&server, &boss, "delete_user", "name=boss").await;
        assert!(status >= 400 && body.contains("yourself"), "{status} {body}");
        // tester is the other Admin; with boss demoted tester would be the last one.
        let (status, body) = call(&server, &boss, "update_user", "name=tester&role=Viewer&active=true").await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = call(&server, &boss, "update_user", "name=boss&role=Viewer&active=true").await;
        assert!(status >= 400 && body.contains("last active Admin"), "{status} {body}");

        let events = audit_events(&server).await;
        let created = events.iter().find(|e| e["eventName"] == "CreateUser" && e.get("errorCode").is_none()).expect("recorded");
        assert_eq!(created["eventSource"], "sluice.ui");
        assert_eq!(created["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/boss");
        assert_eq!(created["requestParameters"]["name"], "carol");
        assert_eq!(created["sourceIPAddress"], "127.0.0.1");
        let refused = events.iter().find(|e| e["eventName"] == "CreateUser" && e.get("errorCode").is_some()).expect("recorded");
        assert_eq!(refused["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/watcher");
        // A browser's change names its session rather than a key.
        let session_of_record = |event: &Value| event["userIdentity"]["sessionContext"]["sessionId"].as_str().unwrap_or_default().to_owned();
        assert_eq!(created["userIdentity"]["accessKeyId"], Value::Null);
        assert_eq!(session_of_record(created).len(), 16, "{created}");
        assert_ne!(session_of_record(created), session_of_record(refused), "each session has its own id");
        assert!(!events.iter().any(|e| e.to_string().contains(&password)), "the password never reaches the trail");
        assert!(!events.iter().any(|e| e.to_string().contains("brand-new-pass")), "nor a changed one");
        server
    })
    .await;
}

#[tokio::test]
async fn signed_resource_calls_are_recorded_with_key_and_outcome() {
    on_both_backends(|server: TestServer| async move {
        let (_, key) = server.client_as("reader", Role::Viewer).await;
        let listed = signed_get(&format!("{}/api/v1/approvals", server.url), &key).await;
        assert_eq!(listed.status().as_u16(), 200);
        let forged = (key.0.clone(), "not-the-secret".to_owned());
        let refused = signed_get(&format!("{}/objects/builds/app.zip", server.url), &forged).await;
        assert_eq!(refused.status().as_u16(), 403);

        let events = audit_events(&server).await;
        let (refused, listed) = (&events[0], &events[1]);
        assert_eq!(listed["eventName"], "ListApprovals");
        assert_eq!(listed["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/reader");
        assert_eq!(listed["userIdentity"]["accessKeyId"], key.0.as_str());
        assert_eq!(listed["userIdentity"]["sessionContext"], Value::Null, "a signed call has no session");
        assert_eq!(listed["sourceIPAddress"], "127.0.0.1");
        assert!(listed.get("errorCode").is_none(), "{listed}");
        assert_eq!(refused["eventName"], "GetObject");
        assert_eq!(refused["eventSource"], "sluice.objects");
        assert_eq!(refused["errorCode"], "InvalidSignatureException");
        assert_eq!(refused["userIdentity"]["accessKeyId"], key.0.as_str(), "the key the request claimed");
        assert_eq!(refused["requestParameters"]["bucketName"], "builds");
        assert_eq!(server.engine.store().list_audit(&Default::default()).await.unwrap()[0].outcome, "Failure");
        server
    })
    .await;
}
