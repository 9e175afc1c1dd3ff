//! Resolving `#{namespace.key}` references just before an action runs.

/// Replaces every `#{namespace.key}` in `text` with `lookup(namespace, key)`. The first reference
/// that cannot be resolved is returned as the error, spelled as written. An unclosed `#{` stays
/// literal text, as in CodePipeline.
pub fn substitute(text: &str, lookup: impl Fn(&str, &str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let value = inner
            .split_once('.')
            .filter(|(namespace, key)| !namespace.is_empty() && !key.is_empty())
            .and_then(|(namespace, key)| lookup(namespace, key))
            .ok_or_else(|| format!("#{{{inner}}}"))?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::substitute;

    fn lookup(namespace: &str, key: &str) -> Option<String> {
        (namespace == "Src" && key == "CommitId").then(|| "abc123".to_owned())
    }

    #[test]
    fn replaces_known_references_and_keeps_plain_text() {
        assert_eq!(substitute("v-#{Src.CommitId}!", lookup).unwrap(), "v-abc123!");
        assert_eq!(substitute("#{Src.CommitId}#{Src.CommitId}", lookup).unwrap(), "abc123abc123");
        assert_eq!(substitute("no refs, #{ unclosed", lookup).unwrap(), "no refs, #{ unclosed");
    }

    #[test]
    fn names_the_first_unknown_reference() {
        assert_eq!(substitute("#{Src.Nope} #{X.Y}", lookup).unwrap_err(), "#{Src.Nope}");
        assert_eq!(substitute("#{malformed}", lookup).unwrap_err(), "#{malformed}");
    }
}
