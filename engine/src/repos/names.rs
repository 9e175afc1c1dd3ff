//! What CodeCommit accepts as repository names, branch names, commit ids and descriptions, and
//! its errors for everything else. Checked before any of them reaches a path or a `git` command
//! line, so a name can neither leave the repositories' folder nor be read as an option.

/// Why a repository operation was refused; the API names each with CodeCommit's exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    #[error("A repository name is required, but was not specified.")]
    NameRequired,
    #[error("{0}")]
    InvalidName(String),
    #[error("Repository named {0} already exists")]
    NameExists(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("A branch name is required, but was not specified.")]
    BranchNameRequired,
    #[error("The branch name {0:?} is not valid.")]
    InvalidBranchName(String),
    #[error("Branch {branch} does not exist in repository {repository}")]
    BranchNotFound { repository: String, branch: String },
    #[error("A commit ID is required, but was not specified.")]
    CommitIdRequired,
    #[error("The commit ID {0:?} is not valid: a full 40-character hexadecimal commit ID is required.")]
    InvalidCommitId(String),
    #[error("Commit {0} does not exist")]
    CommitNotFound(String),
    #[error("The repository description is longer than {MAX_DESCRIPTION_CHARS} characters.")]
    InvalidDescription,
    /// `git` or the file system failed: the server's trouble, not the caller's.
    #[error("{0}")]
    Internal(String),
}

impl RepoError {
    pub(crate) fn internal(what: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        RepoError::Internal(format!("{what}: {err}"))
    }
}

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// CodeCommit's rule: 1 to 100 letters, digits, `_`, `.` and `-`, not ending in `.git`. `.` and
/// `..` are refused too: they name folders, not repositories.
pub fn check_repository_name(name: &str) -> Result<(), RepoError> {
    if name.is_empty() {
        return Err(RepoError::NameRequired);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let why = if name.len() > MAX_NAME_CHARS {
        format!("The repository name {name:?} is longer than {MAX_NAME_CHARS} characters.")
    } else if !name.chars().all(allowed) {
        format!("The repository name {name:?} is not valid: only letters, digits, '_', '.' and '-' are allowed.")
    } else if name.to_ascii_lowercase().ends_with(".git") {
        format!("The repository name {name:?} is not valid: the suffix .git is prohibited.")
    } else if name == "." || name == ".." {
        format!("The repository name {name:?} is not valid.")
    } else {
        return Ok(());
    };
    Err(RepoError::InvalidName(why))
}

/// git's rules for a branch name (a subset of `git check-ref-format --branch`), and CodeCommit's
/// length limit of 256 characters.
pub fn check_branch_name(name: &str) -> Result<(), RepoError> {
    if name.is_empty() {
        return Err(RepoError::BranchNameRequired);
    }
    let bad_char = |c: char| c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\');
    let bad_component = |part: &str| part.is_empty() || part.starts_with('.') || part.ends_with(".lock");
    let invalid = name.len() > 256
        || name.starts_with('-')
        || name.ends_with('.')
        || name.contains("..")
        || name.contains("@{")
        || name == "@"
        || name.chars().any(bad_char)
        || name.split('/').any(bad_component);
    if invalid {
        return Err(RepoError::InvalidBranchName(name.to_owned()));
    }
    Ok(())
}

/// A full commit id: 40 hexadecimal digits (lower case, as git prints them).
pub fn check_commit_id(id: &str) -> Result<(), RepoError> {
    if id.is_empty() {
        return Err(RepoError::CommitIdRequired);
    }
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RepoError::InvalidCommitId(id.to_owned()));
    }
    Ok(())
}

pub fn check_description(description: &str) -> Result<(), RepoError> {
    match description.chars().count() > MAX_DESCRIPTION_CHARS {
        true => Err(RepoError::InvalidDescription),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_codecommit() {
        for good in ["a", "My-Repo_1.0", &"x".repeat(100)] {
            assert_eq!(check_repository_name(good), Ok(()), "{good}");
        }
        assert_eq!(check_repository_name(""), Err(RepoError::NameRequired));
        for bad in ["has space", "slash/name", "app.git", "APP.GIT", ".", "..", &"x".repeat(101), "ü"] {
            assert!(matches!(check_repository_name(bad), Err(RepoError::InvalidName(_))), "{bad}");
        }
    }

    #[test]
    fn branch_names_follow_git() {
        for good in ["main", "feature/login", "release-1.2", "a_b"] {
            assert_eq!(check_branch_name(good), Ok(()), "{good}");
        }
        for bad in ["-x", "a..b", "a b", "x.lock", "a//b", "/a", "a/", "a~1", "HEAD@{1}", ".hidden", "end."] {
            assert!(matches!(check_branch_name(bad), Err(RepoError::InvalidBranchName(_))), "{bad}");
        }
    }

    #[test]
    fn commit_ids_are_full_hex() {
        assert_eq!(check_commit_id(&"a".repeat(40)), Ok(()));
        assert_eq!(check_commit_id(""), Err(RepoError::CommitIdRequired));
        assert!(check_commit_id("abc123").is_err());
        assert!(check_commit_id(&format!("--{}", "a".repeat(38))).is_err());
    }
}
