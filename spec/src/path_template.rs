//! [`PathTemplate`]: a path template of the `google.api.http` annotation (google/api/http.proto),
//! such as `/v1/{name=shelves/*/books/*}:move`, parsed once — a [`TemplateError`] names the byte
//! range at fault — and matched against request paths, which it binds to field paths.

use std::cmp::Ordering;
use std::fmt;

/// A parsed `google.api.http` path template: `/` and segments (a literal, `*` for one segment,
/// `**` for any number of them, last only, or a variable `{field.path=segments}`, where `{name}`
/// is `{name=*}`), then an optional custom verb `:verb`.
///
/// Literals are held percent-decoded, so `/v1/%41` and `/v1/A` are the same template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    segments: Vec<Segment>,
    /// Canonical form, as a literal segment's.
    verb: Option<String>,
    variables: Vec<Variable>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Canonical form: decoded, then re-escaped by `encode`.
    Literal(String),
    /// `*`: exactly one non-empty segment.
    Single,
    /// `**`: zero or more non-empty segments; only ever the last segment.
    Multi,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Variable {
    field_path: String,
    /// The template segments it covers: `start..end`.
    start: usize,
    end: usize,
}

/// Why a path template is not one: the byte range of the template at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Where the fault begins, in bytes from the start of the template.
    pub offset: usize,
    /// How many bytes the fault spans (0 when it is the end of the template).
    pub length: usize,
    /// What is wrong, as one sentence without the template.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

impl PathTemplate {
    /// Parses `template` by http.proto's grammar; the error names the first fault.
    pub fn parse(template: &str) -> Result<PathTemplate, TemplateError> {
        if !template.starts_with('/') {
            let length = template.chars().next().map_or(0, char::len_utf8);
            return Err(fault(0, length, "a path template starts with '/'"));
        }
        let colon = verb_colon(template);
        let mut parser = Parser::new(template, 1, colon.unwrap_or(template.len()));
        parser.segments(false)?;
        if parser.peek().is_some() {
            return Err(parser.unexpected());
        }
        let verb = colon.map(|colon| parse_verb(template, colon)).transpose()?;
        Ok(PathTemplate { segments: parser.segments, verb, variables: parser.variables })
    }

