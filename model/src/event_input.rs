//! What an EventBridge target is sent instead of the whole event: the part an `InputPath` selects
//! (a JSONPath such as `$.detail`), or an `InputTransformer`'s template filled from the event.
//!
//! Templates follow EventBridge's rule: a `<name>` inside a JSON string is replaced by the value's
//! text (escaped for that string), anywhere else by the value's JSON; a path that selects nothing
//! gives `null` (or nothing, inside a string). Names that are not defined stay as they are.
use serde_json::Value;

/// One step of a JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A parsed JSONPath of the subset EventBridge accepts in targets: `$`, `.key`, `['key']`, `[n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let refuse = |why: &str| Err(format!("{text:?} is not a JSONPath such as $.detail.state: {why}"));
        let Some(mut rest) = text.strip_prefix('$') else {
            return refuse("it must start with $");
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                if end == 0 {
                    return refuse("a '.' must be followed by a name");
                }
                steps.push(Step::Key(after[..end].to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some(end) = after.find(']') else {
                    return refuse("a '[' is not closed");
                };
                let inside = after[..end].trim();
                let quoted = inside
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
                match (quoted, inside.parse::<usize>()) {
                    (Some(key), _) => steps.push(Step::Key(key.to_owned())),
                    (None, Ok(index)) => steps.push(Step::Index(index)),
                    (None, Err(_)) => return refuse("brackets hold an index or a quoted name"),
                }
                rest = &after[end + 1..];
            } else {
                return refuse("expected '.' or '['");
            }
        }
        Ok(JsonPath(steps))
    }

    /// The value the path selects, if there is one.
    pub fn select<'a>(&self, mut value: &'a Value) -> Option<&'a Value> {
        for step in &self.0 {
            value = match step {
                Step::Key(key) => value.get(key.as_str())?,
                Step::Index(index) => value.get(*index)?,
            };
        }
        Some(value)
    }
}

/// An `InputTransformer`: named paths into the event, and the template they fill.
#[derive(Debug, Clone, PartialEq)]
pub struct InputTransformer {
    paths: Vec<(String, JsonPath)>,
    template: String,
}

/// The names EventBridge defines for every template besides the target's own.
pub const RESERVED_PREFIX: &str = "aws.";

impl InputTransformer {
    /// Parses `{"InputPathsMap": {...}, "InputTemplate": "..."}`, refusing what EventBridge refuses.
    pub fn parse(value: &Value) -> Result<InputTransformer, String> {
        let template = value
            .get("InputTemplate")
            .and_then(Value::as_str)
            .ok_or("InputTransformer needs an InputTemplate.")?
            .to_owned();
        let mut paths = Vec::new();
        if let Some(map) = value.get("InputPathsMap") {
            let map = map.as_object().ok_or("InputPathsMap is an object of names to JSONPaths.")?;
            if map.len() > 100 {
                return Err("InputPathsMap has at most 100 entries.".into());
            }
            for (name, path) in map {
                if name.starts_with(RESERVED_PREFIX) {
                    return Err(format!("InputPathsMap name {name:?} is reserved (it starts with \"aws.\")."));
                }
                let path = path.as_str().ok_or(format!("InputPathsMap {name:?} is not a JSONPath string."))?;
                paths.push((name.clone(), JsonPath::parse(path)?));
            }
        }
        Ok(InputTransformer { paths, template })
    }

