//! VariableCheck: compares a variable (its `#{namespace.key}` reference is already resolved in
//! `Variable`) with `Value` using `Operator`. GT/GE/LT/LE compare as numbers when both sides are
//! numbers and as text otherwise; MATCHES takes a regular expression that must match the whole value.
use super::{RuleContext, RuleProvider, RuleResult};
use crate::providers::{ActionFailure, BoxFuture};
use std::cmp::Ordering;

pub struct VariableCheck;

impl RuleProvider for VariableCheck {
    fn evaluate<'a>(&'a self, ctx: &'a RuleContext) -> BoxFuture<'a, RuleResult> {
        Box::pin(async move { check(ctx.required("Variable")?, ctx.required("Operator")?, ctx.required("Value")?) })
    }
}

/// The verdict for `variable OPERATOR value`.
pub fn check(variable: &str, operator: &str, value: &str) -> RuleResult {
    let order = || match (variable.trim().parse::<f64>(), value.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => variable.cmp(value),
    };
    let passed = match operator {
        "EQ" => variable == value,
        "NE" => variable != value,
        "CONTAINS" => variable.contains(value),
        "GT" => order() == Ordering::Greater,
        "GE" => order() != Ordering::Less,
        "LT" => order() == Ordering::Less,
        "LE" => order() != Ordering::Greater,
        "MATCHES" => {
            let pattern = regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                ActionFailure::configuration(format!("Value '{value}' is not a valid regular expression: {e}"))
            })?;
            pattern.is_match(variable)
        }
        other => {
            return Err(ActionFailure::configuration(format!(
                "Operator '{other}' is not one of EQ, NE, CONTAINS, MATCHES, GT, GE, LT, LE."
            )))
        }
    };
    let statement = format!("'{variable}' {operator} '{value}'");
    if passed {
        Ok(format!("{statement} holds."))
    } else {
        Err(ActionFailure::job_failed(format!("{statement} does not hold.")))
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn operators() {
        assert!(check("main", "EQ", "main").is_ok());
        assert!(check("main", "NE", "main").is_err());
        assert!(check("feature/x", "CONTAINS", "feature").is_ok());
        assert!(check("10", "GT", "9").is_ok(), "numbers compare as numbers");
        assert!(check("b", "GT", "a").is_ok());
        assert!(check("9", "GE", "9").is_ok());
        assert!(check("9", "LT", "10").is_ok());
        assert!(check("11", "LE", "10").is_err());
        assert!(check("release-1.2", "MATCHES", "release-[0-9.]+").is_ok());
        assert!(check("xrelease-1", "MATCHES", "release-[0-9.]+").is_err());
    }

    #[test]
    fn bad_operator_or_pattern_is_a_configuration_error() {
        let err = check("a", "LIKE", "a").unwrap_err();
        assert_eq!(err.kind, crate::providers::FailureKind::ConfigurationError);
        assert!(check("a", "MATCHES", "(").unwrap_err().message.contains("regular expression"));
    }
}
