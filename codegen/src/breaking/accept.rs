//! Breaking changes accepted on purpose, in the source: a line `kuberpc:accept RULE why` in
//! the leading comments of the element a finding is at, or of one enclosing it (a message
//! for its fields), accepts that rule's findings there — reviewed with the change, and gone
//! with the next one, unlike a flag or a config entry that would hide every later change too.

use prost_types::FileDescriptorSet;

use super::{Finding, RULES};

/// A finding the source accepts, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// What it accepts.
    pub finding: Finding,
    /// The words after the rule ID.
    pub reason: String,
}

/// A `kuberpc:accept` line that names no rule: the file, the 1-based line and column of the
/// element it is on, and the ID written.
pub type UnknownRule = (String, usize, usize, String);

const DIRECTIVE: &str = "kuberpc:accept";

/// `findings` split into those still breaking and those the new protos accept.
pub fn accepted(new: &FileDescriptorSet, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Accepted>) {
    let mut breaking = Vec::new();
    let mut accepted = Vec::new();
    for finding in findings {
        match acceptance(new, &finding) {
            Some(reason) => accepted.push(Accepted { finding, reason }),
            None => breaking.push(finding),
        }
    }
    (breaking, accepted)
}

/// The reason the source gives for accepting `finding`, if it does.
fn acceptance(new: &FileDescriptorSet, finding: &Finding) -> Option<String> {
    let file = new.file.iter().find(|f| Some(f.name()) == finding.file.as_deref())?;
    let locations = &file.source_code_info.as_ref()?.location;
    (1..=finding.path.len()).rev().find_map(|end| {
        let location = locations.iter().find(|l| l.path == finding.path[..end])?;
        directives(location.leading_comments()).find(|(rule, _)| *rule == finding.rule).map(|(_, why)| why.to_string())
    })
}

/// Each `kuberpc:accept RULE why` of a comment: the rule and the reason.
fn directives(comment: &str) -> impl Iterator<Item = (&str, &str)> {
    comment.lines().filter_map(|line| {
        let rest = line.trim().strip_prefix(DIRECTIVE)?;
        let rest = rest.trim_start();
        let (rule, why) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        Some((rule, why.trim()))
    })
}

/// Every `kuberpc:accept` line of the given files whose rule buf does not have (a typo would
/// otherwise accept nothing, silently).
pub fn unknown_rules(new: &FileDescriptorSet, files: &[String]) -> Vec<UnknownRule> {
    let mut unknown = Vec::new();
    for file in new.file.iter().filter(|f| files.iter().any(|name| name == f.name())) {
        for location in file.source_code_info.iter().flat_map(|info| &info.location) {
            for (rule, _) in directives(location.leading_comments()) {
                if !RULES.iter().any(|(known, _)| *known == rule) {
                    let place = |at: usize| location.span.get(at).map_or(1, |n| *n as usize + 1);
                    unknown.push((file.name().to_string(), place(0), place(1), rule.to_string()));
                }
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directive_names_a_rule_and_why() {
        let comment = " The total.\n kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE totals never pass 2^31 (#42)\nkuberpc:accept RPC_NO_DELETE\n";
        let found: Vec<(&str, &str)> = directives(comment).collect();
        assert_eq!(found, [("FIELD_WIRE_JSON_COMPATIBLE_TYPE", "totals never pass 2^31 (#42)"), ("RPC_NO_DELETE", "")]);
        assert_eq!(directives("kuberpc: accept X").count(), 0);
    }
}
