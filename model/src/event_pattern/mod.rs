//! EventBridge event patterns: parsed once (with the reason a pattern is refused, as
//! `TestEventPattern` and `PutRule` report it) and then matched against events.
//!
//! A pattern is a JSON object shaped like the events it matches. Its leaves are arrays of
//! matchers, any of which may match (a field whose value is an array matches when any element
//! does); its fields must all match, and each `$or` list needs one alternative that matches.
//! Matchers: exact strings, numbers, booleans and `null`; `prefix`, `suffix` (each plain or with
//! `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `numeric` comparisons, `exists`,
//! `cidr`, and `anything-but` (values, or a `prefix`, `suffix`, `equals-ignore-case` or
//! `wildcard`). Pure, so the web app checks patterns while they are typed.
mod matching;
mod parse;
#[cfg(test)]
mod tests;

/// A parsed event pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPattern {
    root: Node,
}

/// A pattern object: fields that must all match, and `$or` lists of alternatives.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    fields: Vec<(String, Field)>,
    any_of: Vec<Vec<Node>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Nested(Node),
    Leaf(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    /// A string, number, boolean or `null`, compared exactly (numbers by value).
    Exact(serde_json::Value),
    Prefix(Text),
    Suffix(Text),
    EqualsIgnoreCase(String),
    Wildcard(String),
    /// One or two comparisons, all of which must hold.
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
    Cidr(crate::ip_range::IpRange),
    AnythingBut(Excluded),
}

/// The text of a `prefix` or `suffix`, and whether case is ignored.
#[derive(Debug, Clone, PartialEq)]
struct Text {
    text: String,
    ignore_case: bool,
}

/// What `anything-but` refuses.
#[derive(Debug, Clone, PartialEq)]
enum Excluded {
    /// Strings or numbers.
    Values(Vec<serde_json::Value>),
    Prefix(String),
    Suffix(String),
    IgnoringCase(Vec<String>),
    Wildcards(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// Why a pattern is refused, naming the field where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Event pattern is not valid. Reason: {reason}{}", at_field(.path))]
pub struct PatternError {
    /// The dotted path of the field, empty for the pattern itself.
    pub path: String,
    pub reason: String,
}

fn at_field(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (at \"{path}\")")
    }
}

impl EventPattern {
    /// Parses a pattern from its JSON text.
    pub fn parse(text: &str) -> Result<EventPattern, PatternError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|err| PatternError { path: String::new(), reason: format!("it is not valid JSON ({err})") })?;
        EventPattern::from_value(&value)
    }

    pub fn from_value(value: &serde_json::Value) -> Result<EventPattern, PatternError> {
        Ok(EventPattern { root: parse::node(value, "")? })
    }

    /// Whether `event` (an event as EventBridge delivers it, envelope and `detail`) matches.
    pub fn matches(&self, event: &serde_json::Value) -> bool {
        matching::node(&self.root, event)
    }
}
