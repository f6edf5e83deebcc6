//! Puts generated files on disk — or, for `kuberpc check`, says how the disk differs.
//!
//! Rules: every check happens before the first write, so a refused run changes nothing;
//! each write is atomic (a temp file in the same directory, then a rename); a file is
//! rewritten only when its content changed; seed files (overlays) are created once and never
//! touched again; a file that exists without kuberpc's generated header is never overwritten
//! or removed. Entry points: [`write()`] and [`diff()`], each over any number of [`Target`]
//! directories at once.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Problem, Problems};
use crate::manifests::{header_source, GENERATED_MARKER};

/// Who owns a generated file once it is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// kuberpc: rewritten whenever its content changes; carries [`GENERATED_MARKER`].
    Generated,
    /// kuberpc, in a directory that is kuberpc's alone (`OUT_DIR`): rewritten when changed.
    Stub,
    /// The user, after kuberpc created it once as a starting point.
    Seed,
}

/// One file kuberpc wants to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output root.
    pub path: PathBuf,
    /// Full content.
    pub content: Vec<u8>,
    /// Who owns it on disk.
    pub ownership: Ownership,
}

/// What happened (or, for [`diff`], would happen) to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The file did not exist and was written.
    Created,
    /// The file existed with other content and was rewritten.
    Updated,
    /// The file already had this content.
    Unchanged,
    /// A seed file that already exists: it is the user's, left alone.
    Kept,
    /// A generated file no service produces any more, removed.
    Removed,
}

impl Action {
    /// Lower-case verb for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Kept => "kept (yours)",
            Action::Removed => "removed",
        }
    }
}

/// The actions taken (or due), by path under the root, in path order.
pub type Report = Vec<(PathBuf, Action)>;

/// Which leftovers a run may remove: files in `dirs` (relative to the root) that `files` no
/// longer lists and whose generated header names one of `sources` — a service that was
/// removed from a proto of this run. Files generated from other protos are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Directories to look in, relative to the root.
    pub dirs: Vec<PathBuf>,
    /// Source files (as named in headers) compiled by this run.
    pub sources: Vec<String>,
}

/// One output directory: the files kuberpc wants under it and the leftovers that may go.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The directory the files' paths are relative to.
    pub root: &'a Path,
    /// The files.
    pub files: &'a [OutputFile],
    /// Which leftovers may be removed from it.
    pub cleanup: Cleanup,
}

/// Brings every target in line with its files, removing the leftovers each cleanup allows.
/// All targets are planned before anything is written: a refusal anywhere changes nothing
/// anywhere. Report paths are the targets' roots joined with the files' paths.
pub fn write(targets: &[Target<'_>]) -> Result<Report, Error> {
    let plans = plan_all(targets)?;
    // Temps of killed runs go from every directory kuberpc writes to, also where nothing
    // changes this time (a run killed before its renames leaves the old files in place).
    let dirs: std::collections::BTreeSet<PathBuf> = targets
        .iter()
        .flat_map(|t| t.files.iter().filter_map(|f| t.root.join(&f.path).parent().map(Path::to_path_buf)))
        .collect();
    dirs.iter().for_each(|dir| remove_stale_temps(dir));
    let mut staging = Staging::default();
    let mut problems = Problems::default();
    // Phase 1: every new content goes to a temp file beside its target. If any of them
    // fails, the staged temps and created directories go away and nothing has changed.
    for step in &plans {
        if let (Action::Created | Action::Updated, Some(content)) = (step.action, step.content) {
            if let Err(e) = staging.stage(&step.path, content) {
                problems.push(Problem::new(format!("cannot write {}: {e}", step.path.display())));
            }
        }
    }
    if !problems.is_empty() {
        staging.abandon();
        return Err(problems.into_error());
    }
    // Phase 2: renames (atomic each) and removals.
    for (temp, path) in &staging.staged {
        if let Err(e) = fs::rename(temp, path) {
            problems.push(Problem::new(format!("cannot write {}: {e}", path.display())));
        }
    }
    for step in plans.iter().filter(|s| s.action == Action::Removed) {
        let removed = fs::remove_file(&step.path);
        if let Err(e) = removed.or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) }) {
            problems.push(Problem::new(format!("cannot remove {}: {e}", step.path.display())));
        }
    }
    problems.finish(plans.into_iter().map(|s| (s.path, s.action)).collect())
}