    /// Field paths bound by the template, in order, each as written ("book.name").
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(|variable| variable.field_path.as_str())
    }

    /// The custom verb, if any ("merge"), its escapes in canonical form (as in [`Self::shape`]).
    pub fn verb(&self) -> Option<&str> {
        self.verb.as_deref()
    }

    /// The template with variable names erased ("/v1/*/books/*:move", "/v1/**") and literals
    /// escaped one way (`%XX`, upper case, exactly where a literal needs it), so that two
    /// templates routing the same requests have the same shape: `{name}`, `{name=*}` and `*`
    /// give the same one.
    pub fn shape(&self) -> String {
        let mut shape = String::new();
        for segment in &self.segments {
            shape.push('/');
            shape.push_str(match segment {
                Segment::Literal(literal) => literal,
                Segment::Single => "*",
                Segment::Multi => "**",
            });
        }
        if let Some(verb) = &self.verb {
            shape.push(':');
            shape.push_str(verb);
        }
        shape
    }

    /// What a proxy can route the template's requests by: the literal segments before the
    /// first `*` or `**`, a variable's own included, as a request spells them ("/v1/greetings"
    /// for "/v1/greetings/{name}:stream", "/v1/shelves" for "/v1/{name=shelves/*}", "/" for
    /// "/{name=**}"), and whether that is the whole
    /// template (no wildcard: the one path, with its verb, as in "/v1/things:count").
    /// Literals are in canonical form, as in [`Self::shape`].
    pub fn literal_prefix(&self) -> (String, bool) {
        let literals: Vec<&str> = self
            .segments
            .iter()
            .map_while(|segment| match segment {
                Segment::Literal(literal) => Some(literal.as_str()),
                Segment::Single | Segment::Multi => None,
            })
            .collect();
        let whole = literals.len() == self.segments.len();
        let mut prefix = format!("/{}", literals.join("/"));
        if let (true, Some(verb)) = (whole, &self.verb) {
            prefix.push(':');
            prefix.push_str(verb);
        }
        (prefix, whole)
    }

    /// Matches a request path (no query string, still percent-encoded) and returns each
    /// variable's field path and value, in the template's order, or `None`.
    ///
    /// A variable covering exactly one segment is fully percent-decoded; one covering several,
    /// or `**`, is decoded except `%2F`/`%2f`, which stays as written (http.proto's reserved
    /// expansion); `**` covering no segment is "". Literal segments and the verb compare after
    /// percent-decoding both sides. No empty segment matches (`//`, a trailing `/`); a bad
    /// escape anywhere, or a value that is not UTF-8 once decoded, is no match. With a verb,
    /// the last segment must end with `:verb` (split at its last ':'); without one, a ':' is
    /// part of a segment (`*` matches "a:b").
    pub fn matches(&self, path: &str) -> Option<Vec<(&str, String)>> {
        let segments = self.request_segments(path)?;
        if !self.segments_match(&segments) {
            return None;
        }
        let value = |variable: &Variable| {
            let end = if self.is_multi(variable.end) { segments.len() } else { variable.end };
            let joined = segments.get(variable.start..end)?.join("/");
            let multi = variable.end - variable.start != 1 || self.is_multi(variable.end);
            String::from_utf8(decode(&joined, multi)?).ok()
        };
        self.variables.iter().map(|variable| Some((variable.field_path.as_str(), value(variable)?))).collect()
    }

    /// Orders templates so that the more specific is tried first when routing: segment by
    /// segment, a literal before `*` before `**`, and the end of a template's segments after a
    /// literal or `*` (more segments first) but before `**` (so `/v1` before `/v1/**`, which
    /// also matches "/v1"), an end with a verb before one without; ties by [`Self::shape`].
    /// A total order, so it sorts.
    pub fn specificity(&self, other: &PathTemplate) -> Ordering {
        self.ranks().cmp(other.ranks()).then_with(|| self.shape().cmp(&other.shape()))
    }

    /// The key of [`Self::specificity`]: each segment's rank, then the end's.
    fn ranks(&self) -> impl Iterator<Item = u8> + '_ {
        let segments = self.segments.iter().map(|segment| match segment {
            Segment::Literal(_) => 0,
            Segment::Single => 1,
            Segment::Multi => 4,
        });
        segments.chain(std::iter::once(if self.verb.is_some() { 2 } else { 3 }))
    }

    /// Whether the variable ending at segment `end` ends with `**` (which is last).
    fn is_multi(&self, end: usize) -> bool {
        end == self.segments.len() && matches!(self.segments.last(), Some(Segment::Multi))
    }

    /// The path's segments, still encoded, once its verb (if the template has one) is checked
    /// and cut off.
    fn request_segments<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let mut rest = path.strip_prefix('/')?;
        if let Some(verb) = &self.verb {
            let (segments, got) = rest.rsplit_once(':')?;
            if got.contains('/') || !same_literal(got, verb) {
                return None;
            }
            rest = segments;
        }
        Some(rest.split('/').collect())
    }

    /// Whether the path's segments fill the template's: as many (any number for `**`), none
    /// empty or badly escaped, literals equal.
    fn segments_match(&self, request: &[&str]) -> bool {
        let multi = self.is_multi(self.segments.len());
        let fixed = self.segments.len() - usize::from(multi);
        let count_fits = if multi { request.len() >= fixed } else { request.len() == fixed };
        count_fits
            && request.iter().all(|segment| !segment.is_empty() && decode(segment, false).is_some())
            && self.segments.iter().zip(request).all(|(segment, got)| match segment {
                Segment::Literal(literal) => same_literal(got, literal),
                Segment::Single | Segment::Multi => true,
            })
    }
}

