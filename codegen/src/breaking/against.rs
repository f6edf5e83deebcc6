//! What a check compares: the protos as they are, against a reference — the same protos at a
//! git revision (read with `git show`, through the same include paths), a descriptor file
//! (the record every build writes, or an encoded set), or descriptors read elsewhere (a
//! server's reflection) — and the findings as located problems.

use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_reflect::DescriptorPool;
use prost_types::{FileDescriptorProto, FileDescriptorSet};
use protox::file::{ChainFileResolver, FileResolver};

use super::callers::Callers;
use super::git::{commit_of, git_file, in_repository, name_of, GitFileResolver};
use super::{accept, compare, contract, Category, Finding};
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
        /// The files, an encoded `FileDescriptorSet` (the deployment contract is read from
        /// kuberpc's extension options, when they are there).
        encoded: Vec<u8>,
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

    /// The record a build wrote (`record`, e.g. `deploy/greeter/base/descriptor.json`,
    /// relative to `dir`) as committed at git `revision` (e.g. `HEAD`) of the repository `dir`
    /// is in: what a crate's test checks its protos against, since every build rewrites the
    /// record on disk. `Ok(None)` when nothing is committed there yet (no repository, no such
    /// revision, or the record not in it): a first version breaks no caller. `Err` when git
    /// cannot say (not installed, a repository it refuses to read), with git's words.
    pub fn committed_record(dir: &Path, record: &str, revision: &str) -> Result<Option<Against>, Error> {
        if !in_repository(dir)? {
            return Ok(None);
        }
        let Ok(commit) = commit_of(revision, &[dir.to_path_buf()]) else { return Ok(None) };
        let Some(text) = git_file(dir, &commit, record).map_err(Problem::new)? else { return Ok(None) };
        let from = format!("{record} at git revision {revision}");
        let encoded = super::record::read(&text).map_err(|e| Problem::new(format!("{from}: {e}")))?;
        Ok(Some(Against::Descriptors { encoded, from }))
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
/// `categories` (and the deployment contract's, `contract`); `Err` when either side does not
/// compile, the reference cannot be read, or a `kuberpc:accept` cannot accept anything.
pub fn check(sources: Sources<'_>, against: &Against, categories: &[Category]) -> Result<Checked, Error> {
    let Sources { protos, includes, peers } = sources;
    let compiled = front::compile(protos, includes)?;
    let peers = if peers.is_empty() { Vec::new() } else { front::compile(peers, includes)?.packages };
    let new = &compiled.file_descriptor_set;
    directive_mistakes(new, includes)?;
    let Some(mut old) = reference(against, protos, includes)? else {
        let note = format!("none of the checked protos existed at {against}: a first version breaks no caller");
        return Ok(Checked { notes: vec![Problem::new(note)], ..Checked::default() });
    };
    shares_files(&old.set, &compiled.sources, against)?;
    with_embedded_files_of(new, &mut old.set);
    let findings = compare(&old.set, new, categories).map_err(|e| Problem::new(format!("{against}: {e}")))?;
    let (contract, notes) = contract::compare(&old.packages, &compiled.packages, new);
    let mut checked = Checked::default();
    let mut used = Vec::new();
    let callers = Callers::new(&old.packages, &peers, new);
    for finding in findings {
        let problem = callers.name(&finding, located(&finding, includes));
        used.extend(checked.sort(new, &compiled.sources, &finding, problem));
    }
    for (finding, span) in contract {
        let problem = callers.name(&finding, Problem::at(format!("{}: {}", finding.rule, finding.message), span));
        used.extend(checked.sort(new, &compiled.sources, &finding, problem));
    }
    checked.notes = std::mem::take(&mut old.notes);
    checked.notes.extend(notes.into_iter().map(|(finding, span)| Problem::at(finding.message, span)));
    let ran = |rule: &str| {
        let contract = contract::CONTRACT_RULES.iter().any(|(id, _)| *id == rule) && !old.packages.is_empty();
        contract || super::categories_of(rule).iter().any(|c| categories.contains(c))
    };
    for file in checked_files(new, &compiled.sources) {
        let Some(source) = source_file(file.name(), includes) else { continue };
        checked.notes.extend(accept::unused(file, &source, &used, &ran));
    }
    Ok(checked)
}

/// The descriptors of the checked files (not their imports).
fn checked_files<'a>(
    new: &'a FileDescriptorSet,
    sources: &'a [String],
) -> impl Iterator<Item = &'a FileDescriptorProto> {
    new.file.iter().filter(|f| sources.iter().any(|s| s == f.name()))
}

