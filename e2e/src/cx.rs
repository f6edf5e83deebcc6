//! What every scenario is given: the cluster's client, where things are, the log of the
//! scenario running, what earlier scenarios found out, and bounded shell-outs for the few
//! steps where the real tool is the point.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use tokio::process::Command;

/// The run's context; see the module docs.
pub(crate) struct Cx {
    /// The test cluster's API server (KUBECONFIG).
    pub(crate) client: kube::Client,
    /// The workspace's root.
    pub(crate) repo: PathBuf,
    /// KUBERPC_E2E_EXISTING=1: a cluster of the user's, not the test cluster; scenarios that
    /// need the test cluster's node skip.
    pub(crate) existing: bool,
    /// The test cluster's run directory (its containerd socket, the journal's local volumes).
    pub(crate) cluster_dir: PathBuf,
    /// Image tarballs and the ledger fixture's generated tree, for this run.
    pub(crate) work: tempfile::TempDir,
    /// What scenarios learn for later ones.
    pub(crate) state: RefCell<State>,
    started: Instant,
    scenario: RefCell<&'static str>,
    log: RefCell<Option<File>>,
    /// Jobs the running scenario started (namespace, name): their logs go into its log on failure.
    jobs: RefCell<Vec<(String, String)>>,
}

/// Facts a scenario leaves for the ones after it.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The greeter's pod IPs once deployed.
    pub(crate) greeter_ips: Vec<String>,
}

/// Whether the run is against a cluster of the user's (`KUBERPC_E2E_EXISTING=1`), not the
/// test cluster.
pub(crate) fn existing_cluster() -> bool {
    std::env::var("KUBERPC_E2E_EXISTING").is_ok_and(|v| v == "1")
}

/// Longest a shell-out may run unless told otherwise.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

impl Cx {
    pub(crate) fn new(client: kube::Client, repo: PathBuf, existing: bool, cluster_dir: PathBuf) -> Result<Self> {
        Ok(Self {
            client,
            repo,
            existing,
            cluster_dir,
            work: tempfile::tempdir().context("a scratch directory")?,
            state: RefCell::default(),
            started: Instant::now(),
            scenario: RefCell::new("e2e"),
            log: RefCell::new(None),
            jobs: RefCell::default(),
        })
    }

    /// Starts the log of `scenario` at `path` (truncated).
    pub(crate) fn begin(&self, scenario: &'static str, path: &Path) -> Result<()> {
        *self.scenario.borrow_mut() = scenario;
        *self.log.borrow_mut() = Some(File::create(path).with_context(|| format!("creating {}", path.display()))?);
        self.jobs.borrow_mut().clear();
        Ok(())
    }

    /// Ends the scenario's log.
    pub(crate) fn end(&self) {
        *self.log.borrow_mut() = None;
        *self.scenario.borrow_mut() = "e2e";
    }

    /// A step of the scenario: on stderr (with the run's seconds and the scenario) and in its log.
    pub(crate) fn say(&self, what: impl AsRef<str>) {
        let line = format!("e2e [{}s] {}: {}", self.started.elapsed().as_secs(), self.scenario.borrow(), what.as_ref());
        eprintln!("{line}");
        self.note(line);
    }

    /// Detail for the scenario's log only (command output, diagnostics).
    pub(crate) fn note(&self, what: impl AsRef<str>) {
        if let Some(log) = self.log.borrow_mut().as_mut() {
            let _ = writeln!(log, "{}", what.as_ref().trim_end());
        }
    }

    /// Remembers a Job the scenario started, for the diagnostics of a failure.
    pub(crate) fn started_job(&self, namespace: &str, name: &str) {
        self.jobs.borrow_mut().push((namespace.to_string(), name.to_string()));
    }

    pub(crate) fn jobs(&self) -> Vec<(String, String)> {
        self.jobs.borrow().clone()
    }

    /// Runs `program args` in the workspace (at most `timeout`), its output in the log; fails
    /// unless it exits 0. Returns its stdout.
    pub(crate) async fn run<I, S>(&self, program: &str, args: I, timeout: Duration) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (ok, stdout, stderr) = self.run_status(program, args, None, timeout).await?;
        if !ok {
            bail!("{program} failed: {}", last_lines(&stderr, 5));
        }
        Ok(stdout)
    }

    /// Like [`Cx::run`] in `dir` (relative to the workspace), at most [`COMMAND_TIMEOUT`].
    pub(crate) async fn run_in<I, S>(&self, program: &str, args: I, dir: &str) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (ok, stdout, stderr) = self.spawn(program, args, None, COMMAND_TIMEOUT, &self.repo.join(dir)).await?;
        if !ok {
            bail!("{program} failed: {}", last_lines(&stderr, 5));
        }
        Ok(stdout)
    }

    /// Like [`Cx::run`], with `stdin`, and whether it exited 0 instead of failing: (ok, stdout, stderr).
    pub(crate) async fn run_status<I, S>(
        &self,
        program: &str,
        args: I,
        stdin: Option<&str>,
        timeout: Duration,
    ) -> Result<(bool, String, String)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.spawn(program, args, stdin, timeout, &self.repo).await
    }

    async fn spawn<I, S>(
        &self,
        program: &str,
        args: I,
        stdin: Option<&str>,
        timeout: Duration,
        dir: &Path,
    ) -> Result<(bool, String, String)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(program);
        command.args(args).current_dir(dir).kill_on_drop(true);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let shown = format!("{:?}", command.as_std()).replace('"', "");
        self.note(format!("$ {shown}"));
        let mut child = command.spawn().with_context(|| format!("starting {program}"))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use tokio::io::AsyncWriteExt as _;
            pipe.write_all(text.as_bytes()).await.with_context(|| format!("writing to {program}"))?;
        }
        let output = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .with_context(|| format!("{shown} took more than {timeout:?}"))??;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        if !stderr.trim().is_empty() {
            self.note(last_lines(&stderr, 40));
        }
        Ok((output.status.success(), stdout, stderr))
    }
}

/// The last `n` lines of `text`.
pub(crate) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `what` bounded by `timeout`: its error, or one saying what did not finish in time.
pub(crate) async fn within<T>(
    timeout: Duration,
    what: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => bail!("{what}: not within {}s", timeout.as_secs()),
    }
}
