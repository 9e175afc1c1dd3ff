//! Small pieces of the AWS JSON 1.1 wire format shared by the operations.
use super::error::{ApiError, ApiResult};

/// Timestamps go out as epoch seconds with a fraction, like `1427245911.525`.
pub fn epoch_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// Pagination tokens are opaque to clients: the hex of the last key seen.
pub fn next_token(last_key: &str) -> String {
    last_key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Reads a token made by `next_token`; anything else is `InvalidNextTokenException`.
pub fn token_key(token: &str) -> ApiResult<String> {
    let invalid = || ApiError::new("InvalidNextTokenException", "The next token is not valid.");
    if !token.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| token.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// One page of an already ordered list, for operations whose token is the offset of the next
/// item: the page and the token for the rest, if any.
pub fn offset_page<T>(items: Vec<T>, next_token: Option<&str>, limit: usize) -> ApiResult<(Vec<T>, Option<String>)> {
    let skip = next_token
        .map(|t| {
            t.parse::<usize>().map_err(|_| ApiError::new("InvalidNextTokenException", "The next token is not valid."))
        })
        .transpose()?
        .unwrap_or(0);
    let more = items.len() > skip + limit;
    let page = items.into_iter().skip(skip).take(limit).collect();
    Ok((page, more.then(|| (skip + limit).to_string())))
}

/// Checks an optional `maxResults` against its allowed range and returns the page size.
pub fn page_size(max_results: Option<i64>, max: i64, default: i64) -> ApiResult<i64> {
    match max_results {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: \
             Member must have value between 1 and {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = next_token("my-pipeline.ü");
        assert_eq!(token_key(&token).unwrap(), "my-pipeline.ü");
        assert!(token_key("zz").is_err());
        assert!(token_key("abc").is_err());
        assert!(token_key("ff").is_err(), "not UTF-8");
    }

    #[test]
    fn page_size_enforces_range() {
        assert_eq!(page_size(None, 1000, 100).unwrap(), 100);
        assert_eq!(page_size(Some(5), 1000, 100).unwrap(), 5);
        assert!(page_size(Some(0), 1000, 100).is_err());
        assert!(page_size(Some(1001), 1000, 100).is_err());
    }
}
