//! `kuberpc_codegen::breaking` against the real `buf breaking` (buf 1.75.0, v2 rules, from
//! `.venv`, which `scripts/setup-test-tools` fills) on every case of `tests/breaking/`.
//!
//! A case is a directory `tests/breaking/<case>/` with the protos before (`old/`) and after
//! (`new/`) one change, the change stated by a comment at the top of a proto in `new/`
//! (`// <case>: what changed`). Each side is compiled by protox (imports included, as buf's image
//! includes them); then, for each category (FILE, PACKAGE, WIRE_JSON, WIRE), our findings
//! (`compare(&old, &new, &[category])`) and buf's (one `buf breaking new --against old` run with
//! that category, JSON output) must be the same set of (rule, message), and so the same set of
//! rule IDs. A disagreement fails unless `KNOWN_DIFFERENCES` lists it with its reason; an entry
//! that no longer disagrees fails too, so the table only holds what is true today. Locations
//! (file, line, column) are compared and reported, but do not fail the test.
//!
//! The corpus itself is checked as well: a case named `safe_*` breaks nothing in any category,
//! by either tool; every other case breaks at least one category, by either tool.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use kuberpc_codegen::breaking::{self, Category, Finding};
use prost_types::FileDescriptorSet;

/// The categories, in buf's order of strictness.
const CATEGORIES: [Category; 4] = [Category::File, Category::Package, Category::WireJson, Category::Wire];

/// Disagreements with buf that are accepted: `(case, category, rule, why)`. Every (rule, message)
/// of that rule that only one tool reports for that case and category is covered. An entry that
/// covers no disagreement any more fails the test: delete it.
const KNOWN_DIFFERENCES: &[(&str, Category, &str, &str)] = &[];

/// The fewest cases the corpus may hold.
const MIN_CASES: usize = 45;

fn buf() -> PathBuf {
    let path = common::repo_root().join(".venv/bin/buf");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-test-tools (the README's test command does)",
        path.display()
    );
    path
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/breaking")
}

/// Every case directory, sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| (path.file_name().unwrap().to_str().unwrap().to_owned(), path))
        .collect();
    cases.sort();
    cases
}

/// The `.proto` files under `root`, by their names relative to it (`/`-separated), sorted.
fn protos_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else if path.extension().is_some_and(|ext| ext == "proto") {
                let relative = path.strip_prefix(root).unwrap();
                let parts: Vec<&str> = relative.components().map(|c| c.as_os_str().to_str().unwrap()).collect();
                found.push(parts.join("/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found.sort();
    found
}

/// One side of a case, compiled as buf builds its image: every file under `dir` by its relative
/// name, imports included, with source info.
fn compile(dir: &Path) -> FileDescriptorSet {
    let names = protos_under(dir);
    assert!(!names.is_empty(), "{} holds no .proto", dir.display());
    let mut compiler = protox::Compiler::new([dir]).unwrap();
    compiler.include_imports(true).include_source_info(true);
    for name in &names {
        if let Err(error) = compiler.open_file(name) {
            panic!("{}: {name} does not compile: {error:?}", dir.display());
        }
    }
    compiler.file_descriptor_set()
}

/// A finding of either tool, as compared: where (the new file's name, line, column) apart.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    rule: String,
    message: String,
    /// The new file's name as in the descriptor set, `None` for `<input>`.
    file: Option<String>,
    line: usize,
    column: usize,
}

impl Seen {
    fn key(&self) -> (String, String) {
        (self.rule.clone(), self.message.clone())
    }

    fn place(&self) -> String {
        format!("{}:{}:{}", self.file.as_deref().unwrap_or("<input>"), self.line, self.column)
    }
}

impl From<Finding> for Seen {
    fn from(finding: Finding) -> Self {
        Seen {
            rule: finding.rule.to_owned(),
            message: finding.message,
            file: finding.file,
            line: finding.line,
            column: finding.column,
        }
    }
}

/// buf's findings for one case and category: one `buf breaking` run in the case's directory.
fn run_buf(buf: &Path, case_dir: &Path, category: Category) -> Result<Vec<Seen>, String> {
    let config =
        format!(r#"{{"version":"v2","modules":[{{"path":"new"}}],"breaking":{{"use":["{}"]}}}}"#, category.name());
    let output = Command::new(buf)
        .args(["breaking", "new", "--against", "old", "--config", &config, "--error-format=json"])
        .current_dir(case_dir)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", buf.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) if stdout.trim().is_empty() => Ok(Vec::new()),
        Some(100) => stdout.lines().filter(|line| !line.trim().is_empty()).map(parse_buf_line).collect(),
        _ => Err(format!("buf breaking exited with {}:\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status)),
    }
}

/// One line of `--error-format=json`: `{"path":…,"start_line":…,"start_column":…,…,"type":…,"message":…}`.
fn parse_buf_line(line: &str) -> Result<Seen, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|error| format!("buf printed a line that is not JSON ({error}): {line}"))?;
    let text = |key: &str| value.get(key).and_then(serde_json::Value::as_str).map(str::to_owned);
    let number = |key: &str| value.get(key).and_then(serde_json::Value::as_u64).map_or(1, |n| n as usize);
    let rule = text("type").ok_or_else(|| format!("no \"type\" in buf's {line}"))?;
    let message = text("message").ok_or_else(|| format!("no \"message\" in buf's {line}"))?;
    // The path is the external one, `new/<file name>`: the descriptor's file name is the rest.
    let file = text("path").map(|path| path.strip_prefix("new/").map(str::to_owned).unwrap_or(path));
    Ok(Seen { rule, message, file, line: number("start_line"), column: number("start_column") })
}

/// Both tools' findings for one case and category.
struct Verdicts {
    case: String,
    category: Category,
    ours: Result<Vec<Seen>, String>,
    buf: Result<Vec<Seen>, String>,
}

/// Every case × category, buf run on a few threads (one process per case and category).
fn verdicts(cases: &[(String, PathBuf)]) -> Vec<Verdicts> {
    let buf = buf();
    let compiled: Vec<(FileDescriptorSet, FileDescriptorSet)> =
        cases.iter().map(|(_, dir)| (compile(&dir.join("old")), compile(&dir.join("new")))).collect();
    let jobs: Vec<(usize, Category)> =
        (0..cases.len()).flat_map(|case| CATEGORIES.map(|category| (case, category))).collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(case, category)) = jobs.get(job) else { break };
                let (name, dir) = &cases[case];
                let (old, new) = &compiled[case];
                let ours = std::panic::catch_unwind(|| breaking::compare(old, new, &[category]))
                    .map(|findings| findings.expect("both sides resolve").into_iter().map(Seen::from).collect())
                    .map_err(|panic| {
                        let text = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_default();
                        format!("compare panicked: {text}")
                    });
                let buf = run_buf(&buf, dir, category);
                results.lock().unwrap().push((job, Verdicts { case: name.clone(), category, ours, buf }));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(job, _)| *job);
    results.into_iter().map(|(_, verdicts)| verdicts).collect()
}