/// Reads a template's segments into segments and variables, each fault with its offset.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Where this part ends: the template's end, or the verb's ':'.
    end: usize,
    segments: Vec<Segment>,
    variables: Vec<Variable>,
    /// Where a `**` was read: any segment after it is a fault.
    multi_at: Option<usize>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, pos: usize, end: usize) -> Self {
        Parser { text, pos, end, segments: Vec::new(), variables: Vec::new(), multi_at: None }
    }

    fn peek_at(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied().filter(|_| at < self.end)
    }

    fn peek(&self) -> Option<u8> {
        self.peek_at(self.pos)
    }

    /// `Segment { "/" Segment }`, stopping before anything else.
    fn segments(&mut self, in_variable: bool) -> Result<(), TemplateError> {
        loop {
            self.segment(in_variable)?;
            if self.peek() != Some(b'/') {
                return Ok(());
            }
            self.pos += 1;
        }
    }

    fn segment(&mut self, in_variable: bool) -> Result<(), TemplateError> {
        let at = self.pos;
        match self.peek() {
            None | Some(b'/') => Err(empty_segment(at)),
            Some(b'}') if in_variable => Err(empty_segment(at)),
            Some(b'{') if in_variable => Err(fault(at, 1, "variables do not nest")),
            Some(b'{') => self.variable(),
            Some(b'*') if self.peek_at(at + 1) == Some(b'*') => {
                self.pos += 2;
                self.push(Segment::Multi, at)
            }
            Some(b'*') => {
                self.pos += 1;
                self.push(Segment::Single, at)
            }
            Some(_) => {
                let literal = self.literal()?;
                self.push(Segment::Literal(literal), at)
            }
        }
    }

    /// Adds a segment read at `at`, unless a `**` came before it.
    fn push(&mut self, segment: Segment, at: usize) -> Result<(), TemplateError> {
        if let Some(multi_at) = self.multi_at {
            return Err(fault(multi_at, 2, "'**' may only be the last segment"));
        }
        if segment == Segment::Multi {
            self.multi_at = Some(at);
        }
        self.segments.push(segment);
        Ok(())
    }

    /// `"{" FieldPath [ "=" Segments ] "}"`, at its '{'.
    fn variable(&mut self) -> Result<(), TemplateError> {
        let open = self.pos;
        if !self.text.get(open..self.end).is_some_and(|rest| rest.contains('}')) {
            return Err(fault(open, 1, "unclosed '{': a variable ends with '}'"));
        }
        self.pos += 1;
        let field_path = self.field_path()?;
        let start = self.segments.len();
        match self.peek() {
            Some(b'=') => {
                self.pos += 1;
                self.segments(true)?;
            }
            Some(b'}') => self.push(Segment::Single, self.pos)?,
            _ => return Err(self.unexpected()),
        }
        if self.peek() != Some(b'}') {
            return Err(self.unexpected());
        }
        self.pos += 1;
        self.variables.push(Variable { field_path, start, end: self.segments.len() });
        Ok(())
    }

    /// `IDENT { "." IDENT }`, not bound before.
    fn field_path(&mut self) -> Result<String, TemplateError> {
        let start = self.pos;
        loop {
            self.identifier()?;
            if self.peek() != Some(b'.') {
                break;
            }
            self.pos += 1;
        }
        let field_path = self.text.get(start..self.pos).unwrap_or_default().to_owned();
        if self.variables.iter().any(|variable| variable.field_path == field_path) {
            return Err(fault(start, field_path.len(), format!("the field {field_path} is bound twice")));
        }
        Ok(field_path)
    }

    fn identifier(&mut self) -> Result<(), TemplateError> {
        if !matches!(self.peek(), Some(b) if b.is_ascii_alphabetic() || b == b'_') {
            let length = self.text.get(self.pos..self.end).and_then(|s| s.chars().next()).map_or(0, char::len_utf8);
            let message = "expected a field name: a letter or '_', then letters, digits or '_'";
            return Err(fault(self.pos, length, message));
        }
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        Ok(())
    }

    /// A LITERAL, in canonical form.
    fn literal(&mut self) -> Result<String, TemplateError> {
        let start = self.pos;
        let mut bytes = Vec::new();
        while let Some(b) = self.peek() {
            if b == b'%' {
                bytes.push(self.escape()?);
            } else if is_literal_byte(b) {
                bytes.push(b);
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            return Err(self.unexpected());
        }
        Ok(encode(&bytes))
    }

    /// `%XX`, at its '%'.
    fn escape(&mut self) -> Result<u8, TemplateError> {
        let at = self.pos;
        let byte = self.peek_at(at + 1).zip(self.peek_at(at + 2)).and_then(|(hi, lo)| hex_pair(hi, lo));
        let byte = byte.ok_or_else(|| fault(at, 1, "'%' must be followed by two hexadecimal digits"))?;
        self.pos += 3;
        Ok(byte)
    }

    /// The fault of the character at `pos`, which nothing here may be.
    fn unexpected(&self) -> TemplateError {
        let Some(c) = self.text.get(self.pos..self.end).and_then(|rest| rest.chars().next()) else {
            return fault(self.pos, 0, "unexpected end of the template");
        };
        let message = match c {
            ':' => "':' may only begin the verb, after the last segment".to_owned(),
            '}' => "'}' closes no variable".to_owned(),
            '*' | '{' => format!("'{c}' may only begin a segment (a wildcard or a variable is a whole segment)"),
            c if c.is_ascii() && is_literal_byte(c as u8) => {
                format!("'{c}' may not follow a wildcard or a variable in the same segment")
            }
            _ => format!(
                "{c:?} may not be in a path template: a literal is letters, digits, \"-._~!$&'()+,;=@\" and %XX escapes"
            ),
        };
        fault(self.pos, c.len_utf8(), message)
    }
}

