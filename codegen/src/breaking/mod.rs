//! Breaking changes: new descriptors against old ones, by `buf breaking`'s rules (its v2 rule
//! set, the categories FILE, PACKAGE, WIRE_JSON and WIRE), with buf's rule IDs and messages so
//! the verdicts compare one for one (`codegen/tests/breaking.rs` runs buf beside them).
//!
//! Elements pair as buf pairs them: files by path, messages, enums and services by full
//! name, fields by number (extensions by extendee and number), enum values by number,
//! methods by name; only pairs present on both sides are compared, and removals are the
//! `*_NO_DELETE` rules'. [`compare`] runs them: `elements` holds the deletion and container
//! rules, `fields` the field-pair rules; each finding is located in the new file. [`check`]
//! (`against`) is what the CLI and the build run: it reads the reference (a git revision,
//! read by `git`; a descriptor file or the build's record, read by `record`; or descriptors
//! from a server),
//! adds what only kuberpc knows (`contract`: app, port, idempotent, deadlines) and the callers
//! of a changed method or message (`callers`), and sets apart what the source accepts on
//! purpose (`accept`).

mod accept;
mod against;
mod callers;
mod contract;
mod elements;
mod fields;
mod git;
mod record;

pub use against::{check, check_committed, Against, Checked, Sources};
pub use contract::CONTRACT_RULES;

use std::collections::BTreeMap;

use prost_reflect::{DescriptorPool, FileDescriptor};
use prost_types::FileDescriptorSet;

/// A category of breaking rules, as buf names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Generated code stays source-compatible per file: the strictest.
    File,
    /// Generated code stays source-compatible per package.
    Package,
    /// The wire format and the JSON mapping stay compatible (buf's recommended minimum).
    WireJson,
    /// The wire format stays compatible.
    Wire,
}

impl Category {
    /// Every category, strictest first.
    pub const ALL: [Category; 4] = [Category::File, Category::Package, Category::WireJson, Category::Wire];

    /// buf's name: `FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`.
    pub fn name(self) -> &'static str {
        match self {
            Category::File => "FILE",
            Category::Package => "PACKAGE",
            Category::WireJson => "WIRE_JSON",
            Category::Wire => "WIRE",
        }
    }

    /// The category buf names `name`, any case.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// buf's rule ID, e.g. `FIELD_SAME_TYPE`.
    pub rule: &'static str,
    /// buf's message for it.
    pub message: String,
    /// The new file it is located in, as the descriptors name it; `None` when there is none
    /// (a deleted file or package).
    pub file: Option<String>,
    /// 1-based line in the new file; 1 when the element has no recorded place.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The descriptor path of the element in the new file (source_code_info's), to find its
    /// span; empty when it is the file or nothing.
    pub path: Vec<i32>,
    /// The method the change is to (`/pkg.Service/Method`), for the rules on RPCs: its
    /// callers are named with it.
    pub rpc: Option<String>,
}

const F: u8 = 1 << Category::File as u8;
const P: u8 = 1 << Category::Package as u8;
const J: u8 = 1 << Category::WireJson as u8;
const W: u8 = 1 << Category::Wire as u8;