/// What [`write()`] would do, with a unified diff of every file that would change (binary
/// files are named, not shown). An empty diff means the disk is up to date.
pub fn diff(targets: &[Target<'_>]) -> Result<(Report, String), Error> {
    let plans = plan_all(targets)?;
    let mut text = String::new();
    for step in &plans {
        let shown = step.path.display().to_string();
        let (old_name, new_name) = match step.action {
            Action::Created => ("/dev/null".to_string(), shown),
            Action::Updated => (shown.clone(), shown),
            Action::Removed => (shown, "/dev/null".to_string()),
            Action::Unchanged | Action::Kept => continue,
        };
        let old = fs::read(&step.path).unwrap_or_default();
        let new = step.content.unwrap_or_default();
        match (std::str::from_utf8(&old), std::str::from_utf8(new)) {
            (Ok(old), Ok(new)) => {
                let diff = similar::TextDiff::from_lines(old, new);
                text.push_str(&diff.unified_diff().context_radius(3).header(&old_name, &new_name).to_string());
            }
            _ => text.push_str(&format!("Binary files {old_name} and {new_name} differ\n")),
        }
    }
    Ok((plans.into_iter().map(|s| (s.path, s.action)).collect(), text))
}

/// Every target's plan, paths joined with its root; all refusals of all targets together.
fn plan_all<'a>(targets: &[Target<'a>]) -> Result<Vec<Step<'a>>, Error> {
    let mut problems = Problems::default();
    let mut steps = Vec::new();
    for target in targets {
        if let Some(plan) = problems.take(plan(target.root, target.files, &target.cleanup)) {
            steps.extend(plan.into_iter().map(|step| Step { path: target.root.join(step.path), ..step }));
        }
    }
    problems.finish(steps)
}

struct Step<'a> {
    path: PathBuf,
    action: Action,
    content: Option<&'a [u8]>,
}

/// Decides every action, reading only. Refuses (changing nothing) when a generated file
/// would replace a file that is not kuberpc's.
fn plan<'a>(root: &Path, files: &'a [OutputFile], cleanup: &Cleanup) -> Result<Vec<Step<'a>>, Error> {
    let mut problems = Problems::default();
    let mut steps = Vec::new();
    let mut blocked = std::collections::BTreeSet::new();
    for file in files {
        let path = root.join(&file.path);
        // A file where a directory must be blocks everything below it: say so once.
        if let Some(file_in_the_way) = path.ancestors().skip(1).find(|a| a.is_file()) {
            if blocked.insert(file_in_the_way.to_path_buf()) {
                problems.push(Problem::new(format!(
                    "{} is a file, but kuberpc needs a directory there (for {})",
                    file_in_the_way.display(),
                    path.display()
                )));
            }
            continue;
        }
        let existing = match fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                problems.push(Problem::new(format!("cannot read {}: {e}", path.display())));
                continue;
            }
        };
        let action = match (&existing, file.ownership) {
            (None, _) => Action::Created,
            (Some(_), Ownership::Seed) => Action::Kept,
            (Some(old), _) if *old == file.content => Action::Unchanged,
            (Some(old), Ownership::Generated) if !is_generated(old) => {
                problems.push(Problem::new(format!(
                    "{} exists and was not generated by kuberpc (no \"{GENERATED_MARKER}\" header); \
                     refusing to overwrite it — move it away or delete it",
                    path.display()
                )));
                continue;
            }
            (Some(_), _) => Action::Updated,
        };
        steps.push(Step { path: file.path.clone(), action, content: Some(&file.content) });
    }
    for dir in &cleanup.dirs {
        for path in leftovers(root, dir, files, &cleanup.sources) {
            steps.push(Step { path, action: Action::Removed, content: None });
        }
    }
    steps.sort_by(|a, b| a.path.cmp(&b.path));
    problems.finish(steps)
}

