//! The web side of identity, over real HTTP: sign-in (refusals audited without saying why, the
//! cookie `Secure` behind TLS, throttled guessing, no open redirect, changes only from the public
//! URL), password changes (other sessions end; a generated first password must be changed), event
//! streams ending with their session or user, the admin server functions' IAM checks, and the
//! audit records of signed `/objects` and `/api/v1` calls.
//! Over 400 lines: one test per sign-in and session rule, over the same real server.
mod common;

use common::sse::SseStream;
use common::{on_both_backends, signed_get, TestServer};
use engine::identity::Role;
use serde_json::Value;
use std::time::Duration;

const ADMIN_PASSWORD: &str = "boss-password-1";
const VIEWER_PASSWORD: &str = "viewer-password-1";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A form posted from this site, as a browser would post it.
fn post_form(server: &TestServer, path: &str, body: String) -> reqwest::RequestBuilder {
    no_redirects()
        .post(format!("{}{path}", server.url))
        .header("origin", &server.url)
        .header("user-agent", "people-test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

/// Posts the sign-in form; `proto` is what a TLS-terminating proxy would send.
async fn sign_in(server: &TestServer, user: &str, password: &str, proto: Option<&str>) -> reqwest::Response {
    let mut request = post_form(server, "/signin", format!("username={user}&password={password}&next=/"));
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
    common::call_web_with(no_redirects(), server, session, &format!("admin/{function}"), form).await
}

/// A GET as a browser with `session`: `(status, Location)`.
async fn browse(server: &TestServer, session: &str, path: &str) -> (u16, String) {
    let answer = no_redirects().get(format!("{}{path}", server.url)).header("cookie", session).send().await.unwrap();
    (answer.status().as_u16(), location(&answer))
}

fn location(answer: &reqwest::Response) -> String {
    answer.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

async fn audit_events(server: &TestServer) -> Vec<Value> {
    let records = server.engine.audit().list(&Default::default()).await.unwrap();
    records.iter().map(|record| serde_json::from_str(&record.record).unwrap()).collect()
}

async fn with_people(server: &TestServer) {
    let identity = server.engine.identity();
    identity.create_user("boss", Role::Admin, Some(ADMIN_PASSWORD.into())).await.unwrap();
    identity.create_user("watcher", Role::Viewer, Some(VIEWER_PASSWORD.into())).await.unwrap();
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

        server.engine.identity().set_user_active("watcher", false).await.unwrap();
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
        let (boss, watcher) =
            (session_of(&server, "boss", ADMIN_PASSWORD).await, session_of(&server, "watcher", VIEWER_PASSWORD).await);

        let (status, body) = call(&server, &watcher, "create_user", "name=mallory&role=Admin&password=").await;
        assert!(status >= 400 && body.contains("iam:CreateUser"), "{status} {body}");
        assert!(server.engine.identity().user("mallory").await.is_err(), "nothing was created");
        let (status, body) = call(&server, &watcher, "list_users", "").await;
        assert!(status >= 400 && body.contains("iam:ListUsers"), "{status} {body}");

        // Every role manages its own keys, and only its own.
        let (status, body) = call(&server, &watcher, "create_access_key", "user=watcher").await;
        assert_eq!(status, 200, "{body}");
        let key: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(key["secret_access_key"].as_str().unwrap().len(), 40);
        let (status, body) = call(&server, &watcher, "create_access_key", "user=boss").await;
        assert!(status >= 400 && body.contains("iam:CreateAccessKey"), "{status} {body}");

        let (status, body) =
            call(&server, &watcher, "change_password", "current_password=wrong&new_password=brand-new-pass").await;
        assert!(status >= 400 && body.contains("current password is wrong"), "{status} {body}");
        let (status, body) = call(
            &server,
            &watcher,
            "change_password",
            &format!("current_password={VIEWER_PASSWORD}&new_password=brand-new-pass"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(sign_in(&server, "watcher", "brand-new-pass", None).await.headers().get("set-cookie").is_some());

        let (status, body) = call(&server, &boss, "create_user", "name=carol&role=Approver&password=").await;
        assert_eq!(status, 200, "{body}");
        let password: String = serde_json::from_str(&body).unwrap();
        assert!(password.len() >= 16, "a generated password is answered once: {password}");
        assert_eq!(server.engine.identity().user("carol").await.unwrap().role.name(), "Approver");
        let (status, body) =
            call(&server, &boss, "put_user_policy", "user=carol&policy_name=bad&document=%7B%22Statement%22%3A1%7D")
                .await;
        assert!(status >= 400 && body.contains("grammar"), "the policy parser's reason: {status} {body}");
        let (status, body) = call(&server, &boss, "delete_user", "name=boss").await;
        assert!(status >= 400 && body.contains("yourself"), "{status} {body}");
        // tester is the other Admin; with boss demoted tester would be the last one.
        let (status, body) = call(&server, &boss, "update_user", "name=tester&role=Viewer&active=true").await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = call(&server, &boss, "update_user", "name=boss&role=Viewer&active=true").await;
        assert!(status >= 400 && body.contains("last active Admin"), "{status} {body}");

        let events = audit_events(&server).await;
        let created =
            events.iter().find(|e| e["eventName"] == "CreateUser" && e.get("errorCode").is_none()).expect("recorded");
        assert_eq!(created["eventSource"], "sluice.ui");
        assert_eq!(created["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/boss");
        assert_eq!(created["requestParameters"]["name"], "carol");
        assert_eq!(created["sourceIPAddress"], "127.0.0.1");
        let refused =
            events.iter().find(|e| e["eventName"] == "CreateUser" && e.get("errorCode").is_some()).expect("recorded");
        assert_eq!(refused["userIdentity"]["arn"], "arn:aws:iam::000000000000:user/watcher");
        // A browser's change names its session rather than a key.
        let session_of_record = |event: &Value| {
            event["userIdentity"]["sessionContext"]["sessionId"].as_str().unwrap_or_default().to_owned()
        };
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
        assert_eq!(server.engine.audit().list(&Default::default()).await.unwrap()[0].outcome, "Failure");
        server
    })
    .await;
}

#[tokio::test]
async fn sign_in_leads_only_to_this_site_and_changes_come_only_from_the_public_url() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        let page = no_redirects().get(format!("{}/signin?next=/%09/evil.example", server.url)).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(page.contains(r#"name="next" value="/""#), "the form leads home: {page}");
        for next in [
            "/%09/evil.example",
            "/%0A/evil.example",
            "//evil.example",
            "/%5Cevil.example",
            "https://evil.example",
            "/pipelines/web",
        ] {
            let body = format!("username=boss&password={ADMIN_PASSWORD}&next={next}");
            let answer = post_form(&server, "/signin", body).send().await.unwrap();
            let expected = if next == "/pipelines/web" { next } else { "/" };
            assert_eq!((answer.status().as_u16(), location(&answer).as_str()), (303, expected), "next={next}");
        }
        // A page that reached Sluice under another name (DNS rebinding) sends that name as both
        // Host and Origin; only the public URL is this site.
        let rebound = |path: &str, body: &str| {
            no_redirects()
                .post(format!("{}{path}", server.url))
                .header("host", "evil.example")
                .header("origin", "http://evil.example")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_owned())
        };
        let refused = rebound("/signin", &format!("username=boss&password={ADMIN_PASSWORD}")).send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 403);
        let session = session_of(&server, "boss", ADMIN_PASSWORD).await;
        let (status, _) = call(&server, &session, "create_group", "name=from-here&role=").await;
        assert_eq!(status, 200, "the public URL's own pages may make changes");
        let forged = rebound("/api/admin/create_group", "name=from-there&role=")
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403);
        server
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_user_and_per_address() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        for _ in 0..5 {
            assert_eq!(location(&sign_in(&server, "boss", "guess", None).await), "/signin?failed=1&next=/");
        }
        let held = sign_in(&server, "boss", ADMIN_PASSWORD, None).await;
        assert_eq!(held.status().as_u16(), 429, "even the right password waits");
        assert!(held.headers().get("set-cookie").is_none());
        let retry_after: u64 = held.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=31).contains(&retry_after), "{retry_after}");
        assert!(held.text().await.unwrap().contains("Too many failed sign-ins"));
        assert!(
            sign_in(&server, "watcher", VIEWER_PASSWORD, None).await.headers().get("set-cookie").is_some(),
            "other users sign in"
        );

        // One address guessing many names waits too, whoever it then signs in as.
        for n in 0..20 {
            sign_in(&server, &format!("nobody{n}"), "guess", None).await;
        }
        assert_eq!(sign_in(&server, "watcher", VIEWER_PASSWORD, None).await.status().as_u16(), 429);
        let events = audit_events(&server).await;
        assert_eq!(events[0]["errorCode"], "Throttled", "{}", events[0]);
        server
    })
    .await;
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        let (here, elsewhere) = (
            session_of(&server, "watcher", VIEWER_PASSWORD).await,
            session_of(&server, "watcher", VIEWER_PASSWORD).await,
        );
        let (status, body) = call(
            &server,
            &here,
            "change_password",
            &format!("current_password={VIEWER_PASSWORD}&new_password=brand-new-pass"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(browse(&server, &here, "/").await.0, 200, "the session that changed it stays");
        assert_eq!(browse(&server, &elsewhere, "/").await, (303, "/signin?next=/".to_owned()), "the other one ends");
        server
    })
    .await;
}

