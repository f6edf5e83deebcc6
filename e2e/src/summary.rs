//! The end of a run: each scenario passed, failed or skipped, with its duration, its one-line
//! result and its log; the run fails if any scenario failed.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// How a scenario ended, with its one-line result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every check held; what it saw (e.g. the client's `calls=… failed=0 …`).
    Passed(String),
    /// A check failed: why.
    Failed(String),
    /// Not run, and why (a prerequisite that did not pass, or a cluster it cannot use).
    Skipped(String),
}

/// A scenario's passing result.
pub(crate) fn passed(result: impl Into<String>) -> Outcome {
    Outcome::Passed(result.into())
}

/// A scenario that cannot run here, and why.
pub(crate) fn skipped(why: impl Into<String>) -> Outcome {
    Outcome::Skipped(why.into())
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Passed(_) => "passed",
            Outcome::Failed(_) => "FAILED",
            Outcome::Skipped(_) => "skipped",
        }
    }

    fn text(&self) -> &str {
        match self {
            Outcome::Passed(text) | Outcome::Failed(text) | Outcome::Skipped(text) => text,
        }
    }
}

/// One line of the summary.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) outcome: Outcome,
    pub(crate) took: Duration,
    pub(crate) log: PathBuf,
}

/// The summary table: a line per scenario (name, outcome, seconds, result, log), then the
/// counts and the run's time.
pub(crate) fn render(rows: &[Row], total: Duration) -> String {
    let width = rows.iter().map(|row| row.name.len()).max().unwrap_or(0);
    let mut out = String::from("e2e summary:\n");
    for row in rows {
        let text = one_line(row.outcome.text());
        let _ = writeln!(
            out,
            "  {:width$}  {:7} {:>6.1}s  {text}  [{}]",
            row.name,
            row.outcome.word(),
            row.took.as_secs_f64(),
            row.log.display()
        );
    }
    let count = |word: &str| rows.iter().filter(|row| row.outcome.word() == word).count();
    let _ = write!(
        out,
        "{} passed, {} failed, {} skipped in {:.0}s",
        count("passed"),
        count("FAILED"),
        count("skipped"),
        total.as_secs_f64()
    );
    out
}

/// The longest result a summary line shows; the log has all of it.
const RESULT_CHARS: usize = 240;

/// `text` on one line, cut at [`RESULT_CHARS`].
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(RESULT_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// Whether the run failed: a scenario failed.
pub(crate) fn failed(rows: &[Row]) -> bool {
    rows.iter().any(|row| matches!(row.outcome, Outcome::Failed(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &'static str, outcome: Outcome) -> Row {
        Row { name, outcome, took: Duration::from_millis(1500), log: PathBuf::from(format!("target/e2e/{name}.log")) }
    }

    #[test]
    fn every_scenario_has_a_line_with_its_result_and_log() {
        let rows = [
            row("deploy", passed("3 replicas")),
            row("wedged_server", Outcome::Failed("calls=10 failed=4\n{…}".into())),
            row("journal_claims", skipped("needs deploy, which did not pass")),
        ];
        let text = render(&rows, Duration::from_secs(95));
        assert!(text.contains("deploy          passed     1.5s  3 replicas  [target/e2e/deploy.log]"), "{text}");
        assert!(text.contains("wedged_server   FAILED     1.5s  calls=10 failed=4 {…}"), "{text}");
        assert!(text.contains("journal_claims  skipped"), "{text}");
        assert!(text.ends_with("1 passed, 1 failed, 1 skipped in 95s"), "{text}");
    }

    #[test]
    fn long_results_are_cut_on_one_line() {
        let long = "x".repeat(RESULT_CHARS + 10);
        assert_eq!(one_line(&long).chars().count(), RESULT_CHARS + 1);
        assert!(one_line(&long).ends_with('…'));
        assert_eq!(one_line("a\n  b"), "a b");
    }

    #[test]
    fn only_a_failure_fails_the_run() {
        assert!(!failed(&[row("a", passed("")), row("b", skipped("existing cluster"))]));
        assert!(failed(&[row("a", passed("")), row("b", Outcome::Failed("x".into()))]));
    }
}