    /// The template filled from `event`; `predefined` holds the `aws.events.*` names and values.
    pub fn render(&self, event: &Value, predefined: &[(&str, Value)]) -> String {
        let lookup = |name: &str| -> Option<Option<Value>> {
            if let Some((_, path)) = self.paths.iter().find(|(n, _)| n == name) {
                return Some(path.select(event).cloned());
            }
            predefined.iter().find(|(n, _)| *n == name).map(|(_, v)| Some(v.clone()))
        };
        let mut out = String::with_capacity(self.template.len());
        let mut in_string = false;
        let mut escaped = false;
        let mut rest = self.template.as_str();
        while let Some(c) = rest.chars().next() {
            if c == '<' && !escaped {
                if let Some(end) = rest[1..].find('>') {
                    if let Some(value) = lookup(&rest[1..1 + end]) {
                        out.push_str(&fill(value, in_string));
                        rest = &rest[end + 2..];
                        continue;
                    }
                }
            }
            match c {
                '\\' if in_string => escaped = !escaped,
                '"' if !escaped => in_string = !in_string,
                _ => {}
            }
            if c != '\\' {
                escaped = false;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

/// A value as it goes into the template: its JSON outside strings, its text escaped inside one.
fn fill(value: Option<Value>, in_string: bool) -> String {
    match (value, in_string) {
        (None, false) => "null".into(),
        (None, true) => String::new(),
        (Some(value), false) => value.to_string(),
        (Some(Value::String(text)), true) => escape(&text),
        (Some(other), true) => escape(&other.to_string()),
    }
}

/// Text as it appears between the quotes of a JSON string.
fn escape(text: &str) -> String {
    let quoted = Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({ "detail": { "pipeline": "web", "state": "FAILED", "stages": ["a", "b"], "n": 3, "q": "say \"hi\"" } })
    }

    #[test]
    fn paths_select_keys_indexes_and_quoted_names() {
        let e = event();
        assert_eq!(JsonPath::parse("$").unwrap().select(&e), Some(&e));
        assert_eq!(JsonPath::parse("$.detail.state").unwrap().select(&e), Some(&json!("FAILED")));
        assert_eq!(JsonPath::parse("$.detail.stages[1]").unwrap().select(&e), Some(&json!("b")));
        assert_eq!(JsonPath::parse("$['detail']['n']").unwrap().select(&e), Some(&json!(3)));
        assert_eq!(JsonPath::parse("$.detail.missing").unwrap().select(&e), None);
        for bad in ["detail", "$.", "$[x]", "$[0", "$detail"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    fn transformer(paths: Value, template: &str) -> InputTransformer {
        InputTransformer::parse(&json!({ "InputPathsMap": paths, "InputTemplate": template })).unwrap()
    }

    #[test]
    fn values_are_json_outside_strings_and_text_inside() {
        let t = transformer(
            json!({ "p": "$.detail.pipeline", "n": "$.detail.n", "s": "$.detail.stages", "q": "$.detail.q" }),
            r#"{"name": <p>, "text": "pipeline <p> has <n> (<s>)", "count": <n>, "list": <s>, "quote": "<q>"}"#,
        );
        let out: Value = serde_json::from_str(&t.render(&event(), &[])).unwrap();
        assert_eq!(out["name"], "web");
        assert_eq!(out["text"], r#"pipeline web has 3 (["a","b"])"#);
        assert_eq!(out["count"], 3);
        assert_eq!(out["list"], json!(["a", "b"]));
        assert_eq!(out["quote"], "say \"hi\"");
    }

    #[test]
    fn missing_values_are_null_or_empty_and_unknown_names_stay() {
        let t = transformer(json!({ "m": "$.nothing" }), r#"{"a": <m>, "b": "[<m>]", "c": "<other>"}"#);
        let out: Value = serde_json::from_str(&t.render(&event(), &[])).unwrap();
        assert_eq!(out, json!({ "a": null, "b": "[]", "c": "<other>" }));
    }

    #[test]
    fn predefined_names_and_plain_string_templates() {
        let t = transformer(json!({ "s": "$.detail.state" }), r#""<aws.events.rule-name>: <s>""#);
        let out = t.render(&event(), &[("aws.events.rule-name", json!("on-failure"))]);
        assert_eq!(out, r#""on-failure: FAILED""#);
    }

    #[test]
    fn bad_transformers_are_refused() {
        assert!(InputTransformer::parse(&json!({ "InputPathsMap": {} })).is_err());
        assert!(InputTransformer::parse(&json!({ "InputPathsMap": { "aws.x": "$" }, "InputTemplate": "" })).is_err());
        assert!(InputTransformer::parse(&json!({ "InputPathsMap": { "x": "detail" }, "InputTemplate": "" })).is_err());
    }
}
