//! The glob patterns of trigger filters, as CodePipeline documents them (Java's `PathMatcher`
//! glob): `*` is any run of characters within one path segment, `**` any run across segments,
//! `?` one character, `[a-z]` / `[!a-z]` one character of (or not of) a set, `{a,b}` either
//! alternative, `\` escapes. One liberty: `**/` may also match nothing, so `**/README.md`
//! names the root README as well, as the user guide's examples expect.
//!
//! Matching simulates the pattern as an automaton (no backtracking), so a hostile pattern or
//! name costs at most pattern length × name length steps.

/// Alternatives multiply; past this many a pattern is refused rather than expanded.
const MAX_VARIANTS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
    /// `[...]`: one character (never `/`) in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled pattern: the token sequences its alternatives expand to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    variants: Vec<Vec<Token>>,
}

/// One part of a pattern before its alternatives are expanded.
enum Piece {
    Token(Token),
    Choice(Vec<Vec<Token>>),
}

impl Glob {
    /// Every string is a pattern (an unclosed `[` or `{` is literal); only one whose
    /// alternatives would expand past `MAX_VARIANTS` is refused.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let pieces = parse(&pattern.chars().collect::<Vec<_>>(), true);
        let mut variants: Vec<Vec<Token>> = vec![Vec::new()];
        for piece in pieces {
            match piece {
                Piece::Token(token) => variants.iter_mut().for_each(|v| v.push(token.clone())),
                Piece::Choice(choices) => {
                    if variants.len() * choices.len() > MAX_VARIANTS {
                        return Err(format!("pattern {pattern:?} has more than {MAX_VARIANTS} alternatives"));
                    }
                    variants = variants
                        .iter()
                        .flat_map(|v| choices.iter().map(move |c| v.iter().chain(c).cloned().collect()))
                        .collect();
                }
            }
        }
        Ok(Glob { variants })
    }

    pub fn matches(&self, name: &str) -> bool {
        self.variants.iter().any(|tokens| run(tokens, name))
    }
}

/// The pattern's pieces; `braces` is false inside `{...}`, where groups do not nest.
fn parse(chars: &[char], braces: bool) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let token = match c {
            '\\' if i < chars.len() => {
                i += 1;
                Token::Char(chars[i - 1])
            }
            '?' => Token::One,
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    // `**/`: any leading directories, or none.
                    i += 1;
                    pieces.push(Piece::Choice(vec![vec![Token::DoubleStar, Token::Char('/')], Vec::new()]));
                    continue;
                }
                Token::DoubleStar
            }
            '*' => Token::Star,
            '[' => match class(&chars[i..]) {
                Some((token, used)) => {
                    i += used;
                    token
                }
                None => Token::Char('['),
            },
            '{' if braces => match chars[i..].iter().position(|&c| c == '}') {
                Some(close) => {
                    let inner = &chars[i..i + close];
                    i += close + 1;
                    let choices = inner.split(|&c| c == ',').map(|alt| flatten(parse(alt, false))).collect();
                    pieces.push(Piece::Choice(choices));
                    continue;
                }
                None => Token::Char('{'),
            },
            other => Token::Char(other),
        };
        pieces.push(Piece::Token(token));
    }
    pieces
}

/// The tokens of a brace alternative (which, having no braces, has only the `**/` choice):
/// that choice is taken as `**/` there.
fn flatten(pieces: Vec<Piece>) -> Vec<Token> {
    pieces
        .into_iter()
        .flat_map(|piece| match piece {
            Piece::Token(token) => vec![token],
            Piece::Choice(mut choices) => choices.swap_remove(0),
        })
        .collect()
}

