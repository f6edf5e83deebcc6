//! The literal of a `(kuberpc.v1.…) = { … }` option statement, read against the vocabulary's
//! field tables ([`super::schema::fields`]), for the one diagnostic protox gives only for the
//! whole statement: a value of the wrong type ("invalid value of type
//! 'kuberpc.v1.ServiceDeployment' for option …"). [`wrong_value_type`] names the field and
//! what it expects, at the value, in the words the `#[rpc_service]` attribute uses for the same
//! mistake ([`type_mistake`]).

use super::type_mistake;
use crate::schema::{Field, Kind, MAP_ENTRY};

/// A value of the wrong type in a text-format message body: where (byte offset and length in
/// `text`) and the message of the first one.
pub(crate) fn wrong_value_type(text: &str, root: &'static [Field]) -> Option<(usize, usize, String)> {
    let tokens = tokens(text);
    let mut stack: Vec<(Option<&'static [Field]>, String)> = vec![(Some(root), String::new())];
    let mut i = 0;
    while i < tokens.len() {
        let (current, prefix) = stack.last().cloned().unwrap_or((None, String::new()));
        match tokens[i].kind {
            TokenKind::Close => {
                stack.pop();
                i += 1;
            }
            TokenKind::Ident(name) if tokens.get(i + 1).is_some_and(|t| t.kind.opens_value()) => {
                let field = current.and_then(|fields| fields.iter().find(|f| f.name == name));
                let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
                let mut j = i + 1;
                if tokens[j].kind == TokenKind::Colon {
                    j += 1;
                }
                let Some(value) = tokens.get(j) else { break };
                match value.kind {
                    TokenKind::Open => {
                        let child = field.and_then(|f| match f.kind {
                            Kind::Group(inner) | Kind::GroupList(inner) => Some(inner),
                            Kind::Map => Some(MAP_ENTRY),
                            _ => None,
                        });
                        if let Some(field) = field.filter(|_| child.is_none()) {
                            return Some(mistake(value, &path, field, "a message"));
                        }
                        stack.push((child, path));
                        i = j + 1;
                    }
                    TokenKind::ListOpen => {
                        let end = list_end(&tokens, j);
                        let elements = tokens[j + 1..end].iter().filter(|t| t.kind.is_scalar());
                        for element in elements {
                            if let Some(found) = field.and_then(|f| mismatch(f, element)) {
                                return Some(mistake(element, &path, field?, found));
                            }
                        }
                        i = end + 1;
                    }
                    _ => {
                        if let Some(found) = field.and_then(|f| mismatch(f, value)) {
                            return Some(mistake(value, &path, field?, found));
                        }
                        i = j + 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// `(offset, name)` of every field name written in a text-format message body (an
/// identifier followed by `:` or `{`), strings and comments skipped.
pub(crate) fn field_names(text: &str) -> Vec<(usize, &str)> {
    let tokens = tokens(text);
    let names = tokens.windows(2).filter_map(|pair| match (pair[0].kind, pair[1].kind.opens_value()) {
        (TokenKind::Ident(name), true) => Some((pair[0].at, name)),
        _ => None,
    });
    names.collect()
}

fn mistake(value: &Token<'_>, path: &str, field: &Field, found: &str) -> (usize, usize, String) {
    (value.at, value.len, type_mistake(path, expected(field.kind), found))
}

/// What the value written for `field` is, when it is not what the field takes.
fn mismatch(field: &Field, value: &Token<'_>) -> Option<&'static str> {
    let found = value.kind.describe();
    let fits = match (field.kind, value.kind) {
        (Kind::Str | Kind::StrList, TokenKind::Str) => true,
        (Kind::Bool, TokenKind::Ident(word)) => ["true", "false", "True", "False", "t", "f"].contains(&word),
        (Kind::Bool, TokenKind::Number(n)) => n == "0" || n == "1",
        (Kind::U32 | Kind::U64, TokenKind::Number(n)) => found == "an integer" || n.starts_with("0x"),
        (Kind::F64, TokenKind::Number(_)) => true,
        (Kind::Group(_) | Kind::GroupList(_) | Kind::Map, _) => !value.kind.is_scalar(),
        _ => false,
    };
    (!fits).then_some(found)
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Str | Kind::StrList => "a string",
        Kind::Bool => "`true` or `false`",
        Kind::U32 | Kind::U64 => "an integer",
        Kind::F64 => "a number",
        Kind::Group(_) | Kind::GroupList(_) | Kind::Map => "a message `{ … }`",
    }
}

/// The index of the `]` closing the list opened at `open` (or the last token).
fn list_end(tokens: &[Token<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token.kind {
            TokenKind::ListOpen | TokenKind::Open => depth += 1,
            TokenKind::ListClose | TokenKind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind<'a> {
    Ident(&'a str),
    Str,
    Number(&'a str),
    Colon,
    Open,
    Close,
    ListOpen,
    ListClose,
    Other,
}

impl TokenKind<'_> {
    /// Whether a field name before this token starts a field: `name:` or `name {`.
    fn opens_value(self) -> bool {
        matches!(self, TokenKind::Colon | TokenKind::Open)
    }

    fn is_scalar(self) -> bool {
        matches!(self, TokenKind::Ident(_) | TokenKind::Str | TokenKind::Number(_))
    }

    fn describe(self) -> &'static str {
        match self {
            TokenKind::Str => "a string",
            TokenKind::Number(n) if n.contains(['.', 'e', 'E']) && !n.starts_with("0x") => "a number",
            TokenKind::Number(_) => "an integer",
            TokenKind::Ident("true" | "false" | "True" | "False") => "a boolean",
            TokenKind::Ident(_) => "a name",
            TokenKind::Open => "a message",
            TokenKind::ListOpen => "a list",
            _ => "punctuation",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: TokenKind<'a>,
    at: usize,
    len: usize,
}

/// Text-format tokens (comments skipped: `#`, `//`, `/* */`).
fn tokens(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'#' || text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        } else if text[i..].starts_with("/*") {
            i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            continue;
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            TokenKind::Str
        } else if c.is_ascii_digit() || ((c == b'-' || c == b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || ((bytes[i] == b'-' || bytes[i] == b'+') && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            TokenKind::Number(&text[start..i])
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            TokenKind::Ident(&text[start..i])
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            match c {
                b':' => TokenKind::Colon,
                b'{' | b'<' => TokenKind::Open,
                b'}' | b'>' => TokenKind::Close,
                b'[' => TokenKind::ListOpen,
                b']' => TokenKind::ListClose,
                _ => TokenKind::Other,
            }
        };
        tokens.push(Token { kind, at: start, len: i - start });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::schema::fields;

    fn first_mistake(text: &str) -> Option<(String, String)> {
        let found = wrong_value_type(text, fields::SERVICE_DEPLOYMENT);
        found.map(|(at, len, message)| (text[at..at + len].to_string(), message))
    }

    #[test]
    fn names_the_field_what_it_expects_and_what_was_found() {
        let cases = [
            (r#"{ image: "x" port: "8443" }"#, r#""8443""#, "`port` expects an integer, found a string"),
            ("{ autoscale { min: true } }", "true", "`autoscale.min` expects an integer, found a boolean"),
            ("{ replicas: 1.5 }", "1.5", "`replicas` expects an integer, found a number"),
            ("{ image: 3 }", "3", "`image` expects a string, found an integer"),
            ("{ port { } }", "{", "`port` expects an integer, found a message"),
            (r#"{ autoscale: "on" }"#, r#""on""#, "`autoscale` expects a message `{ … }`, found a string"),
            (r#"{ gateway { hostnames: ["a", 7] } }"#, "7", "`gateway.hostnames` expects a string, found an integer"),
            (r#"{ env { key: "A" value: 1 } }"#, "1", "`env.value` expects a string, found an integer"),
        ];
        for (text, at, message) in cases {
            assert_eq!(first_mistake(text), Some((at.to_string(), message.to_string())), "{text}");
        }
    }

    #[test]
    fn field_names_skip_strings() {
        let names: Vec<&str> =
            field_names(r#"{ image: "a:b {x: 1}" autoscale { min: 2 } env { key: "K" value: "v" } }"#)
                .into_iter()
                .map(|(_, n)| n)
                .collect();
        assert_eq!(names, ["image", "autoscale", "min", "env", "key", "value"]);
    }

    #[test]
    fn right_types_comments_and_strings_are_not_mistakes() {
        let text = r#"{ image: "a: {port: \"x\"}" # port: "no"
            port: 443 /* replicas: "no" */ autoscale { min: 1 max: 0x10 } gateway { hostnames: ["a", "b"] }
            env { key: "K" value: "v" } }"#;
        assert_eq!(first_mistake(text), None);
        let method = fields::METHOD_BEHAVIOUR;
        assert_eq!(wrong_value_type("{ timeout_ms: 5 idempotent: true }", method), None);
        let (_, _, message) = wrong_value_type("{ idempotent: 1.0 }", method).unwrap();
        assert_eq!(message, "`idempotent` expects `true` or `false`, found a number");
    }
}