fn fault(offset: usize, length: usize, message: impl Into<String>) -> TemplateError {
    TemplateError { offset, length, message: message.into() }
}

/// An empty segment at `at`, named by the '/' (or '=') before it.
fn empty_segment(at: usize) -> TemplateError {
    fault(at.saturating_sub(1), 1, "empty segment: each '/' is followed by a segment")
}

/// The ':' that begins the verb: the last ':' outside braces after the last '/' outside them.
fn verb_colon(template: &str) -> Option<usize> {
    let (mut depth, mut colon) = (0usize, None);
    for (i, b) in template.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'/' if depth == 0 => colon = None,
            b':' if depth == 0 => colon = Some(i),
            _ => {}
        }
    }
    colon
}

/// `":" LITERAL` at the template's end, its ':' at `colon`.
fn parse_verb(template: &str, colon: usize) -> Result<String, TemplateError> {
    let mut parser = Parser::new(template, colon + 1, template.len());
    if parser.peek().is_none() {
        return Err(fault(colon, 1, "empty verb: ':' is followed by the verb"));
    }
    let verb = parser.literal()?;
    match parser.peek() {
        None => Ok(verb),
        Some(_) => Err(parser.unexpected()),
    }
}

/// A byte a literal holds as itself: unreserved, or a sub-delim but '*', or '@'.
fn is_literal_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~@!$&'()+,;=".contains(&b)
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    u8::try_from(digit(hi)? * 16 + digit(lo)?).ok()
}

/// `text` percent-decoded, `%2F` kept as written when `keep_slash`; `None` for a bad escape.
fn decode(text: &str, keep_slash: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let (hi, lo) = (bytes.next()?, bytes.next()?);
        match hex_pair(hi, lo)? {
            b'/' if keep_slash => out.extend_from_slice(&[b'%', hi, lo]),
            byte => out.push(byte),
        }
    }
    Some(out)
}