/// buf's v2 breaking rules and their categories (buf's CSR category is not offered).
const RULES: &[(&str, u8)] = &[
    ("FILE_NO_DELETE", F),
    ("MESSAGE_NO_DELETE", F),
    ("ENUM_NO_DELETE", F),
    ("EXTENSION_NO_DELETE", F),
    ("SERVICE_NO_DELETE", F),
    ("PACKAGE_NO_DELETE", P),
    ("PACKAGE_MESSAGE_NO_DELETE", P),
    ("PACKAGE_ENUM_NO_DELETE", P),
    ("PACKAGE_EXTENSION_NO_DELETE", P),
    ("PACKAGE_SERVICE_NO_DELETE", P),
    ("FIELD_NO_DELETE", F | P),
    ("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", J | W),
    ("FIELD_NO_DELETE_UNLESS_NAME_RESERVED", J),
    ("ONEOF_NO_DELETE", F | P),
    ("EXTENSION_MESSAGE_NO_DELETE", F | P),
    ("RESERVED_MESSAGE_NO_DELETE", F | P | J | W),
    ("MESSAGE_SAME_REQUIRED_FIELDS", F | P | J | W),
    ("MESSAGE_SAME_JSON_FORMAT", F | P | J),
    ("MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", F | P),
    ("ENUM_VALUE_NO_DELETE", F | P),
    ("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", J | W),
    ("ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", J),
    ("ENUM_VALUE_SAME_NAME", F | P | J),
    ("ENUM_SAME_TYPE", F | P),
    ("ENUM_SAME_JSON_FORMAT", F | P | J),
    ("RESERVED_ENUM_NO_DELETE", F | P | J | W),
    ("FIELD_SAME_TYPE", F | P),
    ("FIELD_WIRE_COMPATIBLE_TYPE", W),
    ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", J),
    ("FIELD_SAME_CARDINALITY", F | P),
    ("FIELD_WIRE_COMPATIBLE_CARDINALITY", W),
    ("FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", J),
    ("FIELD_SAME_ONEOF", F | P | J | W),
    ("FIELD_SAME_NAME", F | P | J),
    ("FIELD_SAME_JSON_NAME", F | P | J),
    ("FIELD_SAME_DEFAULT", F | P | J | W),
    ("FIELD_SAME_JSTYPE", F | P),
    ("FIELD_SAME_CPP_STRING_TYPE", F | P),
    ("FIELD_SAME_JAVA_UTF8_VALIDATION", F | P),
    ("FIELD_SAME_UTF8_VALIDATION", F | P),
    ("FILE_SAME_PACKAGE", F | P | J | W),
    ("FILE_SAME_SYNTAX", F | P),
    ("FILE_SAME_GO_PACKAGE", F | P),
    ("FILE_SAME_JAVA_PACKAGE", F | P),
    ("FILE_SAME_JAVA_OUTER_CLASSNAME", F | P),
    ("FILE_SAME_JAVA_MULTIPLE_FILES", F | P),
    ("FILE_SAME_JAVA_GENERIC_SERVICES", F | P),
    ("FILE_SAME_CC_GENERIC_SERVICES", F | P),
    ("FILE_SAME_PY_GENERIC_SERVICES", F | P),
    ("FILE_SAME_CC_ENABLE_ARENAS", F | P),
    ("FILE_SAME_CSHARP_NAMESPACE", F | P),
    ("FILE_SAME_OBJC_CLASS_PREFIX", F | P),
    ("FILE_SAME_OPTIMIZE_FOR", F | P),
    ("FILE_SAME_PHP_CLASS_PREFIX", F | P),
    ("FILE_SAME_PHP_NAMESPACE", F | P),
    ("FILE_SAME_PHP_METADATA_NAMESPACE", F | P),
    ("FILE_SAME_RUBY_PACKAGE", F | P),
    ("FILE_SAME_SWIFT_PREFIX", F | P),
    ("RPC_NO_DELETE", F | P),
    ("RPC_SAME_REQUEST_TYPE", F | P | J | W),
    ("RPC_SAME_RESPONSE_TYPE", F | P | J | W),
    ("RPC_SAME_CLIENT_STREAMING", F | P | J | W),
    ("RPC_SAME_SERVER_STREAMING", F | P | J | W),
    ("RPC_SAME_IDEMPOTENCY_LEVEL", F | P | J | W),
];

/// The categories of rule `id` (none for an unknown rule).
pub fn categories_of(id: &str) -> Vec<Category> {
    let bits = RULES.iter().find(|(rule, _)| *rule == id).map_or(0, |(_, bits)| *bits);
    Category::ALL.into_iter().filter(|c| bits & c.bit() != 0).collect()
}

