//! Located problems and the error that carries all of them.
//!
//! Front ends, checks and renderers push [`Problem`]s into a [`Problems`] collector instead of
//! returning at the first mistake; [`Problems::finish`] turns a non-empty collection into one
//! [`Error`]. `Display` gives `file:line:col: message` lines (what a build script prints);
//! the `miette::Diagnostic` impl gives labelled snippets (what the CLI prints).

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

/// A source file that problems can point into.
#[derive(Debug, Clone)]
pub struct SourceFile {
    named: Arc<NamedSource<Arc<str>>>,
    text: Arc<str>,
}

impl SourceFile {
    /// A file called `name` (as shown to the user) with the given text.
    pub fn new(name: impl AsRef<str>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let named = NamedSource::new(name, text.clone()).with_language("protobuf");
        Self { named: Arc::new(named), text }
    }

    /// The file name shown to the user.
    pub fn name(&self) -> &str {
        self.named.name()
    }

    /// The text of the file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A span from 0-based line and column (in characters) to an end line and column.
    pub fn span_lines(&self, line: usize, column: usize, end_line: usize, end_column: usize) -> Span {
        let start = self.offset_of(line, column);
        let end = self.offset_of(end_line, end_column).max(start);
        Span { file: self.clone(), offset: start, len: end - start }
    }

    /// A span of `len` bytes at byte `offset`.
    pub fn span(&self, offset: usize, len: usize) -> Span {
        let offset = offset.min(self.text.len());
        let len = len.min(self.text.len() - offset);
        Span { file: self.clone(), offset, len }
    }

    fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (index, text) in self.text.split_inclusive('\n').enumerate() {
            if index == line {
                return offset + text.char_indices().nth(column).map_or(text.len(), |(i, _)| i);
            }
            offset += text.len();
        }
        self.text.len()
    }
}

/// A stretch of a [`SourceFile`].
#[derive(Debug, Clone)]
pub struct Span {
    file: SourceFile,
    offset: usize,
    len: usize,
}

impl Span {
    /// The file the span points into.
    pub fn file(&self) -> &SourceFile {
        &self.file
    }

    /// 1-based line and column of the start of the span.
    pub fn line_column(&self) -> (usize, usize) {
        let before = &self.file.text[..self.offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

impl Span {
    /// Byte offset of the span in its file.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The text the span covers.
    pub fn text(&self) -> &str {
        &self.file.text[self.offset..self.offset + self.len]
    }

    /// Within a text-format option (`{ autoscale { min: 5 } }`), the span of the field at the
    /// dotted `path`: each segment is looked up as a field name (followed by `:` or `{`)
    /// after its parent. `source_code_info` records only the option statement, so this
    /// narrows an error down to the field that was written.
    pub fn find_field(&self, path: &str) -> Option<Span> {
        let text = self.text();
        let mut from = 0;
        let mut found = None;
        for segment in path.split('.') {
            let at = field_name_at(text, from, segment)?;
            found = Some((at, segment.len()));
            from = at + segment.len();
        }
        let (at, len) = found?;
        Some(self.file.span(self.offset + at, len))
    }
}

#[cfg(feature = "build")]
impl Span {
    /// Every element of the repeated field `name` written at the top of this option text,
    /// each as the span from its name to the end of this span (so that [`Span::find_field`]
    /// on it finds the element's own fields first).
    pub(crate) fn find_elements(&self, name: &str) -> Vec<Span> {
        let text = self.text();
        let mut elements = Vec::new();
        let mut from = 0;
        while let Some(at) = field_name_at(text, from, name) {
            elements.push(self.file.span(self.offset + at, self.len - at));
            from = at + name.len();
        }
        elements
    }

    /// This span shortened to its first `len` bytes.
    pub(crate) fn truncated(&self, len: usize) -> Span {
        self.file.span(self.offset, len.min(self.len))
    }
}

/// The first offset at or after `from` where `name` stands as a whole identifier followed by
/// `:` or `{`.
fn field_name_at(text: &str, from: usize, name: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = from;
    while let Some(found) = text.get(start..)?.find(name) {
        let at = start + found;
        let before_ok = !text[..at].ends_with(is_ident);
        let after = text[at + name.len()..].trim_start();
        if before_ok && (after.starts_with(':') || after.starts_with('{')) {
            return Some(at);
        }
        start = at + name.len();
    }
    None
}

impl PartialEq for Span {
    fn eq(&self, other: &Self) -> bool {
        self.file.name() == other.file.name() && self.offset == other.offset && self.len == other.len
    }
}

impl Eq for Span {}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.line_column();
        write!(f, "{}:{line}:{column}", self.file.name())
    }
}

/// One mistake in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    message: String,
    at: Option<Span>,
    help: Option<String>,
}

