//! The query language: words, `"phrases"`, `AND`/`OR`/`NOT` (or `-word`), parentheses and
//! `prefix*`. Words are ANDed unless `OR` says otherwise. A query that does not parse (an open
//! quote, a stray parenthesis) falls back to its plain words instead of failing.

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// A word; `prefix` when written `word*`.
    Word {
        text: String,
        prefix: bool,
    },
    /// A quoted phrase.
    Phrase(String),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Phrase(String),
    Word(String),
}

fn lex(input: &str) -> Result<Vec<Token>, ()> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut phrase = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => phrase.push(c),
                        None => return Err(()),
                    }
                }
                tokens.push(Token::Phrase(phrase));
            }
            // A `-` that starts a word negates it (`-repairs`); inside a word it stays (`mental-health`).
            '-' => {
                chars.next();
                tokens.push(Token::Not);
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(match word.as_str() {
                    "AND" | "&&" => Token::And,
                    "OR" | "||" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word(word),
                });
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn or(&mut self) -> Result<Node, ()> {
        let mut alternatives = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.position += 1;
            alternatives.push(self.and()?);
        }
        Ok(if alternatives.len() == 1 { alternatives.remove(0) } else { Node::Or(alternatives) })
    }

    fn and(&mut self) -> Result<Node, ()> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.position += 1;
                    parts.push(self.unary()?);
                }
                Some(Token::Or | Token::Close) | None => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Node::And(parts) })
    }

    fn unary(&mut self) -> Result<Node, ()> {
        let token = self.peek().cloned().ok_or(())?;
        self.position += 1;
        match token {
            Token::Not => Ok(Node::Not(Box::new(self.unary()?))),
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(());
                }
                self.position += 1;
                Ok(inner)
            }
            Token::Phrase(text) => Ok(Node::Phrase(text)),
            Token::Word(text) => match text.strip_suffix('*') {
                Some(stem) if !stem.is_empty() && !stem.ends_with('*') => {
                    Ok(Node::Word { text: stem.to_owned(), prefix: true })
                }
                _ => Ok(Node::Word { text, prefix: false }),
            },
            Token::Close | Token::And | Token::Or => Err(()),
        }
    }
}

/// Parses a query; `None` for a query with no words (which browses everything).
pub(crate) fn parse(input: &str) -> Option<Node> {
    let parsed = lex(input).and_then(|tokens| {
        if tokens.is_empty() {
            return Ok(None);
        }
        let mut parser = Parser { tokens, position: 0 };
        let node = parser.or()?;
        if parser.position == parser.tokens.len() { Ok(Some(node)) } else { Err(()) }
    });
    match parsed {
        Ok(node) => node,
        Err(()) => plain_words(input),
    }
}

/// The fallback: every run of letters and digits, all required.
fn plain_words(input: &str) -> Option<Node> {
    let mut words: Vec<Node> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| Node::Word { text: word.to_owned(), prefix: false })
        .collect();
    match words.len() {
        0 => None,
        1 => words.pop(),
        _ => Some(Node::And(words)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Node {
        Node::Word { text: text.into(), prefix: false }
    }

    #[test]
    fn parses_the_query_language() {
        for (input, expected) in [
            ("", None),
            ("   ", None),
            ("housing", Some(word("housing"))),
            ("housing repairs", Some(Node::And(vec![word("housing"), word("repairs")]))),
            ("housing AND repairs", Some(Node::And(vec![word("housing"), word("repairs")]))),
            ("housing OR asunto", Some(Node::Or(vec![word("housing"), word("asunto")]))),
            (
                "housing -repairs",
                Some(Node::And(vec![word("housing"), Node::Not(Box::new(word("repairs")))])),
            ),
            ("NOT repairs", Some(Node::Not(Box::new(word("repairs"))))),
            ("\"no one called\"", Some(Node::Phrase("no one called".into()))),
            ("hous*", Some(Node::Word { text: "hous".into(), prefix: true })),
            ("mental-health", Some(word("mental-health"))),
            (
                "(bus OR train) rural",
                Some(Node::And(vec![Node::Or(vec![word("bus"), word("train")]), word("rural")])),
            ),
            // Unreadable queries fall back to their plain words.
            ("\"open quote", Some(Node::And(vec![word("open"), word("quote")]))),
            ("(bus OR", Some(Node::And(vec![word("bus"), word("OR")]))),
            ("AND", Some(word("AND"))),
            (")))", None),
        ] {
            assert_eq!(parse(input), expected, "{input:?}");
        }
    }
}
