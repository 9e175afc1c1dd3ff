//! What connections accept from their callers: names, provider types, host endpoints, ARNs and
//! the repository ids pipelines name. Everything here ends up in a URL that `git` fetches, so a
//! value either passes these checks or never reaches `git`.
use crate::{EngineError, Refusal, Result};

/// The git hosts a connection can reach, as CodeConnections names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderType {
    Bitbucket,
    GitHub,
    GitHubEnterpriseServer,
    GitLab,
    GitLabSelfManaged,
}

impl ProviderType {
    pub fn parse(text: &str) -> Result<ProviderType> {
        Ok(match text {
            "Bitbucket" => ProviderType::Bitbucket,
            "GitHub" => ProviderType::GitHub,
            "GitHubEnterpriseServer" => ProviderType::GitHubEnterpriseServer,
            "GitLab" => ProviderType::GitLab,
            "GitLabSelfManaged" => ProviderType::GitLabSelfManaged,
            "AzureDevOps" => {
                return Err(EngineError::refused(
                    Refusal::UnsupportedProvider,
                    "Provider type AzureDevOps is not supported by Sluice.",
                ))
            }
            other => return Err(invalid(format!("Value {other:?} at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [Bitbucket, GitHub, GitHubEnterpriseServer, GitLab, GitLabSelfManaged]"))),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Bitbucket => "Bitbucket",
            ProviderType::GitHub => "GitHub",
            ProviderType::GitHubEnterpriseServer => "GitHubEnterpriseServer",
            ProviderType::GitLab => "GitLab",
            ProviderType::GitLabSelfManaged => "GitLabSelfManaged",
        }
    }

    /// The public service's address; None for the self-managed kinds, which live on a host.
    pub fn public_url(self) -> Option<&'static str> {
        match self {
            ProviderType::GitHub => Some("https://github.com"),
            ProviderType::GitLab => Some("https://gitlab.com"),
            ProviderType::Bitbucket => Some("https://bitbucket.org"),
            ProviderType::GitHubEnterpriseServer | ProviderType::GitLabSelfManaged => None,
        }
    }

    /// The user name git sends with a token that comes without one (each host's documented
    /// name for token authentication over HTTPS).
    pub fn token_user(self) -> &'static str {
        match self {
            ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => "x-access-token",
            ProviderType::GitLab | ProviderType::GitLabSelfManaged => "oauth2",
            ProviderType::Bitbucket => "x-token-auth",
        }
    }

    /// The web page of a commit, for the hosts whose addresses Sluice knows.
    pub fn commit_url(self, repository_url: &str, commit: &str) -> Option<String> {
        let web = repository_url.trim_end_matches(".git");
        match self {
            _ if !web.starts_with("https://") && !web.starts_with("http://") => None,
            ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => Some(format!("{web}/commit/{commit}")),
            ProviderType::GitLab | ProviderType::GitLabSelfManaged => Some(format!("{web}/-/commit/{commit}")),
            ProviderType::Bitbucket => Some(format!("{web}/commits/{commit}")),
        }
    }
}

pub fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::refused(Refusal::InvalidRequest, message)
}