/// Every breaking change of `new` against `old` under the rules of `categories`, in buf's
/// order (by file, line, column, rule, message); `Err` when a side's files do not resolve
/// into one set of descriptors (an import missing, a type named that no file declares).
pub fn compare(
    old: &FileDescriptorSet,
    new: &FileDescriptorSet,
    categories: &[Category],
) -> Result<Vec<Finding>, String> {
    let wanted: u8 = categories.iter().fold(0, |bits, c| bits | c.bit());
    let old = Side::of(old).map_err(|e| format!("the reference does not resolve: {e}"))?;
    let new = Side::of(new).map_err(|e| format!("the protos do not resolve: {e}"))?;
    let mut out = Out::default();
    elements::compare(&old, &new, &mut out);
    fields::compare(&old, &new, &mut out);
    let mut findings: Vec<Finding> = out
        .0
        .into_iter()
        .filter(|raw| RULES.iter().any(|(rule, bits)| *rule == raw.rule && bits & wanted != 0))
        .map(|raw| raw.locate(&new))
        .collect();
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule, &a.message).cmp(&(&b.file, b.line, b.column, b.rule, &b.message))
    });
    findings.dedup();
    Ok(findings)
}

/// One side of the comparison: its pool and its files by name.
struct Side {
    pool: DescriptorPool,
    files: BTreeMap<String, FileDescriptor>,
}

impl Side {
    fn of(set: &FileDescriptorSet) -> Result<Side, String> {
        let pool = DescriptorPool::from_file_descriptor_set(set.clone()).map_err(|e| e.to_string())?;
        let files = pool.files().map(|f| (f.name().to_string(), f)).collect();
        Ok(Side { pool, files })
    }
}

/// Where a finding is, in the new files.
#[derive(Debug, Clone)]
enum At {
    /// No file: a deleted file or package.
    Input,
    /// A file's element at a descriptor path (empty: the file itself, line 1).
    Path(String, Vec<i32>),
}

/// A finding before its place is read from the new file's source info.
struct Raw {
    rule: &'static str,
    message: String,
    at: At,
    rpc: Option<String>,
}

impl Raw {
    fn locate(self, new: &Side) -> Finding {
        let (file, path) = match self.at {
            At::Input => (None, Vec::new()),
            At::Path(file, path) => (Some(file), path),
        };
        let span = file.as_ref().and_then(|name| new.files.get(name)).and_then(|f| span_of(f, &path));
        let (line, column) = span.unwrap_or((1, 1));
        Finding { rule: self.rule, message: self.message, file, line, column, path, rpc: self.rpc }
    }
}

/// The 1-based start of the element at `path` in `file`, from its source info; an option
/// or part that was not written falls back to its element (the longest recorded prefix).
fn span_of(file: &FileDescriptor, path: &[i32]) -> Option<(usize, usize)> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let location = (1..=path.len()).rev().find_map(|end| info.location.iter().find(|l| l.path == path[..end]))?;
    Some((*location.span.first()? as usize + 1, *location.span.get(1)? as usize + 1))
}

/// The findings of every rule, before the categories choose.
#[derive(Default)]
struct Out(Vec<Raw>);

impl Out {
    fn add(&mut self, rule: &'static str, at: At, message: String) {
        self.0.push(Raw { rule, message, at, rpc: None });
    }

    /// A finding on the method at `rpc` (`/pkg.Service/Method`).
    fn add_rpc(&mut self, rule: &'static str, at: At, message: String, rpc: String) {
        self.0.push(Raw { rule, message, at, rpc: Some(rpc) });
    }
}

/// `at` in `file`, for findings.
fn at(file: &FileDescriptor, path: &[i32]) -> At {
    At::Path(file.name().to_string(), path.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_categories_hold_buf_s_counts_without_csr() {
        // buf 1.75.0, `buf config ls-breaking-rules --version v2`: 51 FILE, 51 PACKAGE,
        // 22 WIRE_JSON, 15 WIRE; MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT (deprecated, a no-op)
        // has none.
        let count = |c: Category| RULES.iter().filter(|(_, bits)| bits & c.bit() != 0).count();
        let counts: Vec<usize> = Category::ALL.into_iter().map(count).collect();
        assert_eq!(counts, [51, 51, 22, 15]);
        assert_eq!(categories_of("FIELD_SAME_ONEOF"), Category::ALL);
        assert_eq!(Category::from_name("wire_json"), Some(Category::WireJson));
    }
}