impl Problem {
    /// A problem with no place in a file (I/O, command line).
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), at: None, help: None }
    }

    /// A problem at `at`, when the place is known.
    pub fn at(message: impl Into<String>, at: Option<Span>) -> Self {
        Self { message: message.into(), at, help: None }
    }

    /// Adds a hint on how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The message, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it, when known.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Where the problem is.
    pub fn span(&self) -> Option<&Span> {
        self.at.as_ref()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl miette::Diagnostic for Problem {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.at.as_ref().map(|at| &*at.file.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let at = self.at.as_ref()?;
        let label = LabeledSpan::new_primary_with_span(Some("here".into()), (at.offset, at.len));
        Some(Box::new(std::iter::once(label)))
    }
}

/// Every problem found in one run. Nothing is written when this is returned.
///
/// `Debug` prints the same readable lines as `Display`, because a build script's
/// `main() -> Result<_, Error>` reports its error with `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    problems: Vec<Problem>,
}

impl Error {
    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self { problems: vec![problem] }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.problems.as_slice() {
            return write!(f, "{only}");
        }
        write!(f, "{} problems:", self.problems.len())?;
        for problem in &self.problems {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.problems.len() < 2 {
            return None;
        }
        Some(Box::new(self.problems.iter().map(|p| p as &dyn miette::Diagnostic)))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self.problems.as_slice() {
            [only] => miette::Diagnostic::source_code(only),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self.problems.as_slice() {
            [only] => miette::Diagnostic::labels(only),
            _ => None,
        }
    }
}

/// Collects problems so that one run reports all of them.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Records a problem.
    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// Records every problem of an earlier error.
    pub fn extend(&mut self, error: Error) {
        self.0.extend(error.problems);
    }

    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `result`, or `None` after recording its problems.
    pub fn take<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|error| self.extend(error)).ok()
    }

    /// The recorded problems, in the order they were found.
    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }

    /// Every recorded problem as one error.
    pub fn into_error(self) -> Error {
        Error { problems: self.0 }
    }

    /// `Ok(value)` when nothing was recorded, otherwise every recorded problem.
    pub fn finish<T>(self, value: T) -> Result<T, Error> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error { problems: self.0 })
        }
    }
}

/// Where each option of one service or method was written, keyed by its dotted path
/// (`"autoscale.min"`, as the front ends read it); `""` is the service or method itself.
/// Rules look places up by `OptionPath`, which cannot be misspelt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans(std::collections::BTreeMap<String, Span>);

impl Spans {
    /// Records where `path` was written.
    pub fn insert(&mut self, path: impl Into<String>, span: Span) {
        self.0.insert(path.into(), span);
    }

    /// The place of `path` inside element `index` of the repeated group `list` (`list[index]`
    /// followed by the rest of `path`), or of its closest recorded parent, or of `list`.
    pub(crate) fn get_element(
        &self,
        list: crate::schema::OptionPath,
        index: usize,
        path: crate::schema::OptionPath,
    ) -> Option<Span> {
        let rest = path.as_str().strip_prefix(list.as_str()).unwrap_or("");
        let mut key = format!("{}[{index}]{rest}", list.as_str());
        loop {
            if let Some(span) = self.0.get(&key) {
                return Some(span.clone());
            }
            match key.rsplit_once('.') {
                Some((parent, _)) if parent.contains('[') => key = parent.to_string(),
                _ => return self.get(list),
            }
        }
    }

    /// The place recorded under `key` (`environments[1].name`), or of its closest recorded
    /// parent (`environments[1]`, `environments`, the item itself).
    pub(crate) fn get_written(&self, key: &str) -> Option<Span> {
        let mut key = key;
        loop {
            if let Some(span) = self.0.get(key) {
                return Some(span.clone());
            }
            if key.is_empty() {
                return None;
            }
            key = match key.rsplit_once(['.', '[']) {
                Some((parent, _)) => parent,
                None => "",
            };
        }
    }

    /// The place of `path`, or of its closest recorded parent (`autoscale.min` →
    /// `autoscale` → the item itself).
    pub fn get(&self, path: crate::schema::OptionPath) -> Option<Span> {
        let mut path = path.as_str();
        loop {
            if let Some(span) = self.0.get(path) {
                return Some(span.clone());
            }
            if path.is_empty() {
                return None;
            }
            path = path.rsplit_once('.').map_or("", |(parent, _)| parent);
        }
    }
}
