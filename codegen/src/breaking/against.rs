//! What a check compares: the protos as they are, against a reference — the same protos at a
//! git revision (read with `git show`, through the same include paths), a descriptor file
//! (the record every build writes, or an encoded set), or descriptors read elsewhere (a
//! server's reflection) — and the findings as located problems.

use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message as _;
use prost_types::FileDescriptorSet;
use protox::file::{ChainFileResolver, File, FileResolver};

use super::{accepted, compare, contract, unknown_rules, Category, Finding};
use crate::error::{Problem, Problems, SourceFile};
use crate::model::Package;
use crate::proto::front::{self, resolver};
use crate::Error;

/// What the protos are checked against.
#[derive(Debug, Clone, PartialEq)]
pub enum Against {
    /// A file: the record a build writes (`base/descriptor.json`), or an encoded
    /// `FileDescriptorSet` (`.binpb`, `.pb`, `.bin`: any other existing file).
    DescriptorSet(PathBuf),
    /// A git revision of the repository the include paths are in.
    Git(String),
    /// Descriptors read elsewhere (a running server's reflection), and where from.
    Descriptors {
        /// The files.
        set: FileDescriptorSet,
        /// Where they were read, as the check names its reference (`grpc://host:port`).
        from: String,
    },
}

impl Against {
    /// An existing file is a descriptor set; anything else a git revision.
    pub fn parse(reference: &str) -> Against {
        if Path::new(reference).is_file() {
            Against::DescriptorSet(reference.into())
        } else {
            Against::Git(reference.into())
        }
    }
}

impl std::fmt::Display for Against {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Against::DescriptorSet(path) => write!(f, "{}", path.display()),
            Against::Git(revision) => write!(f, "git revision {revision}"),
            Against::Descriptors { from, .. } => f.write_str(from),
        }
    }
}

/// What a check found: the breaking changes, and those the protos accept on purpose
/// (`kuberpc:accept`), each as a problem located in the protos (an accepted one's message
/// ends with the reason).
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Changes that break callers of the reference.
    pub breaking: Vec<Problem>,
    /// Changes the source accepts.
    pub accepted: Vec<Problem>,
    /// Changes that are safe in one rollout order only, which they name.
    pub notes: Vec<Problem>,
    /// Whether the deployment contract (`contract`: app, port, idempotent, deadlines) was
    /// compared: a git revision has the options; the options of descriptors read from a file
    /// or a server are not read.
    pub contract_checked: bool,
}

/// What a check reads: the protos and their include paths, and the other services of the
/// system (`peers`, as `kuberpc generate --peer` takes them), whose `calls` name the callers
/// of a method that changes.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The protos checked.
    pub protos: &'a [PathBuf],
    /// Where their imports are found (peers' too).
    pub includes: &'a [PathBuf],
    /// The protos of the system's other services.
    pub peers: &'a [PathBuf],
}

/// The breaking changes of the protos of `sources` against `against`, under the rules of
/// `categories`; `Err` when either side does not compile, the reference cannot be read, or
/// a `kuberpc:accept` names no rule.
pub fn check(sources: Sources<'_>, against: &Against, categories: &[Category]) -> Result<Checked, Error> {
    let Sources { protos, includes, peers } = sources;
    let mut compiled = front::compile(protos, includes)?;
    if !peers.is_empty() {
        let peers = front::compile(peers, includes)?.packages;
        crate::graph::resolve(&mut compiled.packages, &peers, &mut Problems::default());
    }
    let new = compiled.file_descriptor_set;
    let (old, old_packages) = match against {
        Against::DescriptorSet(path) => {
            let bytes = std::fs::read(path).map_err(|e| Problem::new(format!("reading {}: {e}", path.display())))?;
            let set = if path.extension().is_some_and(|e| e == "json") {
                let text = String::from_utf8_lossy(&bytes);
                super::record::read(&text).map_err(|e| Problem::new(format!("{}: {e}", path.display())))?
            } else {
                FileDescriptorSet::decode(bytes.as_slice())
                    .map_err(|e| Problem::new(format!("{} is not an encoded FileDescriptorSet: {e}", path.display())))?
            };
            (set, None)
        }
        Against::Descriptors { set, .. } => (set.clone(), None),
        Against::Git(revision) => {
            let commit = commit_of(revision, includes)?;
            let mut paths = ChainFileResolver::new();
            for include in includes {
                paths.add(GitFileResolver { dir: include.clone(), commit: commit.clone() });
            }
            let old = front::compile_with(resolver(paths), &protos_of(protos), &|_| None)
                .map_err(|e| at_revision(e, revision))?;
            (old.file_descriptor_set, Some(old.packages))
        }
    };
    let (contract, notes) = match &old_packages {
        Some(old) => contract::compare(old, &compiled.packages),
        None => (Vec::new(), Vec::new()),
    };
    let sources: Vec<String> =
        new.file.iter().filter(|f| f.source_code_info.is_some()).map(|f| f.name().to_string()).collect();
    let mut unknown = Problems::default();
    for (file, line, column, rule) in unknown_rules(&new, &sources) {
        let at =
            Finding { rule: "", message: String::new(), file: Some(file), line, column, path: Vec::new(), rpc: None };
        let message = format!("`kuberpc:accept {rule}` names no breaking rule (buf's IDs, e.g. FIELD_SAME_TYPE)");
        unknown.push(Problem::at(message, located(&at, includes).span().cloned()));
    }
    unknown.finish(())?;
    shares_files(&old, &compiled.sources, against)?;
    let findings = compare(&old, &new, categories).map_err(|e| Problem::new(format!("{against}: {e}")))?;
    let (breaking, accepted) = accepted(&new, findings);
    let callers = |finding: &Finding| callers_of(finding, &compiled.packages);
    Ok(Checked {
        breaking: breaking
            .iter()
            .map(|finding| with_callers(located(finding, includes), callers(finding)))
            .chain(contract)
            .collect(),
        notes,
        contract_checked: old_packages.is_some(),
        accepted: accepted
            .iter()
            .map(|a| {
                let problem = located(&a.finding, includes);
                Problem::at(format!("{} (accepted: {})", problem.message(), a.reason), problem.span().cloned())
            })
            .collect(),
    })
}

