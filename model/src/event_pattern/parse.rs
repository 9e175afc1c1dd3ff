//! Reading a pattern's JSON into matchers, refusing what EventBridge refuses.
use super::{Comparison, Excluded, Field, Matcher, Node, PatternError, Text};
use serde_json::{Map, Value};

type Parsed<T> = Result<T, PatternError>;

fn refuse<T>(path: &str, reason: impl Into<String>) -> Parsed<T> {
    Err(PatternError { path: path.to_owned(), reason: reason.into() })
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn node(value: &Value, path: &str) -> Parsed<Node> {
    let Value::Object(object) = value else { return refuse(path, "a pattern is a JSON object") };
    if object.is_empty() {
        return refuse(path, "an object in a pattern needs at least one field");
    }
    let mut node = Node { fields: Vec::new(), any_of: Vec::new() };
    for (key, value) in object {
        let here = child(path, key);
        if key == "$or" {
            node.any_of.push(alternatives(value, &here)?);
        } else if value.is_object() {
            node.fields.push((key.clone(), Field::Nested(self::node(value, &here)?)));
        } else {
            node.fields.push((key.clone(), Field::Leaf(leaf(value, &here)?)));
        }
    }
    Ok(node)
}

fn alternatives(value: &Value, path: &str) -> Parsed<Vec<Node>> {
    match value {
        Value::Array(items) if items.len() >= 2 => items.iter().map(|item| node(item, path)).collect(),
        _ => refuse(path, "\"$or\" takes an array of at least two pattern objects"),
    }
}

fn leaf(value: &Value, path: &str) -> Parsed<Vec<Matcher>> {
    let Value::Array(items) = value else {
        return refuse(path, "match values must be inside an array, as in [\"value\"]");
    };
    if items.is_empty() {
        return refuse(path, "an empty array matches nothing");
    }
    items.iter().map(|item| matcher(item, path)).collect()
}

fn matcher(value: &Value, path: &str) -> Parsed<Matcher> {
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => return refuse(path, "arrays cannot be nested inside a match array"),
        exact => return Ok(Matcher::Exact(exact.clone())),
    };
    let Some((name, operand)) = single_entry(object) else {
        return refuse(path, "a match object has exactly one operator, such as {\"prefix\": \"a\"}");
    };
    match name {
        "prefix" => Ok(Matcher::Prefix(text(operand, path, name)?)),
        "suffix" => Ok(Matcher::Suffix(text(operand, path, name)?)),
        "equals-ignore-case" => Ok(Matcher::EqualsIgnoreCase(string(operand, path, name)?)),
        "wildcard" => Ok(Matcher::Wildcard(wildcard(operand, path)?)),
        "numeric" => numeric(operand, path),
        "exists" => match operand {
            Value::Bool(exists) => Ok(Matcher::Exists(*exists)),
            _ => refuse(path, "\"exists\" takes true or false"),
        },
        "cidr" => cidr(operand, path),
        "anything-but" => Ok(Matcher::AnythingBut(excluded(operand, path)?)),
        other => refuse(path, format!("unknown operator \"{other}\"")),
    }
}

fn single_entry(object: &Map<String, Value>) -> Option<(&str, &Value)> {
    let mut entries = object.iter();
    let (name, operand) = entries.next()?;
    entries.next().is_none().then_some((name.as_str(), operand))
}

fn string(operand: &Value, path: &str, operator: &str) -> Parsed<String> {
    match operand {
        Value::String(text) => Ok(text.clone()),
        _ => refuse(path, format!("\"{operator}\" takes a string")),
    }
}

/// A `prefix` or `suffix` operand: a string, or `{"equals-ignore-case": string}`.
fn text(operand: &Value, path: &str, operator: &str) -> Parsed<Text> {
    match operand {
        Value::String(text) => Ok(Text { text: text.clone(), ignore_case: false }),
        Value::Object(object) => match single_entry(object) {
            Some(("equals-ignore-case", Value::String(text))) => Ok(Text { text: text.clone(), ignore_case: true }),
            _ => refuse(path, format!("\"{operator}\" takes a string or {{\"equals-ignore-case\": string}}")),
        },
        _ => refuse(path, format!("\"{operator}\" takes a string")),
    }
}