/// The check a crate's test runs: its protos against the record (`record`, relative to the
/// crate directory `dir`) committed at `HEAD` — a change that would break a caller of the last
/// committed version fails the test until it is made safe or accepted in the proto. Nothing
/// is breaking when no record is committed yet (a new crate: its first version breaks nobody).
pub fn check_committed(
    dir: &Path,
    record: &str,
    sources: Sources<'_>,
    categories: &[Category],
) -> Result<Checked, Error> {
    match Against::committed_record(dir, record, "HEAD")? {
        Some(against) => check(sources, &against, categories),
        None => Ok(Checked::default()),
    }
}

impl Checked {
    /// What a check prints beside its verdict, one line each: the changes accepted on purpose
    /// (`accepted on purpose: file:line: …`) and the rollout-order notes (`note: …`).
    pub fn remarks(&self) -> Vec<String> {
        let place =
            |p: &Problem| p.span().map(|s| format!("{}:{}: ", s.file().name(), s.line_column().0)).unwrap_or_default();
        let accepted = self.accepted.iter().map(|p| format!("accepted on purpose: {}{}", place(p), p.message()));
        accepted.chain(self.notes.iter().map(|p| format!("note: {}{}", place(p), p.message()))).collect()
    }

    /// `problem` (the place of `finding`) among the accepted changes when the protos accept
    /// it (and where they do), else among the breaking ones.
    fn sort(
        &mut self,
        new: &FileDescriptorSet,
        sources: &[String],
        finding: &Finding,
        problem: Problem,
    ) -> Option<accept::Use> {
        let Some((why, used)) = accept::reason(new, sources, finding) else {
            self.breaking.push(problem);
            return None;
        };
        self.accepted.push(Problem::at(format!("{} (accepted: {why})", problem.message()), problem.span().cloned()));
        Some(used)
    }
}

/// The old side: its descriptors and the services their options describe (none when the
/// descriptors carry no kuberpc option: then the contract is not compared, and `notes` says
/// why).
struct Reference {
    set: FileDescriptorSet,
    packages: Vec<Package>,
    notes: Vec<Problem>,
}

/// The reference's descriptors, read from a file, a server's answer, or compiled from the
/// checked protos as they were at a git revision (those that existed there: a proto added
/// since breaks nobody); `None` when none of them existed there.
fn reference(against: &Against, protos: &[PathBuf], includes: &[PathBuf]) -> Result<Option<Reference>, Error> {
    let encoded = match against {
        Against::DescriptorSet(path) => {
            let bytes = std::fs::read(path).map_err(|e| Problem::new(format!("reading {}: {e}", path.display())))?;
            if path.extension().is_some_and(|e| e == "json") {
                let text = String::from_utf8_lossy(&bytes);
                super::record::read(&text).map_err(|e| Problem::new(format!("{}: {e}", path.display())))?
            } else {
                bytes
            }
        }
        Against::Descriptors { encoded, .. } => encoded.clone(),
        Against::Git(revision) => return at_git_revision(revision, protos, includes),
    };
    let pool = DescriptorPool::decode(encoded.as_slice()).map_err(|e| {
        match FileDescriptorSet::decode(encoded.as_slice()) {
            Ok(_) => Problem::new(format!("{against}: the reference does not resolve: {e}")),
            Err(e) => Problem::new(format!("{against} is not an encoded FileDescriptorSet: {e}")),
        }
    })?;
    let set = FileDescriptorSet { file: pool.file_descriptor_protos().cloned().collect() };
    if pool.services().len() > 0 && !front::has_vocabulary_options(&pool) {
        let note = format!(
            "{against} carries no kuberpc option (descriptors written before kuberpc kept them?): the deployment contract is not compared against it"
        );
        return Ok(Some(Reference { set, packages: Vec::new(), notes: vec![Problem::new(note)] }));
    }
    match front::packages_of(&pool) {
        Ok(packages) => Ok(Some(Reference { set, packages, notes: Vec::new() })),
        // Written by hand, or by a kuberpc with other rules: not the contract it states.
        Err(error) => {
            let mistakes: Vec<&str> = error.problems().iter().map(Problem::message).collect();
            let note = format!(
                "{against}: its kuberpc options do not read as valid ({}): the deployment contract is not compared against it",
                mistakes.join("; ")
            );
            Ok(Some(Reference { set, packages: Vec::new(), notes: vec![Problem::new(note)] }))
        }
    }
}