/// The app names of the declared callers of the method a finding is on (none for other
/// findings, or when no peer calls it).
fn callers_of(finding: &Finding, packages: &[Package]) -> Vec<String> {
    let Some((service, method)) = finding.rpc.as_deref().and_then(|p| p.trim_start_matches('/').split_once('/')) else {
        return Vec::new();
    };
    let services = packages.iter().flat_map(|p| &p.services);
    let callers = services.filter(|s| s.full_name == service).flat_map(|s| &s.deploy.callers);
    callers.filter(|c| c.methods.iter().any(|m| m == method)).map(|c| c.app.clone()).collect()
}

fn with_callers(problem: Problem, callers: Vec<String>) -> Problem {
    if callers.is_empty() {
        return problem;
    }
    let message = format!("{} — still called by {}", problem.message(), callers.join(", "));
    Problem::at(message, problem.span().cloned())
}

fn protos_of(protos: &[PathBuf]) -> Vec<&Path> {
    protos.iter().map(PathBuf::as_path).collect()
}

fn at_revision(error: Error, revision: &str) -> Error {
    let mut problems = Problems::default();
    for problem in error.problems() {
        problems.push(Problem::new(format!("at git revision {revision}: {}", problem.message())));
    }
    problems.into_error()
}

/// A finding as a problem at its place in the new proto (the file found through the include
/// paths), its rule ID first.
fn located(finding: &Finding, includes: &[PathBuf]) -> Problem {
    let message = format!("{}: {}", finding.rule, finding.message);
    let source = finding.file.as_ref().and_then(|name| {
        let path = includes.iter().map(|include| include.join(name)).find(|path| path.is_file())?;
        let text = std::fs::read_to_string(&path).ok()?;
        Some(SourceFile::new(path.strip_prefix(".").unwrap_or(&path).display().to_string(), text))
    });
    // Source info (and span_lines) count from 0; findings from 1.
    let (line, column) = (finding.line.saturating_sub(1), finding.column.saturating_sub(1));
    let span = source.map(|source| source.span_lines(line, column, line, column + 1));
    Problem::at(message, span)
}

/// The commit a revision names, resolved once in the first include path's repository; the
/// revision never reaches git where an option could be read (`--end-of-options`), and only
/// the commit's hash does after this.
fn commit_of(revision: &str, includes: &[PathBuf]) -> Result<String, Error> {
    let dir = includes.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let output = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{revision}^{{commit}}")])
        .output()
        .map_err(|e| Problem::new(format!("running git: {e}")))?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Problem::new(format!(
            "`{revision}` is neither a file nor a git revision of the repository at {}",
            dir.display()
        ))
        .into());
    }
    Ok(commit)
}

/// Refuses a reference that holds none of the checked protos' files: comparing against it
/// would find nothing, whatever changed (another file given by mistake, a server that serves
/// other services).
fn shares_files(old: &FileDescriptorSet, checked: &[String], against: &Against) -> Result<(), Error> {
    if checked.iter().any(|name| old.file.iter().any(|f| f.name() == name)) {
        return Ok(());
    }
    Err(Problem::new(format!("{against} holds none of the checked files ({})", checked.join(", "))).into())
}

/// Serves the files of an include directory as they were at a commit (`git show
/// COMMIT:./name`, relative to the directory).
struct GitFileResolver {
    dir: PathBuf,
    commit: String,
}

impl FileResolver for GitFileResolver {
    /// A file path under the directory names the file its remainder names, as for an include
    /// path.
    fn resolve_path(&self, path: &Path) -> Option<String> {
        let relative = match self.dir.as_path() {
            dir if dir == Path::new(".") => path.strip_prefix(".").unwrap_or(path),
            dir => path.strip_prefix(dir).ok()?,
        };
        let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
        Some(parts?.join("/"))
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(["show", &format!("{}:./{name}", self.commit)])
            .output()
            .map_err(|_| protox::Error::file_not_found(name))?;
        if !output.status.success() {
            return Err(protox::Error::file_not_found(name));
        }
        let text = String::from_utf8(output.stdout).map_err(|_| protox::Error::file_not_found(name))?;
        File::from_source(name, &text)
    }
}
