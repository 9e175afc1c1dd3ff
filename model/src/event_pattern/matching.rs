//! Matching a parsed pattern against an event.
use super::{Comparison, Excluded, Field, Matcher, Node, Text};
use serde_json::Value;
use std::net::IpAddr;

pub(super) fn node(node: &Node, event: &Value) -> bool {
    node.fields.iter().all(|(key, field)| self::field(field, event.get(key)))
        && node.any_of.iter().all(|alternatives| alternatives.iter().any(|alt| self::node(alt, event)))
}

fn field(field: &Field, value: Option<&Value>) -> bool {
    match (field, value) {
        (Field::Nested(inner), Some(Value::Array(items))) => items.iter().any(|item| node(inner, item)),
        (Field::Nested(inner), Some(value)) => node(inner, value),
        // A missing object matches only if everything inside may be missing.
        (Field::Nested(inner), None) => node(inner, &Value::Null),
        (Field::Leaf(matchers), None) => matchers.iter().any(|m| *m == Matcher::Exists(false)),
        (Field::Leaf(matchers), Some(Value::Array(items))) => {
            items.iter().any(|item| matchers.iter().any(|m| matcher(m, item)))
        }
        (Field::Leaf(matchers), Some(value)) => matchers.iter().any(|m| matcher(m, value)),
    }
}

fn matcher(matcher: &Matcher, value: &Value) -> bool {
    match matcher {
        Matcher::Exact(expected) => same(expected, value),
        Matcher::Exists(exists) => *exists,
        Matcher::Prefix(text) => value.as_str().is_some_and(|s| starts_with(s, text)),
        Matcher::Suffix(text) => value.as_str().is_some_and(|s| ends_with(s, text)),
        Matcher::EqualsIgnoreCase(text) => value.as_str().is_some_and(|s| s.to_lowercase() == text.to_lowercase()),
        Matcher::Wildcard(pattern) => value.as_str().is_some_and(|s| wildcard(pattern, s)),
        Matcher::Numeric(comparisons) => value.as_f64().is_some_and(|n| comparisons.iter().all(|c| compare(n, *c))),
        Matcher::Cidr(range) => {
            value.as_str().and_then(|s| s.parse::<IpAddr>().ok()).is_some_and(|ip| range.contains(ip))
        }
        Matcher::AnythingBut(excluded) => !value.is_null() && !is_excluded(excluded, value),
    }
}

/// Exact equality, numbers by value (`5` matches `5.0`).
fn same(expected: &Value, value: &Value) -> bool {
    match (expected.as_f64(), value.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => expected == value,
    }
}

fn is_excluded(excluded: &Excluded, value: &Value) -> bool {
    let text = value.as_str();
    match excluded {
        Excluded::Values(values) => values.iter().any(|v| same(v, value)),
        Excluded::Prefix(prefix) => text.is_some_and(|s| s.starts_with(prefix.as_str())),
        Excluded::Suffix(suffix) => text.is_some_and(|s| s.ends_with(suffix.as_str())),
        Excluded::IgnoringCase(values) => {
            text.is_some_and(|s| values.iter().any(|v| v.to_lowercase() == s.to_lowercase()))
        }
        Excluded::Wildcards(patterns) => text.is_some_and(|s| patterns.iter().any(|p| wildcard(p, s))),
    }
}

fn starts_with(value: &str, text: &Text) -> bool {
    if text.ignore_case {
        value.to_lowercase().starts_with(&text.text.to_lowercase())
    } else {
        value.starts_with(text.text.as_str())
    }
}

fn ends_with(value: &str, text: &Text) -> bool {
    if text.ignore_case {
        value.to_lowercase().ends_with(&text.text.to_lowercase())
    } else {
        value.ends_with(text.text.as_str())
    }
}

fn compare(n: f64, (comparison, bound): (Comparison, f64)) -> bool {
    match comparison {
        Comparison::Equal => n == bound,
        Comparison::Less => n < bound,
        Comparison::LessOrEqual => n <= bound,
        Comparison::Greater => n > bound,
        Comparison::GreaterOrEqual => n >= bound,
    }
}

/// `*` stands for any run of characters (`\*` for a star itself).
fn wildcard(pattern: &str, value: &str) -> bool {
    // Pieces between unescaped stars, each matched literally.
    let mut pieces = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => pieces.last_mut().unwrap().push(chars.next().unwrap_or('\\')),
            '*' => pieces.push(String::new()),
            other => pieces.last_mut().unwrap().push(other),
        }
    }
    let (first, rest) = pieces.split_first().unwrap();
    let Some(mut remaining) = value.strip_prefix(first.as_str()) else { return false };
    let Some((last, middle)) = rest.split_last() else { return remaining.is_empty() };
    for piece in middle {
        match remaining.find(piece.as_str()) {
            Some(at) => remaining = &remaining[at + piece.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last.as_str())
}
