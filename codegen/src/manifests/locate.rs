//! Where a field of a rendered object is written in its template: the key at a dotted path
//! (`spec.template.spec.containers[0].ports[0].name`), followed by indentation through the
//! template and the partials it includes (`{{> pod}}`), so that a template error points at
//! the key in the file that holds it — not at the first key of that name anywhere.
//!
//! Templates are YAML with Handlebars blocks; block lines (`{{#each}}`, `{{/if}}`, …) are
//! skipped. A list index counts the list items written in the template (an `{{#each}}` writes
//! one for many); past the last one written, the last is taken.

use super::templates::Templates;
use crate::error::Span;

/// How deep partials may include partials before the search gives up (a cycle would not
/// render anyway).
const MAX_PARTIAL_DEPTH: usize = 8;

/// One line of a template with partials expanded: which template it is in, where.
struct Line<'a> {
    template: &'a str,
    offset: usize,
    text: &'a str,
}

impl Line<'_> {
    /// Blank, comment or Handlebars block lines: no YAML of their own.
    fn is_structural(&self) -> bool {
        let trimmed = self.text.trim();
        trimmed.is_empty()
            || trimmed.starts_with('#')
            || ["{{#", "{{/", "{{else", "{{!", "{{>"].iter().any(|p| trimmed.starts_with(p))
    }

    /// Indentation of the line's content (a list item's dash counts as content).
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start().len()
    }

    /// The indentation of a list item's dash, when the line starts one.
    fn item_indent(&self) -> Option<usize> {
        self.text.trim_start().starts_with("- ").then(|| self.indent())
    }

    /// The key the line writes, with its byte position in the line and its indentation.
    fn key(&self) -> Option<(&str, usize)> {
        let content_at = self.indent() + if self.item_indent().is_some() { 2 } else { 0 };
        let content = self.text.get(content_at..)?.trim_start();
        let key_at = self.text.len() - content.len();
        let key = content.split_once(':')?.0;
        (!key.is_empty() && !key.contains(' ')).then_some((key, key_at))
    }
}

/// One step of a field path.
#[derive(Debug, PartialEq, Eq)]
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        for index in indexes.split('[') {
            if let Ok(index) = index.trim_end_matches(']').parse() {
                steps.push(Step::Index(index));
            }
        }
    }
    steps
}

/// The span of the deepest key of `path` written in `template` (or one of its partials);
/// the top of `template` when not even the first key is written there.
pub(super) fn field_span(templates: &Templates, template: &str, path: &str) -> Option<Span> {
    let mut lines = Vec::new();
    expand(templates, template, 0, &mut lines);
    match deepest_key(&lines, &steps(path)) {
        Some((line, key_at, len)) => Some(templates.source(line.template)?.span(line.offset + key_at, len)),
        None => Some(templates.source(template)?.span(0, 0)),
    }
}

/// The lines of `template`, every `{{> partial}}` line replaced by the partial's lines.
fn expand<'a>(templates: &'a Templates, template: &'a str, depth: usize, out: &mut Vec<Line<'a>>) {
    let Some(source) = templates.source(template) else { return };
    let mut offset = 0;
    for text in source.text().split_inclusive('\n') {
        let partial = text.trim().strip_prefix("{{>").and_then(|rest| rest.strip_suffix("}}"));
        let partial = partial.and_then(|call| call.split_whitespace().next());
        match partial {
            Some(name) if depth < MAX_PARTIAL_DEPTH => expand(templates, name, depth + 1, out),
            _ => out.push(Line { template, offset, text: text.trim_end_matches(['\n', '\r']) }),
        }
        offset += text.len();
    }
}

