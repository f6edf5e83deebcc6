//! Breaking changes accepted on purpose, in the source: a comment line `kuberpc:accept RULE
//! why` right above (or beside) the element a finding is at, or one enclosing it (a message
//! for its fields, a service for its methods), accepts that rule's findings there. What a
//! file no longer declares (a deleted message, enum or service) is accepted at the file's
//! `package` statement; a deleted file or package at the `package` statement of any checked
//! file. Reviewed with the change and gone with the next one, unlike a flag or a config entry
//! that would hide every later change too. A directive that cannot accept anything — a rule
//! no check has, no reason, a comment no element owns — is an error where it is written, so
//! a typo or a stray blank line never accepts nothing silently.

use prost_types::source_code_info::Location;
use prost_types::{FileDescriptorProto, FileDescriptorSet};

use super::contract::CONTRACT_RULES;
use super::{Finding, RULES};
use crate::error::{Problem, SourceFile};

const DIRECTIVE: &str = "kuberpc:accept";
/// The `package` statement's path in a file's source info.
const PACKAGE: [i32; 1] = [2];

/// Where a change was accepted: the file, the path of the element whose comment accepts it
/// (`[2]`: the `package` statement), and the rule.
pub(super) type Use = (String, Vec<i32>, &'static str);

/// The reason the protos give for accepting `finding`, and where, if they do; `sources` are
/// the checked files (a deleted file is accepted in any of them).
pub(super) fn reason(new: &FileDescriptorSet, sources: &[String], finding: &Finding) -> Option<(String, Use)> {
    let rule = finding.rule;
    let at = |file: &FileDescriptorProto, path: &[i32]| {
        reason_at(file, path, rule).map(|why| (why, (file.name().to_string(), path.to_vec(), rule)))
    };
    let Some(name) = finding.file.as_deref() else {
        let checked = new.file.iter().filter(|f| sources.iter().any(|s| s == f.name()));
        return checked.into_iter().find_map(|file| at(file, &PACKAGE));
    };
    let file = new.file.iter().find(|f| f.name() == name)?;
    if finding.path.is_empty() {
        return at(file, &PACKAGE);
    }
    (1..=finding.path.len()).rev().find_map(|end| at(file, &finding.path[..end]))
}

fn reason_at(file: &FileDescriptorProto, path: &[i32], rule: &str) -> Option<String> {
    let locations = &file.source_code_info.as_ref()?.location;
    let location = locations.iter().find(|l| l.path == path)?;
    // A directive without a reason accepts nothing (and is an error where it is checked).
    owned_directives(location)
        .find(|(written, why)| *written == rule && !why.is_empty())
        .map(|(_, why)| why.to_string())
}

/// The directives of a location's own comments: those right above it and beside it.
fn owned_directives(location: &Location) -> impl Iterator<Item = (&str, &str)> {
    directives(location.leading_comments()).chain(directives(location.trailing_comments()))
}

/// Each `kuberpc:accept RULE why` of a comment's text: the rule and the reason.
fn directives(comment: &str) -> impl Iterator<Item = (&str, &str)> {
    comment.lines().filter_map(|line| directive(line).map(|(_, rule, why)| (rule, why)))
}

/// A comment line's directive: its byte offset in the line, the rule and the reason. A block
/// comment's lines may start with `*`.
fn directive(line: &str) -> Option<(usize, &str, &str)> {
    let content = line.trim_start().trim_start_matches('*').trim_start();
    let rest = content.strip_prefix(DIRECTIVE)?;
    // `kuberpc:accepted …` in prose is no directive.
    if rest.starts_with(|c: char| !c.is_whitespace()) {
        return None;
    }
    let at = line.len() - content.len();
    let rest = rest.trim_start();
    let (rule, why) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((at, rule, why.trim()))
}

/// Every `kuberpc:accept` written in the comments of `source` (the file `file` of the new
/// protos) that cannot accept anything, located where it is written.
pub(super) fn mistakes(file: &FileDescriptorProto, source: &SourceFile) -> Vec<Problem> {
    let locations = file.source_code_info.iter().flat_map(|info| &info.location);
    let owned: Vec<(&str, &str)> = locations.flat_map(owned_directives).collect();
    let mut problems = Vec::new();
    for (offset, line) in comment_lines(source.text()) {
        let Some((at, rule, why)) = directive(line) else { continue };
        let span = source.span(offset + at, DIRECTIVE.len() + 1 + rule.len());
        let known = RULES.iter().map(|(id, _)| *id).chain(CONTRACT_RULES.iter().map(|(id, _)| *id));
        let message = if !known.into_iter().any(|id| id == rule) {
            format!("`{DIRECTIVE} {rule}` names no breaking rule (buf's IDs, e.g. FIELD_SAME_TYPE, or KUBERPC_*)")
        } else if why.is_empty() {
            format!("`{DIRECTIVE} {rule}` gives no reason: say why the change is safe (every check prints it)")
        } else if !owned.contains(&(rule, why)) {
            format!(
                "`{DIRECTIVE} {rule}` is in no element's comment, so it accepts nothing: write it right above the element the change is at (no blank line between), beside it, or above the `package` statement"
            )
        } else {
            continue;
        };
        problems.push(Problem::at(message, Some(span)));
    }
    problems
}

/// Every well-formed `kuberpc:accept` of `file` (its text `source`) for a rule this check ran
/// (`checked`) that accepted no change (`used` holds those that did): a note, located where
/// it is written — the change it was for has shipped, or it is on another element than the
/// change.
pub(super) fn unused(
    file: &FileDescriptorProto,
    source: &SourceFile,
    used: &[Use],
    checked: &dyn Fn(&str) -> bool,
) -> Vec<Problem> {
    let mut notes = Vec::new();
    for location in file.source_code_info.iter().flat_map(|info| &info.location) {
        for (rule, why) in owned_directives(location) {
            let accepted = used.iter().any(|(f, path, r)| f == file.name() && *path == location.path && *r == rule);
            if accepted || why.is_empty() || !checked(rule) {
                continue;
            }
            // The copy of the text nearest above the element's end: its own.
            let end_line = location.span.get(if location.span.len() > 3 { 2 } else { 0 }).map_or(0, |l| *l as usize);
            let written = comment_lines(source.text()).into_iter().rev().find_map(|(offset, line)| {
                let (at, r, w) = directive(line)?;
                let span = source.span(offset + at, DIRECTIVE.len() + 1 + rule.len());
                let near = span.line_column().0 <= end_line + 2;
                (r == rule && w == why && near).then_some(span)
            });
            let message = format!(
                "`{DIRECTIVE} {rule}` accepts nothing: no {rule} change is at the element it is on (remove it once the change it was for has shipped)"
            );
            notes.push(Problem::at(message, written));
        }
    }
    notes
}

/// Each line of every comment of a proto's text, with the byte offset where it starts (after
/// `//`, or inside `/* … */`); string literals are skipped.
fn comment_lines(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'"' | b'\'', _) => i = string_end(bytes, i),
            (b'/', Some(b'/')) => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                lines.push((i + 2, &text[i + 2..end]));
                i = end;
            }
            (b'/', Some(b'*')) => {
                let end = text[i + 2..].find("*/").map_or(text.len(), |n| i + 2 + n);
                let mut start = i + 2;
                for line in text[start..end].split('\n') {
                    lines.push((start, line));
                    start += line.len() + 1;
                }
                i = end + 2;
            }
            _ => i += 1,
        }
    }
    lines
}

/// The index just past the string literal starting at `start` (its quote), escapes included.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directive_names_a_rule_and_why() {
        let comment = " The total.\n kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE totals never pass 2^31 (#42)\n * kuberpc:accept RPC_NO_DELETE\n";
        let found: Vec<(&str, &str)> = directives(comment).collect();
        assert_eq!(found, [("FIELD_WIRE_JSON_COMPATIBLE_TYPE", "totals never pass 2^31 (#42)"), ("RPC_NO_DELETE", "")]);
        assert_eq!(directives("kuberpc: accept X").count(), 0);
        assert_eq!(directives("kuberpc:accepted changes are listed in the changelog").count(), 0);
    }

    #[test]
    fn comments_are_found_outside_strings_only() {
        let text = "option x = \"// kuberpc:accept A b\";\n// one\nint32 a = 1; /* two\n * three */ // four\n";
        let lines: Vec<&str> = comment_lines(text).into_iter().map(|(at, line)| &text[at..at + line.len()]).collect();
        assert_eq!(lines, [" one", " two", " * three ", " four"]);
    }
}