/// `[...]` after its `[`: the class and how many characters it took, or None when unclosed.
fn class(chars: &[char]) -> Option<(Token, usize)> {
    let negated = chars.first() == Some(&'!');
    let start = usize::from(negated);
    // A `]` first in the set is a member, not the end.
    let close = start + 1 + chars.get(start + 1..)?.iter().position(|&c| c == ']')?;
    let set = &chars[start..close];
    let mut ranges = Vec::new();
    let mut j = 0;
    while j < set.len() {
        if j + 2 < set.len() && set[j + 1] == '-' {
            ranges.push((set[j], set[j + 2]));
            j += 3;
        } else {
            ranges.push((set[j], set[j]));
            j += 1;
        }
    }
    Some((Token::Class { negated, ranges }, close + 1))
}

/// Simulates the tokens over `name`: the set of positions reached after each character.
fn run(tokens: &[Token], name: &str) -> bool {
    let mut active = vec![false; tokens.len() + 1];
    active[0] = true;
    close(tokens, &mut active);
    for c in name.chars() {
        let mut next = vec![false; tokens.len() + 1];
        for (i, token) in tokens.iter().enumerate().filter(|(i, _)| active[*i]) {
            match token {
                Token::Char(x) if *x == c => next[i + 1] = true,
                Token::One if c != '/' => next[i + 1] = true,
                Token::Class { negated, ranges }
                    if c != '/' && ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated =>
                {
                    next[i + 1] = true
                }
                Token::Star if c != '/' => next[i] = true,
                Token::DoubleStar => next[i] = true,
                _ => {}
            }
        }
        if !next.iter().any(|&on| on) {
            return false;
        }
        close(tokens, &mut next);
        active = next;
    }
    active[tokens.len()]
}

/// Stars match the empty run too: a position on a star also reaches the next one.
fn close(tokens: &[Token], active: &mut [bool]) {
    for i in 0..tokens.len() {
        if active[i] && matches!(tokens[i], Token::Star | Token::DoubleStar) {
            active[i + 1] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn matches(pattern: &str, name: &str) -> bool {
        Glob::new(pattern).unwrap().matches(name)
    }

    #[test]
    fn a_star_stays_within_a_segment_and_two_cross_them() {
        assert!(matches("feature/*", "feature/login"));
        assert!(!matches("feature/*", "feature/login/ui"));
        assert!(matches("feature/**", "feature/login/ui"));
        assert!(matches("*.java", "Main.java"));
        assert!(!matches("*.java", "src/Main.java"));
        assert!(matches("**.java", "src/Main.java"));
        assert!(matches("main", "main"));
        assert!(!matches("main", "main2"));
        assert!(matches("*", ""));
    }

    #[test]
    fn double_star_slash_also_matches_the_root() {
        assert!(matches("**/README.md", "README.md"));
        assert!(matches("**/README.md", "docs/api/README.md"));
        assert!(!matches("**/README.md", "docs/README.mdx"));
        assert!(matches("src/**/*.rs", "src/lib.rs"));
        assert!(matches("src/**/*.rs", "src/a/b/lib.rs"));
    }

    #[test]
    fn one_character_sets_alternatives_and_escapes() {
        assert!(matches("foo.?", "foo.c"));
        assert!(!matches("foo.?", "foo.cc"));
        assert!(!matches("a?b", "a/b"));
        assert!(matches("v[0-9].*", "v1.2"));
        assert!(!matches("v[0-9].*", "vx.2"));
        assert!(matches("v[!0-9]", "vx"));
        assert!(!matches("v[!0-9]", "v1"));
        assert!(matches("*.{java,class}", "A.class"));
        assert!(!matches("*.{java,class}", "A.kt"));
        assert!(matches(r"\*.md", "*.md"));
        assert!(!matches(r"\*.md", "a.md"));
        // Unclosed groups are literal text.
        assert!(matches("a[b", "a[b"));
        assert!(matches("a{b", "a{b"));
    }

    #[test]
    fn hostile_patterns_are_refused_or_cheap() {
        assert!(Glob::new(&"{a,b}".repeat(10)).is_err());
        let stars = Glob::new(&"*a".repeat(100)).unwrap();
        assert!(!stars.matches(&"a".repeat(99)));
        assert!(stars.matches(&"a".repeat(100)));
    }
}
