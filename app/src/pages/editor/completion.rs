//! Completing variable references: typing `#{` in a configuration field offers the references
//! available there; picking one replaces what was typed with the whole `#{namespace.key}`.

/// The reference being typed just before `caret` (a byte offset): where its `#{` starts and
/// what follows it so far. None once it is closed or holds what no reference can.
pub fn open_reference(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let start = before.rfind("#{")?;
    let typed = &before[start + 2..];
    let plausible = typed.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    plausible.then_some((start, typed))
}

/// The offered references containing what was typed, ignoring case; those that start with it first.
pub fn matching<'o>(offered: &'o [String], typed: &str) -> Vec<&'o String> {
    let typed = typed.to_ascii_lowercase();
    let (mut starts, contains): (Vec<_>, Vec<_>) = offered
        .iter()
        .filter(|r| r.to_ascii_lowercase().contains(&typed))
        .partition(|r| r.to_ascii_lowercase().starts_with(&typed));
    starts.extend(contains);
    starts
}

/// `text` with the reference opened at `start` and typed up to `caret` completed as
/// `#{reference}` (a `}` already after the caret is reused), and the caret after it.
pub fn complete(text: &str, start: usize, caret: usize, reference: &str) -> (String, usize) {
    let rest = text.get(caret..).unwrap_or_default();
    let rest = rest.strip_prefix('}').unwrap_or(rest);
    let head = text.get(..start).unwrap_or(text);
    let inserted = format!("#{{{reference}}}");
    (format!("{head}{inserted}{rest}"), head.len() + inserted.len())
}

/// The byte offset of a caret the browser counts in UTF-16 units.
pub fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        if units >= utf16 {
            return at;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The browser's UTF-16 caret for a byte offset.
pub fn utf16_offset(text: &str, bytes: usize) -> usize {
    text.get(..bytes).unwrap_or(text).encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_reference_being_typed() {
        assert_eq!(open_reference("x-#{Sou", 7), Some((2, "Sou")));
        assert_eq!(open_reference("#{", 2), Some((0, "")));
        assert_eq!(open_reference("#{A.B} tail", 11), None, "closed");
        assert_eq!(open_reference("#{A B", 5), None, "a space ends it");
        assert_eq!(open_reference("plain", 5), None);
        assert_eq!(open_reference("#{Src", 99), None, "caret past the end");
    }

    #[test]
    fn matches_ignoring_case_prefixes_first() {
        let offered: Vec<String> =
            ["codepipeline.PipelineExecutionId", "Src.CommitId", "variables.Commit"].map(String::from).to_vec();
        assert_eq!(matching(&offered, "commit"), [&offered[1], &offered[2]]);
        assert_eq!(matching(&offered, "var"), [&offered[2]]);
        assert_eq!(matching(&offered, "").len(), 3);
        assert!(matching(&offered, "nothing").is_empty());
    }

    #[test]
    fn completion_replaces_what_was_typed() {
        assert_eq!(complete("v-#{Sr", 2, 6, "Src.CommitId"), ("v-#{Src.CommitId}".to_string(), 17));
        assert_eq!(complete("a #{S} b", 2, 5, "Src.CommitId"), ("a #{Src.CommitId} b".to_string(), 17));
    }

    #[test]
    fn carets_convert_between_utf16_and_bytes() {
        let text = "é#{x";
        assert_eq!(byte_offset(text, 1), 2);
        assert_eq!(byte_offset(text, 4), 5);
        assert_eq!(utf16_offset(text, 5), 4);
    }
}
