//! How a `SECRETS_MANAGER` environment variable names a secret: `name`, or AWS's `name:json-key`
//! to take one key of a secret that holds a JSON object.
use super::SecretError;

/// Secret names follow AWS Secrets Manager's: 1 to 512 letters, digits and `/_+=.@-`.
pub fn validate_name(name: &str) -> Result<(), SecretError> {
    let valid = !name.is_empty()
        && name.len() <= 512
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(SecretError::InvalidName(format!(
            "A secret name is 1 to 512 letters, digits and /_+=.@- characters; {:?} is not.",
            name.chars().take(100).collect::<String>()
        )))
    }
}

/// A parsed environment variable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReference<'a> {
    pub name: &'a str,
    pub json_key: Option<&'a str>,
}

impl<'a> SecretReference<'a> {
    pub fn parse(value: &'a str) -> Self {
        match value.split_once(':') {
            Some((name, key)) => SecretReference { name, json_key: Some(key) },
            None => SecretReference { name: value, json_key: None },
        }
    }
}

/// The value a reference takes from a secret: the whole text, or one key of its JSON object
/// (strings as they are, other JSON values as JSON text).
pub fn pick(secret: &str, json_key: Option<&str>) -> Result<String, String> {
    let Some(key) = json_key else { return Ok(secret.to_owned()) };
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(secret)
        .map_err(|_| format!("the secret is not a JSON object, so it has no key '{key}'"))?;
    match object.get(key) {
        Some(serde_json::Value::String(text)) => Ok(text.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(format!("the secret's JSON has no key '{key}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_secret_and_maybe_a_json_key() {
        assert_eq!(SecretReference::parse("prod/db"), SecretReference { name: "prod/db", json_key: None });
        assert_eq!(
            SecretReference::parse("prod/db:password"),
            SecretReference { name: "prod/db", json_key: Some("password") }
        );
        assert_eq!(pick("plain", None).unwrap(), "plain");
        assert_eq!(pick(r#"{"password":"pw","port":5432}"#, Some("password")).unwrap(), "pw");
        assert_eq!(pick(r#"{"password":"pw","port":5432}"#, Some("port")).unwrap(), "5432");
        assert!(pick(r#"{"password":"pw"}"#, Some("user")).unwrap_err().contains("no key 'user'"));
        assert!(pick("not json", Some("user")).unwrap_err().contains("not a JSON object"));
    }

    #[test]
    fn names_follow_secrets_manager() {
        assert!(validate_name("prod/db-password_1+=.@").is_ok());
        for bad in ["", "has space", "colon:inside", &"x".repeat(513)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