/// Decoded bytes written one way: literal bytes as themselves, any other as `%XX`.
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_literal_byte(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether the request's still-encoded `got` decodes to the canonical `literal`'s bytes.
fn same_literal(got: &str, literal: &str) -> bool {
    decode(got, false).is_some_and(|bytes| encode(&bytes) == literal)
}

#[cfg(test)]
mod tests {
    use super::PathTemplate;
    use std::cmp::Ordering;

    fn template(text: &str) -> PathTemplate {
        PathTemplate::parse(text).unwrap_or_else(|error| panic!("{text}: {error} at {}", error.offset))
    }

    #[test]
    fn the_literal_prefix_is_what_a_proxy_routes_by() {
        let cases = [
            ("/v1/greetings/{name}:stream", "/v1/greetings", false),
            ("/v1/{name=shelves/*}/books", "/v1/shelves", false),
            ("/v1/things:count", "/v1/things:count", true),
            ("/v1/things", "/v1/things", true),
            ("/{name=**}", "/", false),
            ("/v1/*/x", "/v1", false),
            ("/v1/%41b/{x}", "/v1/Ab", false),
            ("/v1/a%20b", "/v1/a%20b", true),
        ];
        for (text, prefix, whole) in cases {
            assert_eq!(template(text).literal_prefix(), (prefix.to_string(), whole), "{text}");
        }
    }

    /// The values `text` binds in `path`, as owned pairs.
    fn bound(text: &str, path: &str) -> Option<Vec<(String, String)>> {
        let parsed = template(text);
        let values = parsed.matches(path)?;
        Some(values.into_iter().map(|(field, value)| (field.to_owned(), value)).collect())
    }

    fn one(field: &str, value: &str) -> Option<Vec<(String, String)>> {
        Some(vec![(field.to_owned(), value.to_owned())])
    }

    #[test]
    fn the_library_example_binds_its_paths() {
        assert_eq!(bound("/v1/shelves", "/v1/shelves"), Some(vec![]));
        assert_eq!(bound("/v1/shelves", "/v1/shelves/1"), None);
        assert_eq!(bound("/v1/shelves", "/v1/shelve"), None);
        assert_eq!(bound("/v1/{name=shelves/*}", "/v1/shelves/1"), one("name", "shelves/1"));
        assert_eq!(bound("/v1/{name=shelves/*}", "/v1/shelves/1/books"), None);
        assert_eq!(bound("/v1/{name=shelves/*}", "/v1/shelves"), None);
        assert_eq!(bound("/v1/{name=shelves/*}", "/v1/books/1"), None);
        assert_eq!(bound("/v1/{name=shelves/*}", "v1/shelves/1"), None);
        assert_eq!(bound("/v1/{name=shelves/*}:merge", "/v1/shelves/1:merge"), one("name", "shelves/1"));
        assert_eq!(bound("/v1/{name=shelves/*}:merge", "/v1/shelves/1"), None, "the verb is missing");
        assert_eq!(bound("/v1/{name=shelves/*}:merge", "/v1/shelves/1:split"), None, "another verb");
        assert_eq!(bound("/v1/{parent=shelves/*}/books", "/v1/shelves/1/books"), one("parent", "shelves/1"));
        assert_eq!(bound("/v1/{parent=shelves/*}/books", "/v1/shelves/1/book"), None);
        let book = "/v1/{book.name=shelves/*/books/*}";
        assert_eq!(bound(book, "/v1/shelves/1/books/2"), one("book.name", "shelves/1/books/2"));
        assert_eq!(bound(book, "/v1/shelves/1/books"), None);
        let moving = "/v1/{name=shelves/*/books/*}:move";
        assert_eq!(bound(moving, "/v1/shelves/1/books/2:move"), one("name", "shelves/1/books/2"));
        assert_eq!(bound(moving, "/v1/shelves/1/books/2"), None);
    }

    #[test]
    fn a_template_names_its_variables_verb_and_shape() {
        let moving = template("/v1/{name=shelves/*/books/*}:move");
        assert_eq!(moving.verb(), Some("move"));
        assert_eq!(moving.shape(), "/v1/shelves/*/books/*:move");
        assert_eq!(moving.variables().collect::<Vec<_>>(), ["name"]);
        let two = template("/v1/{parent=shelves/*}/books/{book.id}");
        assert_eq!(two.variables().collect::<Vec<_>>(), ["parent", "book.id"]);
        assert_eq!(two.verb(), None);
        assert_eq!(two.shape(), "/v1/shelves/*/books/*");
        assert_eq!(template("/v1/**").shape(), "/v1/**");
        assert_eq!(template("/v1/x:%6Derge").verb(), Some("merge"), "the verb's escapes are canonical");
    }

    #[test]
    fn a_bare_variable_is_a_single_wildcard() {
        assert_eq!(template("/v1/{name}"), template("/v1/{name=*}"));
        assert_ne!(template("/v1/{name}"), template("/v1/*"), "one binds a variable");
        for text in ["/v1/{name}", "/v1/{name=*}", "/v1/*", "/v1/{id}"] {
            assert_eq!(template(text).shape(), "/v1/*", "{text}");
        }
        assert_eq!(bound("/v1/{name}", "/v1/a:b"), one("name", "a:b"), "no verb: ':' is in the value");
        assert_eq!(bound("/v1/{name}", "/v1/a/b"), None);
        assert_eq!(bound("/v1/{name}", "/v1/"), None, "an empty segment is no value");
        assert_eq!(template("/v1/%41").shape(), template("/v1/A").shape());
    }

    #[test]
    fn a_double_wildcard_matches_any_number_of_segments() {
        assert_eq!(bound("/v1/{name=**}", "/v1"), one("name", ""));
        assert_eq!(bound("/v1/{name=**}", "/v1/a"), one("name", "a"));
        assert_eq!(bound("/v1/{name=**}", "/v1/a/b/c"), one("name", "a/b/c"));
        assert_eq!(bound("/v1/{name=shelves/**}", "/v1/shelves"), one("name", "shelves"));
        assert_eq!(bound("/v1/{name=**}:get", "/v1/a/b:get"), one("name", "a/b"));
        for path in ["/v1", "/v1/a", "/v1/a/b/c", "/v1/a:b"] {
            assert_eq!(bound("/v1/**", path), Some(vec![]), "{path}");
        }
        for path in ["/v2/a", "/v1/a//b", "/v1/", "/", ""] {
            assert_eq!(bound("/v1/**", path), None, "{path}");
        }
    }

    #[test]
    fn values_are_percent_decoded_but_a_slash_within_several_segments() {
        assert_eq!(bound("/v1/{name}", "/v1/a%20b"), one("name", "a b"));
        assert_eq!(bound("/v1/{name}", "/v1/a%2Fb"), one("name", "a/b"), "one segment: %2F decoded");
        assert_eq!(bound("/v1/{name=**}", "/v1/a%20b/c%2Fd%2f"), one("name", "a b/c%2Fd%2f"));
        assert_eq!(bound("/v1/{name=shelves/*}", "/v1/shelves/a%2Fb"), one("name", "shelves/a%2Fb"));
        assert_eq!(bound("/v1/{name=a}", "/v1/%61"), one("name", "a"));
        assert_eq!(bound("/v1/a%20b", "/v1/a%20b"), Some(vec![]));
        assert_eq!(bound("/v1/%41", "/v1/A"), Some(vec![]));
        assert_eq!(bound("/v1/A", "/v1/%41"), Some(vec![]));
        assert_eq!(bound("/v1/A", "/v1/%61"), None);
        assert_eq!(bound("/v1/x:merge", "/v1/x:m%65rge"), Some(vec![]));
        assert_eq!(bound("/v1/x:a%2Fb", "/v1/x:a%2Fb"), Some(vec![]));
        assert_eq!(bound("/v1/x:a%2Fb", "/v1/x:a/b"), None, "the verb is in the last segment");
        for path in ["/v1/%zz", "/v1/%2", "/v1/%", "/v1/%FF", "/v1/%C3"] {
            assert_eq!(bound("/v1/{name}", path), None, "{path}");
        }
        assert_eq!(bound("/v1/*", "/v1/%zz"), None, "a bad escape outside any variable");
        assert_eq!(bound("/v1/{name}", "/v1/%C3%A9"), one("name", "é"));
    }

    #[test]
    fn each_fault_is_reported_at_its_bytes() {
        let cases = [
            ("v1/shelves", 0, 1, "starts with '/'"),
            ("", 0, 0, "starts with '/'"),
            ("/v1//shelves", 3, 1, "empty segment"),
            ("/v1/", 3, 1, "empty segment"),
            ("/", 0, 1, "empty segment"),
            ("/v1/{a=}", 6, 1, "empty segment"),
            ("/v1/:merge", 3, 1, "empty segment"),
            ("/v1/**/x", 4, 2, "'**' may only be the last"),
            ("/v1/{a=**}/x", 7, 2, "'**' may only be the last"),
            ("/v1/{a=x/**/y}", 9, 2, "'**' may only be the last"),
            ("/v1/{a={b}}", 7, 1, "do not nest"),
            ("/v1/{a=x/{b}}", 9, 1, "do not nest"),
            ("/v1/{name=shelves/*", 4, 1, "unclosed"),
            ("/v1/{name", 4, 1, "unclosed"),
            ("/v1/{a}/{b", 8, 1, "unclosed"),
            ("/v1/{1name}", 5, 1, "field name"),
            ("/v1/{book.}", 10, 1, "field name"),
            ("/v1/{}", 5, 1, "field name"),
            ("/v1/{a}/{a}", 9, 1, "bound twice"),
            ("/v1/{book.name}/{book.name=x}", 17, 9, "bound twice"),
            ("/v1/a b", 5, 1, "may not be in a path template"),
            ("/v1/é", 4, 2, "may not be in a path template"),
            ("/v1/a?b", 5, 1, "may not be in a path template"),
            ("/v1/a%2", 5, 1, "two hexadecimal digits"),
            ("/v1/a%+1", 5, 1, "two hexadecimal digits"),
            ("/v1/a*", 5, 1, "may only begin a segment"),
            ("/v1/*a", 5, 1, "may not follow"),
            ("/v1/{a}b", 7, 1, "may not follow"),
            ("/v1/a:b/c", 5, 1, "verb"),
            ("/v1/a}", 5, 1, "closes no variable"),
            ("/v1/x:", 5, 1, "empty verb"),
            ("/v1/{a}:", 7, 1, "empty verb"),
            ("/v1/x:me rge", 8, 1, "may not be in a path template"),
            ("/v1/x:a:b", 5, 1, "verb"),
            ("/v1/x:{a=b/c}", 6, 1, "may only begin a segment"),
        ];
        for (text, offset, length, message) in cases {
            let error = PathTemplate::parse(text).expect_err(text);
            assert_eq!((error.offset, error.length), (offset, length), "{text}: {error}");
            assert!(error.to_string().contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn the_more_specific_template_sorts_first() {
        let ordered = [
            "/v1/shelves/books",
            "/v1/{parent=shelves/*}/books",
            "/v1/{name=shelves/*}:merge",
            "/v1/{name=shelves/*}",
            "/v1/shelves:list",
            "/v1/shelves",
            "/v1/shelves/**",
            "/v1/{name}:get",
            "/v1/*",
            "/v1",
            "/v2",
            "/v1/**",
            "/*/shelves",
            "/{all=**}",
        ];
        let mut templates: Vec<PathTemplate> = ordered.iter().map(|text| template(text)).collect();
        let mut state = 7u64;
        for i in (1..templates.len()).rev() {
            templates.swap(i, (lcg(&mut state) % (i as u64 + 1)) as usize);
        }
        assert_ne!(templates.iter().map(PathTemplate::shape).collect::<Vec<_>>()[..2], [ordered[0], ordered[1]]);
        templates.sort_by(PathTemplate::specificity);
        let sorted: Vec<String> = templates.iter().map(PathTemplate::shape).collect();
        let expected: Vec<String> = ordered.iter().map(|text| template(text).shape()).collect();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn specificity_is_a_total_order() {
        let texts = ["/v1/x/*:v", "/v1/x:v", "/v1/x/y", "/v1/x", "/v1/x/**", "/v1/x/**:v", "/v1/*", "/v1/{a}"];
        let templates: Vec<PathTemplate> = texts.iter().map(|text| template(text)).collect();
        for a in &templates {
            assert_eq!(a.specificity(a), Ordering::Equal);
            for b in &templates {
                assert_eq!(a.specificity(b), b.specificity(a).reverse(), "{} {}", a.shape(), b.shape());
                for c in &templates {
                    let (ab, bc) = (a.specificity(b), b.specificity(c));
                    if ab == bc && ab != Ordering::Equal {
                        assert_eq!(a.specificity(c), ab, "{} {} {}", a.shape(), b.shape(), c.shape());
                    }
                }
            }
        }
    }

    fn lcg(state: &mut u64) -> u64 {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *state >> 33
    }

    fn pick<'a>(state: &mut u64, pieces: &[&'a str]) -> &'a str {
        pieces.get(lcg(state) as usize % pieces.len()).copied().unwrap_or_default()
    }

    /// Up to 8 pieces of garbage, or (two `n` in three) a likely template, perhaps with a fault.
    fn generated(state: &mut u64, n: usize) -> String {
        let garbage = ["/", "/", "v1", "{", "}", "=", "*", "**", ":", ".", "b_c", "%20", "%4", "é", " ", "?", "{n}"];
        let segments = ["v1", "a", "*", "{m=a/*}", "a%20b", "%2F", "b.c", "~"];
        let mut text = String::new();
        for _ in 0..=lcg(state) % 8 {
            if n.is_multiple_of(3) {
                text.push_str(pick(state, &garbage));
            } else {
                text.push('/');
                text.push_str(pick(state, &segments));
            }
        }
        if !n.is_multiple_of(3) {
            text.push_str(pick(state, &["", "", "/**", "/{k.j=**}", "/{n}", "/x:y", "/{n", "//", "/**/a"]));
        }
        if n % 3 == 1 {
            text.push_str(pick(state, &[":do", ":do", ":", ":a/b"]));
        }
        text
    }

    /// A path `template` (of `shape`) matches: each `*` as "x", `**` as "x/y".
    fn path_of(shape: &str) -> String {
        let (body, verb) = shape.rsplit_once(':').map_or((shape, None), |(body, verb)| (body, Some(verb)));
        let segments = body.split('/').skip(1).map(|segment| match segment {
            "*" => "x",
            "**" => "x/y",
            literal => literal,
        });
        let path: String = segments.map(|segment| format!("/{segment}")).collect();
        verb.map_or(path.clone(), |verb| format!("{path}:{verb}"))
    }

    #[test]
    fn garbage_never_panics_and_what_parses_holds_together() {
        let (mut state, mut parsed, mut refused) = (1u64, 0, 0);
        for n in 0..600 {
            let text = generated(&mut state, n);
            let path = generated(&mut state, n + 1);
            match PathTemplate::parse(&text) {
                Ok(found) => {
                    parsed += 1;
                    let _ = found.matches(&path);
                    let shape = found.shape();
                    assert_eq!(template(&shape).shape(), shape, "{text}");
                    let values = found.matches(&path_of(&shape)).unwrap_or_else(|| panic!("{text}: {shape}"));
                    assert_eq!(values.len(), found.variables().count(), "{text}");
                }
                Err(error) => {
                    refused += 1;
                    assert!(text.get(error.offset..error.offset + error.length).is_some(), "{text}: {error:?}");
                }
            }
        }
        assert!(parsed > 150 && refused > 150, "{parsed} parsed, {refused} refused");
    }
}