/// Files in `root/dir` that are not in `files` and were generated from one of `sources`.
fn leftovers(root: &Path, dir: &Path, files: &[OutputFile], sources: &[String]) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root.join(dir)) else { return Vec::new() };
    let mut leftovers: Vec<PathBuf> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let relative = dir.join(entry.file_name());
            if !entry.file_type().ok()?.is_file() || files.iter().any(|f| f.path == relative) {
                return None;
            }
            // A killed run's temp file carries the header too; staging removes those.
            if is_temp_name(&entry.file_name().to_string_lossy()) {
                return None;
            }
            let content = fs::read(entry.path()).ok()?;
            let first_line =
                String::from_utf8_lossy(content.split(|b| *b == b'\n').next().unwrap_or_default()).into_owned();
            let source = header_source(&first_line)?;
            sources.iter().any(|s| s == source).then_some(relative)
        })
        .collect();
    leftovers.sort();
    leftovers
}

/// Whether the file's first line carries kuberpc's generated header.
fn is_generated(content: &[u8]) -> bool {
    let first_line = content.split(|b| *b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(first_line).contains(GENERATED_MARKER)
}

/// Temp files written beside their targets, not yet renamed over them.
#[derive(Debug, Default)]
struct Staging {
    staged: Vec<(PathBuf, PathBuf)>,
    created_dirs: Vec<PathBuf>,
}

impl Staging {
    /// Writes and syncs `content` to `.<name>.kuberpc-<pid>.tmp` beside `path`, creating
    /// missing directories (remembered, to remove them on abandon).
    fn stage(&mut self, path: &Path, content: &[u8]) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.exists() {
            let topmost = dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).last();
            fs::create_dir_all(dir)?;
            self.created_dirs.extend(topmost.map(Path::to_path_buf));
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = dir.join(format!(".{file_name}{TEMP_INFIX}{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = fs::File::create(&temp)?;
            file.write_all(content)?;
            file.sync_all()
        })();
        match result {
            Ok(()) => {
                self.staged.push((temp, path.to_path_buf()));
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&temp);
                Err(e)
            }
        }
    }

    fn abandon(self) {
        for (temp, _) in &self.staged {
            let _ = fs::remove_file(temp);
        }
        for dir in &self.created_dirs {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

const TEMP_INFIX: &str = ".kuberpc-";

/// Whether `name` is a temp file name of this writer (`.<name>.kuberpc-<pid>.tmp`).
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_INFIX) && name.ends_with(".tmp")
}