/// Follows `steps` down the indentation: the line, key position and key length of the
/// deepest step found.
fn deepest_key<'l, 'a>(lines: &'l [Line<'a>], steps: &[Step<'_>]) -> Option<(&'l Line<'a>, usize, usize)> {
    let (mut start, mut parent) = (0, None::<usize>);
    let mut found = None;
    for step in steps {
        let block = block(lines, start, parent);
        match step {
            Step::Key(key) => {
                // Direct children only: the keys at the block's shallowest key column.
                let keys: Vec<(usize, &str, usize)> =
                    block.iter().filter_map(|&i| lines[i].key().map(|(k, at)| (i, k, at))).collect();
                let column = keys.iter().map(|&(_, _, at)| at).min();
                let Some(&(index, _, key_at)) =
                    keys.iter().find(|&&(_, written, at)| written == *key && Some(at) == column)
                else {
                    break;
                };
                found = Some((&lines[index], key_at, key.len()));
                (start, parent) = (index + 1, Some(key_at));
            }
            Step::Index(index) => {
                let items: Vec<usize> = block.iter().copied().filter(|&i| lines[i].item_indent().is_some()).collect();
                let dash = items.iter().filter_map(|&i| lines[i].item_indent()).min();
                let items: Vec<usize> = items.into_iter().filter(|&i| lines[i].item_indent() == dash).collect();
                let (Some(&item), Some(dash)) = (items.get(*index).or(items.last()), dash) else { break };
                // The item's keys start on its dash line; the block ends at the next dash.
                (start, parent) = (item, Some(dash));
            }
        }
    }
    found
}

/// The YAML lines (indexes) below a parent at column `parent`, from `start` until the first
/// line at or left of that column (a list item's own dash line at `start` excepted); `None`
/// is the whole document.
fn block(lines: &[Line<'_>], start: usize, parent: Option<usize>) -> Vec<usize> {
    let mut block = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(start) {
        if line.is_structural() {
            continue;
        }
        let own_item = index == start && line.item_indent().is_some();
        if parent.is_some_and(|parent| line.indent() <= parent) && !own_item {
            break;
        }
        block.push(index);
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(template: &str, path: &str) -> Option<(String, String)> {
        let templates = Templates::embedded();
        let span = field_span(&templates, template, path)?;
        let source = span.file().text();
        let line = source[..span.offset()].matches('\n').count() + 1;
        Some((format!("{}:{line}", span.file().name()), span.text().to_string()))
    }

    #[test]
    fn a_path_leads_to_its_own_key_not_the_first_of_that_name() {
        let (at, key) = located("service", "spec.ports[0].name").unwrap();
        assert_eq!(key, "name");
        assert!(at.ends_with(&format!("service.yaml.hbs:{}", line_of("service", "- name: {{names.port}}"))), "{at}");
    }

    #[test]
    fn fields_of_the_pod_are_found_in_the_pod_partial() {
        let (at, key) = located("deployment", "spec.template.spec.containers[0].ports[0].name").unwrap();
        assert_eq!(key, "name");
        assert!(at.ends_with(&format!("templates/pod.yaml.hbs:{}", line_of("pod", "- name: {{names.port}}"))), "{at}");
        let (at, key) = located("statefulset", "spec.template.spec.containers[0].image").unwrap();
        assert_eq!(key, "image");
        assert!(at.ends_with(&format!("pod.yaml.hbs:{}", line_of("pod", "image: {{json image}}"))), "{at}");
    }

    /// The 1-based line of the first line of embedded template `name` that reads `text`.
    fn line_of(name: &str, text: &str) -> usize {
        let templates = Templates::embedded();
        templates.source(name).unwrap().text().lines().position(|line| line.trim() == text).unwrap() + 1
    }

    #[test]
    fn a_key_not_written_points_at_its_deepest_written_parent() {
        let (at, key) = located("deployment", "spec.replica").unwrap();
        assert_eq!(key, "spec");
        assert!(at.ends_with(&format!("templates/deployment.yaml.hbs:{}", line_of("deployment", "spec:"))), "{at}");
        let (_, key) = located("service", "nothing.here").unwrap();
        assert_eq!(key, "", "the top of the template");
    }

    #[test]
    fn paths_split_into_keys_and_indexes() {
        assert_eq!(steps("a.b[2].c"), [Step::Key("a"), Step::Key("b"), Step::Index(2), Step::Key("c")]);
        assert_eq!(steps(""), []);
    }
}
