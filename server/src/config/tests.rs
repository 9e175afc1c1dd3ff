use super::*;

#[test]
fn origins_are_compared_without_default_ports_or_paths() {
    assert_eq!(origin_of("https://CI.example.com:443/sluice/").as_deref(), Some("https://ci.example.com"));
    assert_eq!(origin_of("http://127.0.0.1:3000").as_deref(), Some("http://127.0.0.1:3000"));
    assert_eq!(origin_of("http://127.0.0.1:80/x?y").as_deref(), Some("http://127.0.0.1"));
    assert_eq!(origin_of("ftp://example.com"), None);
    assert_eq!(origin_of("http://user@evil.example"), None);
    assert!(parse_public_url("ci.example.com").is_err());
}

#[test]
fn a_loopback_server_without_a_public_url_is_also_localhost() {
    let config = |addr: &str, public_url: Option<&str>| Config {
        addr: addr.parse().unwrap(),
        data_dir: "data".into(),
        database_url: None,
        site_dir: "site".into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        admin_password: None,
        metrics_token: None,
        public_url: public_url.map(str::to_owned),
        sandbox: Default::default(),
        notify: Default::default(),
    };
    assert_eq!(config("127.0.0.1:3000", None).allowed_origins(), ["http://127.0.0.1:3000", "http://localhost:3000"]);
    assert_eq!(config("0.0.0.0:3000", None).allowed_origins(), ["http://0.0.0.0:3000"]);
    assert_eq!(config("127.0.0.1:3000", Some("https://ci.example.com/")).allowed_origins(), ["https://ci.example.com"]);
}

#[test]
fn debug_output_never_shows_the_admin_password_or_the_database_url() {
    use clap::Parser;
    let cli = Cli::parse_from([
        "sluice",
        "serve",
        "--admin-password",
        "hunter2-hunter2",
        "--database-url",
        "postgres://sluice:pa55word@db/sluice",
    ]);
    let shown = format!("{cli:?}");
    assert!(shown.contains("serve") || shown.contains("Serve"), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains("pa55word"), "{shown}");
}
