//! The part of JSONPath that webhook filters use: a path from the root through members and
//! array indexes, `$.ref`, `$.repository.full_name`, `$.commits[0].id`, `$['head_commit']['id']`.
//! Filters pick one value; wildcards, slices and expressions have no single value and are refused.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Member(String),
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    /// Parses `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let rest = text.strip_prefix('$').ok_or("a JsonPath starts with '$'")?;
        let mut chars = rest.chars().peekable();
        let mut steps = Vec::new();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    let mut name = String::new();
                    while let Some(&c) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        name.push(c);
                        chars.next();
                    }
                    if name.is_empty() || name == "*" || name.starts_with('.') {
                        return Err(format!("'.' must be followed by a member name in {text}"));
                    }
                    steps.push(Step::Member(name));
                }
                '[' => {
                    let mut inside = String::new();
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(c) => inside.push(c),
                            None => return Err(format!("a '[' is not closed in {text}")),
                        }
                    }
                    steps.push(bracket(&inside).ok_or_else(|| {
                        format!("[{inside}] is neither an array index nor a quoted member name in {text}")
                    })?);
                }
                other => return Err(format!("unexpected '{other}' in {text}")),
            }
        }
        Ok(JsonPath(steps))
    }

    /// The value at the path, if there is one.
    pub fn select<'a>(&self, document: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.0.iter().try_fold(document, |value, step| match step {
            Step::Member(name) => value.get(name.as_str()),
            Step::Index(index) => value.get(*index),
        })
    }
}

/// `0`, `'name'` or `"name"`.
fn bracket(inside: &str) -> Option<Step> {
    let inside = inside.trim();
    if let Ok(index) = inside.parse::<usize>() {
        return Some(Step::Index(index));
    }
    let quoted = ['\'', '"'].iter().find_map(|q| inside.strip_prefix(*q)?.strip_suffix(*q));
    quoted.filter(|name| !name.is_empty()).map(|name| Step::Member(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_select_one_value() {
        let push = json!({ "ref": "refs/heads/main", "repository": { "full_name": "octo/app" },
                           "commits": [{ "id": "abc" }], "head commit": { "id": "abc" } });
        let at = |path: &str| JsonPath::parse(path).unwrap().select(&push).cloned();
        assert_eq!(at("$.ref"), Some(json!("refs/heads/main")));
        assert_eq!(at("$.repository.full_name"), Some(json!("octo/app")));
        assert_eq!(at("$.commits[0].id"), Some(json!("abc")));
        assert_eq!(at("$['head commit'][\"id\"]"), Some(json!("abc")));
        assert_eq!(at("$.commits[1].id"), None);
        assert_eq!(at("$.nothing.here"), None);
        assert_eq!(at("$"), Some(push.clone()));
    }

    #[test]
    fn paths_without_a_single_value_are_refused() {
        for bad in ["ref", "$.", "$..ref", "$.*", "$.commits[*]", "$.commits[0", "$.a[?(@.x)]", "$ref"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }
}
