//! Character-class and length checks for the API's string patterns (no regex crate: the patterns
//! are simple classes, and staying dependency-free keeps the wasm small).

/// Length in characters, as the API counts it.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

pub(crate) fn len_between(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&char_len(s))
}

/// `s` is non-empty and every character is ASCII alphanumeric or one of `extra`.
pub(crate) fn all_in_class(s: &str, extra: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Pipeline, stage, action and rule names: `[A-Za-z0-9.@\-_]+`, 1..100.
pub(crate) fn is_entity_name(s: &str) -> bool {
    all_in_class(s, ".@-_") && len_between(s, 1, 100)
}

/// Artifact names: `[a-zA-Z0-9_\-]+`, 1..100.
pub(crate) fn is_artifact_name(s: &str) -> bool {
    all_in_class(s, "_-") && len_between(s, 1, 100)
}

/// Namespaces and pipeline variable names: `[A-Za-z0-9@\-_]+` (1..100 and 1..128).
pub(crate) fn is_variable_token(s: &str, max: usize) -> bool {
    all_in_class(s, "@-_") && len_between(s, 1, max)
}

/// Action type provider (1..35) and version (1..9): `[0-9A-Za-z_-]+`.
pub(crate) fn is_type_token(s: &str, max: usize) -> bool {
    all_in_class(s, "_-") && len_between(s, 1, max)
}

/// IAM role ARN: `arn:aws(-[\w]+)*:iam::[0-9]{12}:role/.*`, at most 1024 characters.
pub(crate) fn is_role_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    // Partition suffixes such as "-cn" or "-us-gov": each segment is "-" followed by word chars.
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    let partition_ok = partition.is_empty()
        || (partition.starts_with('-') && partition[1..].split('-').all(|seg| all_in_class(seg, "_")));
    let Some(rest) = rest.strip_prefix("iam::") else {
        return false;
    };
    let Some((account, rest)) = rest.split_once(':') else {
        return false;
    };
    partition_ok
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && rest.starts_with("role/")
        && char_len(s) <= 1024
}

/// S3 bucket-like store location: `[a-zA-Z0-9\-\.]+`, 3..63.
pub(crate) fn is_store_location(s: &str) -> bool {
    all_in_class(s, "-.") && len_between(s, 3, 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/service-role/x"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/x"));
        assert!(is_role_arn("arn:aws-us-gov:iam::123456789012:role/x"));
        assert!(!is_role_arn("arn:aws:iam::12345678901:role/x"), "11-digit account");
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(!is_role_arn("arn:aws-:iam::123456789012:role/x"));
        assert!(!is_role_arn("role/x"));
    }

    #[test]
    fn names() {
        assert!(is_entity_name("My.Stage@1_-"));
        assert!(!is_entity_name("has space"));
        assert!(!is_entity_name(""));
        assert!(!is_entity_name(&"a".repeat(101)));
        assert!(is_artifact_name("Build_Output-1"));
        assert!(!is_artifact_name("Build.Output"));
        assert!(is_store_location("my.bucket-1"));
        assert!(!is_store_location("ab"));
    }
}