fn wildcard(operand: &Value, path: &str) -> Parsed<String> {
    let pattern = string(operand, path, "wildcard")?;
    if pattern.contains("**") {
        return refuse(path, "a wildcard cannot have two * in a row");
    }
    Ok(pattern)
}

fn numeric(operand: &Value, path: &str) -> Parsed<Matcher> {
    let usage = "\"numeric\" takes one or two comparisons, such as [\">\", 0, \"<=\", 5]";
    let Value::Array(items) = operand else { return refuse(path, usage) };
    if items.is_empty() || !items.len().is_multiple_of(2) || items.len() > 4 {
        return refuse(path, usage);
    }
    let mut comparisons = Vec::new();
    for pair in items.chunks(2) {
        let comparison = match pair[0].as_str() {
            Some("=") => Comparison::Equal,
            Some("<") => Comparison::Less,
            Some("<=") => Comparison::LessOrEqual,
            Some(">") => Comparison::Greater,
            Some(">=") => Comparison::GreaterOrEqual,
            _ => return refuse(path, format!("{} is not a comparison: use =, <, <=, > or >=", pair[0])),
        };
        let Some(bound) = pair[1].as_f64() else {
            return refuse(path, format!("{} is not a number to compare with", pair[1]));
        };
        comparisons.push((comparison, bound));
    }
    let lower = |c: Comparison| matches!(c, Comparison::Greater | Comparison::GreaterOrEqual);
    let upper = |c: Comparison| matches!(c, Comparison::Less | Comparison::LessOrEqual);
    if let [(first, low), (second, high)] = comparisons[..] {
        if !(lower(first) && upper(second)) || low >= high {
            return refuse(path, "a numeric range is a lower bound (> or >=) then a greater upper bound (< or <=)");
        }
    }
    Ok(Matcher::Numeric(comparisons))
}

fn cidr(operand: &Value, path: &str) -> Parsed<Matcher> {
    let text = string(operand, path, "cidr")?;
    match crate::ip_range::IpRange::parse(&text) {
        Some(range) => Ok(Matcher::Cidr(range)),
        None => refuse(path, format!("\"{text}\" is not an IP address range such as 10.0.0.0/24")),
    }
}

fn excluded(operand: &Value, path: &str) -> Parsed<Excluded> {
    let plain = |items: &[Value]| -> Parsed<Excluded> {
        let strings = items.iter().all(Value::is_string);
        let numbers = items.iter().all(Value::is_number);
        if items.is_empty() || !(strings || numbers) {
            return refuse(path, "\"anything-but\" takes a string, a number, or a list of strings or of numbers");
        }
        Ok(Excluded::Values(items.to_vec()))
    };
    match operand {
        Value::Array(items) => plain(items),
        Value::Object(object) => {
            let Some((name, inner)) = single_entry(object) else {
                return refuse(path, "\"anything-but\" takes one operator inside, such as {\"prefix\": \"a\"}");
            };
            let strings = |inner: &Value| -> Parsed<Vec<String>> {
                match inner {
                    Value::String(text) => Ok(vec![text.clone()]),
                    Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
                        Ok(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
                    }
                    _ => refuse(path, format!("\"anything-but\" with \"{name}\" takes a string or a list of strings")),
                }
            };
            match name {
                "prefix" => Ok(Excluded::Prefix(string(inner, path, "prefix")?)),
                "suffix" => Ok(Excluded::Suffix(string(inner, path, "suffix")?)),
                "equals-ignore-case" => Ok(Excluded::IgnoringCase(strings(inner)?)),
                "wildcard" => {
                    let patterns = strings(inner)?;
                    for pattern in &patterns {
                        wildcard(&Value::String(pattern.clone()), path)?;
                    }
                    Ok(Excluded::Wildcards(patterns))
                }
                other => refuse(path, format!("\"anything-but\" cannot hold \"{other}\"")),
            }
        }
        single => plain(std::slice::from_ref(single)),
    }
}