/// ConnectionName: 1 to 32 characters; HostName: 1 to 64.
pub fn check_name(what: &str, name: &str, max: usize) -> Result<()> {
    let length = name.chars().count();
    if length == 0 || length > max {
        return Err(invalid(format!(
            "Value {name:?} at '{what}' failed to satisfy constraint: Member must have length between 1 and {max}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!("Value {name:?} at '{what}' must not contain control characters")));
    }
    Ok(())
}

/// A host's ProviderEndpoint: an `https://` (or `http://`, or for tests and mirrors `file://`)
/// address without credentials, query or fragment; returned without a trailing slash.
pub fn check_endpoint(endpoint: &str) -> Result<String> {
    let refuse = |why: &str| invalid(format!("ProviderEndpoint {endpoint:?} is not valid: {why}"));
    let url = url::Url::parse(endpoint).map_err(|e| refuse(&e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http" | "file") {
        return Err(refuse("use an https://, http:// or file:// address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials belong in the connection's token, not in the address"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("an address with a query or a fragment cannot be a repository's base"));
    }
    if endpoint.len() > 512 || endpoint.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("it must be at most 512 characters without spaces"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// FullRepositoryId: `owner/repository` (GitLab's groups may nest: `group/sub/repository`), each
/// part letters, digits, `-`, `_` and `.`, none of them `.` or `..` nor starting with `-`, so
/// the id can neither leave the host's namespace nor read as an option.
pub fn check_repository_id(id: &str) -> Result<(), String> {
    let parts: Vec<&str> = id.split('/').collect();
    let part_ok = |part: &&str| {
        !part.is_empty()
            && *part != "."
            && *part != ".."
            && !part.starts_with('-')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if parts.len() < 2 || id.len() > 512 || !parts.iter().all(part_ok) {
        return Err(format!(
            "FullRepositoryId {id:?} is not valid: it must be owner/repository, each part letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// The two names AWS gives the service: ARNs, IAM actions and signing names use either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `codeconnections`, the current name (2023-12-01 API).
    CodeConnections,
    /// `codestar-connections`, the original one (2019-12-01 API), still accepted everywhere.
    CodeStar,
}

impl Namespace {
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::CodeConnections => "codeconnections",
            Namespace::CodeStar => "codestar-connections",
        }
    }

    pub const BOTH: [Namespace; 2] = [Namespace::CodeConnections, Namespace::CodeStar];
}

/// The id in `arn:aws:<namespace>:<region>:<account>:<kind>/<id>`, when the ARN is one of this
/// account's and region's, in either namespace.
pub fn id_of_arn<'a>(arn: &'a str, kind: &str, account: &crate::Account) -> Option<&'a str> {
    let mut fields = arn.splitn(6, ':');
    let (prefix, partition, service) = (fields.next()?, fields.next()?, fields.next()?);
    let (region, account_id, resource) = (fields.next()?, fields.next()?, fields.next()?);
    let known_service = Namespace::BOTH.iter().any(|ns| ns.as_str() == service);
    if prefix != "arn" || partition != "aws" || !known_service {
        return None;
    }
    if region != account.region || account_id != account.id {
        return None;
    }
    let id = resource.strip_prefix(kind)?.strip_prefix('/')?;
    uuid::Uuid::parse_str(id).ok().map(|_| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_ids_stay_inside_the_host() {
        for good in ["octo/app", "group/sub/app", "a.b/c_d-1", "owner/.github"] {
            assert_eq!(check_repository_id(good), Ok(()), "{good}");
        }
        for bad in
            ["app", "../../etc", "owner/..", "owner/-x", "a//b", "/a/b", "a/b/", "a b/c", "a/b?x", "a/b#c", "a:b/c"]
        {
            assert!(check_repository_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_carry_no_credentials() {
        assert_eq!(check_endpoint("https://git.example.com/").unwrap(), "https://git.example.com");
        assert_eq!(check_endpoint("file:///srv/git").unwrap(), "file:///srv/git");
        for bad in ["https://u:p@host", "https://u@host", "ext::sh -c x", "ssh://host/x", "https://h/x?q", "nonsense"] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_of_either_namespace_name_one_connection() {
        let account = crate::Account { id: "000000000000".into(), region: "us-east-1".into() };
        let id = "0b1f3b1e-6d8b-4c4e-9d5a-2f9f3c1d7e11";
        for ns in ["codeconnections", "codestar-connections"] {
            let arn = format!("arn:aws:{ns}:us-east-1:000000000000:connection/{id}");
            assert_eq!(id_of_arn(&arn, "connection", &account), Some(id));
            assert_eq!(id_of_arn(&arn, "host", &account), None);
        }
        assert_eq!(
            id_of_arn(
                &format!("arn:aws:codeconnections:eu-west-1:000000000000:connection/{id}"),
                "connection",
                &account
            ),
            None
        );
        assert_eq!(
            id_of_arn("arn:aws:codeconnections:us-east-1:000000000000:connection/../x", "connection", &account),
            None
        );
    }

    #[test]
    fn commit_pages_follow_each_host() {
        let github = ProviderType::GitHub.commit_url("https://github.com/o/r.git", "abc");
        assert_eq!(github.as_deref(), Some("https://github.com/o/r/commit/abc"));
        let gitlab = ProviderType::GitLab.commit_url("https://gitlab.com/g/r.git", "abc");
        assert_eq!(gitlab.as_deref(), Some("https://gitlab.com/g/r/-/commit/abc"));
        assert_eq!(ProviderType::GitHubEnterpriseServer.commit_url("file:///srv/o/r.git", "abc"), None);
    }
}
