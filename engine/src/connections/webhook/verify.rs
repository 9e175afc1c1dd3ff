//! Whether a delivery comes from the host that knows the connection's webhook secret, checked
//! the way each host signs: GitHub (and GitHub Enterprise Server) with `X-Hub-Signature-256`,
//! `sha256=` and the HMAC-SHA256 of the body; Bitbucket likewise in `X-Hub-Signature`; GitLab
//! sends the secret itself in `X-Gitlab-Token`. Every comparison takes the same time however
//! much of the given value is right.
use super::super::ProviderType;
use crate::notify::targets::signature;
use crate::webhooks::delivery::same_secret;

/// None when the delivery is authentic; else why not, naming the header.
pub fn refusal(
    provider: ProviderType,
    secret: &str,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
) -> Option<String> {
    let (name, expected) = match provider {
        ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => ("X-Hub-Signature-256", signature(secret, body)),
        ProviderType::Bitbucket => ("X-Hub-Signature", signature(secret, body)),
        ProviderType::GitLab | ProviderType::GitLabSelfManaged => ("X-Gitlab-Token", secret.to_owned()),
    };
    match header(&name.to_ascii_lowercase()) {
        None => Some(format!("The delivery has no {name} header; set the connection's webhook secret on the host")),
        Some(given) if same_secret(given.trim(), &expected) => None,
        Some(_) => Some(format!("The {name} header does not match the connection's webhook secret")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn each_host_is_checked_its_own_way() {
        let body = b"{\"ref\":\"refs/heads/main\"}";
        let signed = signature("s3cret", body);
        let github = [("x-hub-signature-256", signed.as_str())];
        assert_eq!(refusal(ProviderType::GitHub, "s3cret", headers(&github), body), None);
        assert!(refusal(ProviderType::GitHub, "other", headers(&github), body).unwrap().contains("does not match"));
        assert!(refusal(ProviderType::GitHub, "s3cret", headers(&github), b"{}").is_some(), "a changed body");
        assert!(refusal(ProviderType::GitHub, "s3cret", headers(&[]), body)
            .unwrap()
            .contains("no X-Hub-Signature-256"));
        let bitbucket = [("x-hub-signature", signed.as_str())];
        assert_eq!(refusal(ProviderType::Bitbucket, "s3cret", headers(&bitbucket), body), None);
        assert!(refusal(ProviderType::Bitbucket, "s3cret", headers(&github), body).is_some());
        let gitlab = [("x-gitlab-token", "s3cret")];
        assert_eq!(refusal(ProviderType::GitLabSelfManaged, "s3cret", headers(&gitlab), body), None);
        assert!(refusal(ProviderType::GitLab, "s3cre", headers(&gitlab), body).is_some());
        assert!(refusal(ProviderType::GitLab, "s3cret", headers(&github), body).is_some());
    }
}