#[tokio::test]
async fn a_generated_first_password_must_be_changed_before_anything_else() {
    for backend in common::BACKENDS {
        for (given, must_change) in [(None, true), (Some("chosen-by-operator".to_owned()), false)] {
            let db = engine::testing::TestDatabase::new(backend).await;
            let identity = engine::identity::Identity::new(engine::Store::connect(&db.url).await.unwrap());
            let generated = identity.ensure_admin(given).await.unwrap();
            assert_eq!(generated.is_some(), must_change);
            assert_eq!(identity.user("admin").await.unwrap().must_change_password, must_change, "{backend:?}");
            db.cleanup().await;
        }
    }
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        server.engine.identity().require_password_change("boss").await.unwrap();
        let signed_in =
            post_form(&server, "/signin", format!("username=boss&password={ADMIN_PASSWORD}&next=/approvals"))
                .send()
                .await
                .unwrap();
        assert_eq!(location(&signed_in), "/account/change_password?next=/approvals");
        let session = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        assert_eq!(
            browse(&server, &session, "/pipelines/web").await,
            (303, "/account/change_password?next=/pipelines/web".to_owned())
        );
        let (status, _) = call(&server, &session, "create_group", "name=early&role=").await;
        assert_eq!(status, 403, "no change before the password's");
        let page = no_redirects()
            .get(format!("{}/account/change_password?next=/approvals", server.url))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        assert!(page.text().await.unwrap().contains(r#"data-testid="new-password""#));

        let change = |current: &str, new: &str| {
            post_form(
                &server,
                "/account/change_password",
                format!("current_password={current}&new_password={new}&next=/approvals"),
            )
            .header("cookie", &session)
        };
        let same = change(ADMIN_PASSWORD, ADMIN_PASSWORD).send().await.unwrap();
        assert_eq!(same.status().as_u16(), 400);
        assert!(same.text().await.unwrap().contains("must differ"));
        assert_eq!(change("wrong-password", "my-own-password").send().await.unwrap().status().as_u16(), 400);
        let changed = change(ADMIN_PASSWORD, "my-own-password").send().await.unwrap();
        assert_eq!((changed.status().as_u16(), location(&changed).as_str()), (303, "/approvals"));
        assert_eq!(browse(&server, &session, "/").await.0, 200, "pages open again");
        assert!(!server.engine.identity().user("boss").await.unwrap().must_change_password);
        server
    })
    .await;
}

