//! Replacing every resolved secret value with `****` in text that leaves an action: log lines,
//! the summary, error messages and output variables.
use model::catalog::MASK;

/// Values shorter than this are not masked line by line inside a multi-line secret: a `}` or an
/// empty line would otherwise blank out half of every log.
const MIN_LINE_LEN: usize = 4;

/// The secret values of one action attempt. Its `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Masker {
    /// Longest first, so a secret that contains another is masked whole.
    values: Vec<String>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker {{ {} values }}", self.values.len())
    }
}

impl Masker {
    /// Masks `value` from now on; a multi-line value also line by line, since logs are
    /// stored one line at a time.
    pub fn add(&mut self, value: &str) {
        self.push(value);
        if value.contains('\n') {
            for line in value.lines().map(str::trim).filter(|line| line.len() >= MIN_LINE_LEN) {
                self.push(line);
            }
        }
        self.values.sort_by_key(|known| std::cmp::Reverse(known.len()));
    }

    fn push(&mut self, value: &str) {
        if !value.is_empty() && !self.values.iter().any(|known| known == value) {
            self.values.push(value.to_owned());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every occurrence of every value replaced by `****`.
    pub fn mask(&self, text: &str) -> String {
        self.values.iter().fold(text.to_owned(), |text, value| text.replace(value.as_str(), MASK))
    }

    /// `mask` over every value of a map.
    pub fn mask_all(&self, map: &mut indexmap::IndexMap<String, String>) {
        for value in map.values_mut() {
            *value = self.mask(value);
        }
    }
}

/// Replaces each sealed value of `values` with `****`, for reads that show stored configuration
/// (an action execution's input).
pub fn mask_sealed<'a>(values: impl IntoIterator<Item = &'a mut String>) {
    for text in values {
        if super::is_sealed(text) {
            *text = MASK.to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_read_as_the_mask() {
        let mut values = vec!["sluice:enc:v1:AAAA".to_owned(), "me".to_owned(), "sluice:enc:v1:BBBB".to_owned()];
        mask_sealed(values.iter_mut());
        assert_eq!(values, ["****", "me", "****"]);
    }

    #[test]
    fn every_occurrence_of_every_value_is_masked() {
        let mut masker = Masker::default();
        masker.add("s3cr3t");
        masker.add("s3cr3t-and-more");
        masker.add("");
        assert_eq!(masker.mask("token=s3cr3t-and-more, again s3cr3t s3cr3t"), "token=****, again **** ****");
        assert_eq!(masker.mask("nothing here"), "nothing here");
        assert_eq!(format!("{masker:?}"), "Masker { 2 values }");
    }

    #[test]
    fn multi_line_secrets_are_masked_line_by_line() {
        let mut masker = Masker::default();
        masker.add("-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n}\n-----END KEY-----");
        assert_eq!(masker.mask("line: MIIEvQIBADANBgkq"), "line: ****");
        assert_eq!(masker.mask("}"), "}", "short lines stay");
    }
}