/// The checked protos as they were at a git revision, through the same include paths, by the
/// names the compiler gives them now; those not found there are new.
fn at_git_revision(revision: &str, protos: &[PathBuf], includes: &[PathBuf]) -> Result<Option<Reference>, Error> {
    let commit = commit_of(revision, includes)?;
    let mut paths = ChainFileResolver::new();
    for include in includes {
        paths.add(GitFileResolver { dir: include.clone(), commit: commit.clone() });
    }
    // As protox names a path: through the include paths, else the path itself.
    let existed = |proto: &&Path| {
        let name = paths.resolve_path(proto).or_else(|| name_of(proto));
        name.is_some_and(|name| !matches!(paths.open_file(&name), Err(e) if e.is_file_not_found()))
    };
    let existing: Vec<&Path> = protos.iter().map(PathBuf::as_path).filter(existed).collect();
    if existing.is_empty() {
        return Ok(None);
    }
    let old = front::compile_with(resolver(paths), &existing, &|_| None).map_err(|e| at_revision(e, revision))?;
    Ok(Some(Reference { set: old.file_descriptor_set, packages: old.packages, notes: Vec::new() }))
}

/// The files kuberpc embeds (descriptor.proto and the well-known types, its vocabulary,
/// googleapis' annotations) as this build has them, in place of the reference's copies: a
/// reference built with other versions of them is no change of the checked protos, and
/// nothing the user could fix or accept.
fn with_embedded_files_of(new: &FileDescriptorSet, old: &mut FileDescriptorSet) {
    for file in old.file.iter_mut().filter(|f| crate::proto::record::embedded(f.name())) {
        if let Some(ours) = new.file.iter().find(|f| f.name() == file.name()) {
            *file = ours.clone();
        }
    }
}

/// Every `kuberpc:accept` of the protos (the checked ones and the imports found through the
/// include paths) that cannot accept anything, as errors.
fn directive_mistakes(new: &FileDescriptorSet, includes: &[PathBuf]) -> Result<(), Error> {
    let mut problems = Problems::default();
    for file in new.file.iter().filter(|f| !crate::proto::record::embedded(f.name())) {
        let Some(source) = source_file(file.name(), includes) else { continue };
        accept::mistakes(file, &source).into_iter().for_each(|p| problems.push(p));
    }
    problems.finish(())
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
    let source = finding.file.as_ref().and_then(|name| source_file(name, includes));
    // Source info (and span_lines) count from 0; findings from 1.
    let (line, column) = (finding.line.saturating_sub(1), finding.column.saturating_sub(1));
    let span = source.map(|source| source.span_lines(line, column, line, column + 1));
    Problem::at(message, span)
}

/// The text of the proto `name`, found through the include paths.
fn source_file(name: &str, includes: &[PathBuf]) -> Option<SourceFile> {
    let path = includes.iter().map(|include| include.join(name)).find(|path| path.is_file())?;
    let text = std::fs::read_to_string(&path).ok()?;
    Some(SourceFile::new(path.strip_prefix(".").unwrap_or(&path).display().to_string(), text))
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
