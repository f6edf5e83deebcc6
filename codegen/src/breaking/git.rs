//! Reading the checked protos' repository with git: the commit a revision names (resolved
//! once; only its hash reaches git after that), a file as it was at that commit, and a protox
//! resolver serving an include directory at it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use protox::file::{File, FileResolver};

use crate::error::Problem;
use crate::Error;

/// The commit a revision names, resolved once in the first include path's repository; the
/// revision never reaches git where an option could be read (`--end-of-options`), and only
/// the commit's hash does after this.
pub(super) fn commit_of(revision: &str, includes: &[PathBuf]) -> Result<String, Error> {
    let dir = includes.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let revision_commit = format!("{revision}^{{commit}}");
    let output =
        git(&dir, &["rev-parse", "--verify", "--quiet", "--end-of-options", &revision_commit]).map_err(Problem::new)?;
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

/// Serves the files of an include directory as they were at a commit (`git show
/// COMMIT:./name`, relative to the directory).
pub(super) struct GitFileResolver {
    pub(super) dir: PathBuf,
    pub(super) commit: String,
}

impl FileResolver for GitFileResolver {
    /// A file path under the directory names the file its remainder names, as for an include
    /// path.
    fn resolve_path(&self, path: &Path) -> Option<String> {
        name_of(normal(path).strip_prefix(normal(&self.dir)).ok()?)
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match git_file(&self.dir, &self.commit, name) {
            Ok(Some(text)) => File::from_source(name, &text),
            Ok(None) | Err(_) => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// The text of the file `name` (relative to `dir`) at `commit` (a hash, never an option);
/// `None` when it is not there; git's words when git cannot say.
pub(super) fn git_file(dir: &Path, commit: &str, name: &str) -> Result<Option<String>, String> {
    let output = git(dir, &["show", &format!("{commit}:./{name}")])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let absent = stderr.contains("does not exist") || stderr.contains("exists on disk, but not in");
        return if absent { Ok(None) } else { Err(format!("git show {commit}:./{name}: {}", stderr.trim())) };
    }
    String::from_utf8(output.stdout).map(Some).map_err(|_| format!("{name} at {commit} is not UTF-8 text"))
}

/// Whether `dir` is in a git repository; git's words when git cannot say (not installed, a
/// repository it refuses to read).
pub(super) fn in_repository(dir: &Path) -> Result<bool, Error> {
    let output = git(dir, &["rev-parse", "--git-dir"]).map_err(Problem::new)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() || stderr.contains("not a git repository") {
        return Ok(output.status.success());
    }
    Err(Problem::new(format!("git in {}: {}", dir.display(), stderr.trim())).into())
}

/// A relative path without its `.` parts, as a proto name (`a/b.proto`).
pub(super) fn name_of(path: &Path) -> Option<String> {
    let path = normal(path);
    let parts: Option<Vec<&str>> = path.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|parts| parts.join("/")).filter(|name| !name.is_empty())
}

/// `path` without its `.` components.
fn normal(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}

/// `git -C dir args…`, run to completion.
fn git(dir: &Path, args: &[&str]) -> Result<Output, String> {
    Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| format!("running git: {e}"))
}