#[tokio::test]
async fn event_streams_end_with_their_session_or_user() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        let session = session_of(&server, "watcher", VIEWER_PASSWORD).await;
        let open_in_browser = || no_redirects().get(format!("{}/api/v1/events", server.url)).header("cookie", &session);
        let mut stream = SseStream::send(open_in_browser()).await;
        assert!(!stream.ends_within(Duration::from_secs(1)).await, "an open session's stream stays open");
        let signed_out = no_redirects()
            .post(format!("{}/signout", server.url))
            .header("cookie", &session)
            .header("origin", &server.url)
            .send()
            .await
            .unwrap();
        assert_eq!(signed_out.status().as_u16(), 303);
        assert!(stream.ends_within(Duration::from_secs(12)).await, "signing out ends the stream");

        let (_, key) = server.client_as("leaver", Role::Viewer).await;
        let mut stream = SseStream::open(&format!("{}/api/v1/events", server.url), &key, None).await;
        server.engine.identity().set_user_active("leaver", false).await.unwrap();
        assert!(stream.ends_within(Duration::from_secs(12)).await, "disabling the user ends their signed stream");
        server
    })
    .await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    on_both_backends(|server: TestServer| async move {
        with_people(&server).await;
        let session = session_of(&server, "boss", ADMIN_PASSWORD).await;
        let page =
            no_redirects().get(format!("{}/approvals", server.url)).header("cookie", &session).send().await.unwrap();
        let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = page.text().await.unwrap();
        let nonce = html
            .split(r#"<script type="module" nonce=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the hydration script has a nonce");
        assert!(policy.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'")), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"), "{policy}");

        let signin = no_redirects().get(format!("{}/signin", server.url)).send().await.unwrap();
        let redirect = no_redirects().get(format!("{}/approvals", server.url)).send().await.unwrap();
        let health = no_redirects().get(format!("{}/healthz", server.url)).send().await.unwrap();
        for (what, answer) in [("sign-in page", signin), ("redirect", redirect), ("health check", health)] {
            let headers = answer.headers();
            assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
            assert_eq!(headers["x-frame-options"], "DENY", "{what}");
            assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{what}");
        }
        server
    })
    .await;
}