#[derive(Default)]
struct Tally {
    cases: usize,
    ours: usize,
    buf: usize,
    agreements: usize,
    known: usize,
    places: usize,
    places_agreeing: usize,
}

#[test]
fn breaking_agrees_with_buf() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES, "{} cases under {}, want at least {MIN_CASES}", cases.len(), corpus().display());
    let mut failures: Vec<String> = Vec::new();

    // Each case is documented where it changes.
    for (name, dir) in &cases {
        for side in ["old", "new"] {
            if !dir.join(side).is_dir() {
                failures.push(format!("{name}: no {side}/ directory"));
            }
        }
        let new = dir.join("new");
        let documented = new.is_dir()
            && protos_under(&new)
                .iter()
                .any(|proto| std::fs::read_to_string(new.join(proto)).unwrap().starts_with(&format!("// {name}: ")));
        if !documented {
            failures.push(format!("{name}: no proto under new/ starts with `// {name}: <what changed>`"));
        }
    }
    if !failures.is_empty() {
        panic!("the corpus is malformed:\n{}", failures.join("\n"));
    }

    let started = Instant::now();
    let verdicts = verdicts(&cases);
    let elapsed = started.elapsed();

    let mut used = vec![false; KNOWN_DIFFERENCES.len()];
    let mut tallies: BTreeMap<Category, Tally> = BTreeMap::new();
    let mut place_notes: Vec<String> = Vec::new();
    // Per case: which categories each tool found breaking.
    let mut broken: BTreeMap<&str, (BTreeSet<Category>, BTreeSet<Category>)> = BTreeMap::new();

    for verdict in &verdicts {
        let (case, category) = (verdict.case.as_str(), verdict.category);
        let tally = tallies.entry(category).or_default();
        tally.cases += 1;
        let (ours, theirs) = match (&verdict.ours, &verdict.buf) {
            (Ok(ours), Ok(theirs)) => (ours, theirs),
            (ours, theirs) => {
                for error in [ours.as_ref().err(), theirs.as_ref().err()].into_iter().flatten() {
                    failures.push(format!("{case} [{}]: {error}", category.name()));
                }
                continue;
            }
        };
        tally.ours += ours.len();
        tally.buf += theirs.len();
        let entry = broken.entry(case).or_default();
        if !ours.is_empty() {
            entry.0.insert(category);
        }
        if !theirs.is_empty() {
            entry.1.insert(category);
        }

        let our_keys: BTreeSet<(String, String)> = ours.iter().map(Seen::key).collect();
        let buf_keys: BTreeSet<(String, String)> = theirs.iter().map(Seen::key).collect();
        let our_rules: BTreeSet<&str> = ours.iter().map(|seen| seen.rule.as_str()).collect();
        let buf_rules: BTreeSet<&str> = theirs.iter().map(|seen| seen.rule.as_str()).collect();

        // The rules of every (rule, message) only one side has; a rule only one side has is
        // among them.
        let mut disputed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (rule, message) in buf_keys.difference(&our_keys) {
            disputed.entry(rule).or_default().push(format!("    buf only:  {rule}: {message}"));
        }
        for (rule, message) in our_keys.difference(&buf_keys) {
            disputed.entry(rule).or_default().push(format!("    ours only: {rule}: {message}"));
        }
        debug_assert!(our_rules.symmetric_difference(&buf_rules).all(|rule| disputed.contains_key(rule)));
        if disputed.is_empty() {
            tally.agreements += 1;
        }
        let mut unexplained = String::new();
        for (rule, lines) in &disputed {
            let known = KNOWN_DIFFERENCES.iter().position(|&(c, cat, r, _)| c == case && cat == category && r == *rule);
            match known {
                Some(index) => {
                    used[index] = true;
                    tally.known += 1;
                }
                None => {
                    let side = match (our_rules.contains(rule), buf_rules.contains(rule)) {
                        (true, false) => " (rule only in ours)",
                        (false, true) => " (rule only in buf's)",
                        _ => "",
                    };
                    writeln!(unexplained, "  {rule}{side}:").unwrap();
                    for line in lines {
                        writeln!(unexplained, "{line}").unwrap();
                    }
                }
            }
        }
        if !unexplained.is_empty() {
            failures.push(format!(
                "{case} [{}]: ours {our_rules:?} / buf {buf_rules:?}\n{}",
                category.name(),
                unexplained.trim_end()
            ));
        }

        // Where each agreed finding is reported (informational).
        for key in our_keys.intersection(&buf_keys) {
            let places = |seen: &[Seen]| -> BTreeSet<String> {
                seen.iter().filter(|s| s.key() == *key).map(Seen::place).collect()
            };
            let (our_places, buf_places) = (places(ours), places(theirs));
            tally.places += 1;
            if our_places == buf_places {
                tally.places_agreeing += 1;
            } else {
                place_notes.push(format!(
                    "{case} [{}] {}: ours at {our_places:?}, buf at {buf_places:?}",
                    category.name(),
                    key.0
                ));
            }
        }
    }

    // The corpus does what its names say, for both tools.
    for (case, (ours, theirs)) in &broken {
        let names = |set: &BTreeSet<Category>| set.iter().map(|c| c.name()).collect::<Vec<_>>();
        if case.starts_with("safe_") {
            if !theirs.is_empty() {
                failures.push(format!("{case}: a safe change, but buf finds it breaking in {:?}", names(theirs)));
            }
            if !ours.is_empty() {
                failures.push(format!("{case}: a safe change, but we find it breaking in {:?}", names(ours)));
            }
        } else {
            if theirs.is_empty() {
                failures.push(format!("{case}: buf finds nothing breaking in any category (name it safe_* if so)"));
            }
            if ours.is_empty() {
                failures.push(format!("{case}: we find nothing breaking in any category"));
            }
        }
    }

    for (index, &(case, category, rule, why)) in KNOWN_DIFFERENCES.iter().enumerate() {
        if !used[index] {
            failures.push(format!(
                "stale KNOWN_DIFFERENCES entry ({case}, {}, {rule}, {why:?}): that disagreement no longer occurs, delete it",
                category.name()
            ));
        }
    }

    println!("{} cases, {} buf runs in {:.1?}", cases.len(), verdicts.len(), elapsed);
    println!(
        "{:<10} {:>5} {:>13} {:>12} {:>6} {:>6} {:>13}",
        "category", "cases", "findings ours", "findings buf", "agree", "known", "places agree"
    );
    for (category, tally) in &tallies {
        println!(
            "{:<10} {:>5} {:>13} {:>12} {:>6} {:>6} {:>13}",
            category.name(),
            tally.cases,
            tally.ours,
            tally.buf,
            tally.agreements,
            tally.known,
            format!("{}/{}", tally.places_agreeing, tally.places)
        );
    }
    if !place_notes.is_empty() {
        println!("locations that differ (not a failure):");
        for note in &place_notes {
            println!("  {note}");
        }
    }

    assert!(failures.is_empty(), "{} problem(s) against buf breaking:\n{}", failures.len(), failures.join("\n"));
}
