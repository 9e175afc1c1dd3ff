use super::*;

#[test]
fn next_stays_on_this_site() {
    assert_eq!(safe_next(Some("/pipelines/web")), "/pipelines/web");
    assert_eq!(safe_next(Some("//evil.example/x")), "/");
    assert_eq!(safe_next(Some("https://evil.example")), "/");
    for evil in [
        "/\t/evil.example",
        "/\\evil.example",
        "/%09/evil.example",
        "/%2F/evil.example",
        "/%5C/evil.example",
        "/\n/x",
        "/é",
    ] {
        assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
    }
    assert_eq!(safe_next(Some("/pipelines/web?execution=1&x=a%20b")), "/pipelines/web?execution=1&x=a%20b");
    assert_eq!(safe_next(None), "/");
}

#[test]
fn origin_must_be_the_public_url() {
    let public = &["http://127.0.0.1:3000".to_owned()][..];
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, "evil.example".parse().unwrap());
    assert!(!same_origin(&headers, public), "no Origin and no Referer");
    headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert!(!same_origin(&headers, public), "the Host header is not trusted");
    headers.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
    assert!(same_origin(&headers, public));
    headers.remove(header::ORIGIN);
    headers.insert(header::REFERER, "http://127.0.0.1:3000/pipelines/web".parse().unwrap());
    assert!(same_origin(&headers, public));
    headers.insert(header::REFERER, "http://127.0.0.1:30000/".parse().unwrap());
    assert!(!same_origin(&headers, public));
}

#[test]
fn cookies_are_http_only_same_site_and_secure_behind_tls() {
    let mut headers = HeaderMap::new();
    let plain = session_cookie("t", 60, over_tls(&headers));
    assert_eq!(plain, "sluice_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
    headers.insert("x-forwarded-proto", "https".parse().unwrap());
    assert!(session_cookie("t", 60, over_tls(&headers)).ends_with("; Secure"));
}