/// Removes temp files of other (killed) runs from `dir`.
fn remove_stale_temps(dir: &Path) {
    let own = format!("{TEMP_INFIX}{}.tmp", std::process::id());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temp_name(&name) && !name.ends_with(&own) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str, ownership: Ownership) -> OutputFile {
        OutputFile { path: path.into(), content: content.as_bytes().to_vec(), ownership }
    }

    /// Writes `files` under `root` alone; report paths relative to it.
    fn write_one(root: &Path, files: &[OutputFile], cleanup: &Cleanup) -> Result<Report, Error> {
        let report = write(&[Target { root, files, cleanup: cleanup.clone() }])?;
        Ok(report.into_iter().map(|(path, action)| (path.strip_prefix(root).unwrap().to_path_buf(), action)).collect())
    }

    #[test]
    fn seeds_are_created_once_and_generated_files_follow_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let header = format!("# {GENERATED_MARKER}\n");
        let files = [
            file("base/a.yaml", &format!("{header}a: 1\n"), Ownership::Generated),
            file("overlays/k.yaml", "k: 1\n", Ownership::Seed),
        ];
        let report = write_one(dir.path(), &files, &Cleanup::default()).unwrap();
        assert_eq!(report.iter().map(|(_, a)| *a).collect::<Vec<_>>(), [Action::Created, Action::Created]);

        fs::write(dir.path().join("overlays/k.yaml"), "mine: true\n").unwrap();
        let files = [
            file("base/a.yaml", &format!("{header}a: 2\n"), Ownership::Generated),
            file("overlays/k.yaml", "k: 2\n", Ownership::Seed),
        ];
        let report = write_one(dir.path(), &files, &Cleanup::default()).unwrap();
        assert_eq!(report.iter().map(|(_, a)| *a).collect::<Vec<_>>(), [Action::Updated, Action::Kept]);
        assert_eq!(fs::read_to_string(dir.path().join("overlays/k.yaml")).unwrap(), "mine: true\n");
        let target = Target { root: dir.path(), files: &files, cleanup: Cleanup::default() };
        assert_eq!(diff(&[target]).unwrap().1, "");
    }

    #[test]
    fn a_file_without_the_header_is_never_overwritten_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("base")).unwrap();
        fs::write(dir.path().join("base/a.yaml"), "hand: written\n").unwrap();
        let files =
            [file("base/b.yaml", "b\n", Ownership::Generated), file("base/a.yaml", "a\n", Ownership::Generated)];
        let error = write_one(dir.path(), &files, &Cleanup::default()).unwrap_err();
        assert!(error.to_string().contains("refusing to overwrite"), "{error}");
        assert!(!dir.path().join("base/b.yaml").exists());
        assert_eq!(fs::read_to_string(dir.path().join("base/a.yaml")).unwrap(), "hand: written\n");
    }

    /// One run over several directories: a refusal in one leaves every other untouched.
    #[test]
    fn a_refusal_in_one_target_writes_nothing_in_any() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("first"), dir.path().join("second"));
        fs::create_dir_all(&second).unwrap();
        fs::write(second.join("a.yaml"), "hand: written\n").unwrap();
        let ours = [file("a.yaml", "a\n", Ownership::Generated)];
        let targets = [
            Target { root: &first, files: &ours, cleanup: Cleanup::default() },
            Target { root: &second, files: &ours, cleanup: Cleanup::default() },
        ];
        let error = write(&targets).unwrap_err();
        assert!(error.to_string().contains("refusing to overwrite"), "{error}");
        assert!(!first.exists(), "the first target was written although the second refused");
    }

    /// A killed run's temp file holds a complete generated file (header included): it is the
    /// stale-temp cleanup's to remove, not a leftover — counting it twice failed the next run.
    #[test]
    fn a_killed_runs_temp_file_is_cleaned_up_not_reported_as_a_leftover() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("base")).unwrap();
        let content = format!("# {GENERATED_MARKER} from a.proto (a.A).\n");
        fs::write(dir.path().join("base/.a.yaml.kuberpc-1.tmp"), &content).unwrap();
        let cleanup = Cleanup { dirs: vec![PathBuf::from("base")], sources: vec!["a.proto".into()] };
        let files = [file("base/a.yaml", &content, Ownership::Generated)];
        let report = write_one(dir.path(), &files, &cleanup).unwrap();
        assert_eq!(report, [(PathBuf::from("base/a.yaml"), Action::Created)]);
        assert!(!dir.path().join("base/.a.yaml.kuberpc-1.tmp").exists());
    }

    /// A run killed before its renames leaves the old file and a temp; the next run has
    /// nothing to change there and must still remove the temp.
    #[test]
    fn temps_go_from_directories_where_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let files = [file("base/a.yaml", "a\n", Ownership::Stub)];
        write_one(dir.path(), &files, &Cleanup::default()).unwrap();
        fs::write(dir.path().join("base/.a.yaml.kuberpc-1.tmp"), "half").unwrap();
        let report = write_one(dir.path(), &files, &Cleanup::default()).unwrap();
        assert_eq!(report, [(PathBuf::from("base/a.yaml"), Action::Unchanged)]);
        assert!(!dir.path().join("base/.a.yaml.kuberpc-1.tmp").exists());
    }

    #[test]
    fn leftovers_of_this_runs_sources_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("base")).unwrap();
        fs::write(dir.path().join("base/old.yaml"), format!("# {GENERATED_MARKER} from a.proto (a.A).\n")).unwrap();
        fs::write(dir.path().join("base/other.yaml"), format!("# {GENERATED_MARKER} from b.proto (b.B).\n")).unwrap();
        fs::write(dir.path().join("base/notes.md"), "mine\n").unwrap();
        let cleanup = Cleanup { dirs: vec![PathBuf::from("base")], sources: vec!["a.proto".into()] };
        let report = write_one(dir.path(), &[], &cleanup).unwrap();
        assert_eq!(report, [(PathBuf::from("base/old.yaml"), Action::Removed)]);
        assert!(dir.path().join("base/notes.md").exists());
        assert!(dir.path().join("base/other.yaml").exists());
    }
}
