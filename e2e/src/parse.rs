//! What the harness reads from programs' text: the load client's summary, a pod's `/metrics`,
//! `kubectl drain`'s report, `ctr task ls`, the journal client's answers. Pure functions, each
//! unit-tested: a check that misreads its input would pass or fail for the wrong reason.

/// The greeter client's summary line (`calls=N failed=F {…} late_max=Lms`) among its output.
pub(crate) fn client_summary(output: &str) -> Option<&str> {
    output.lines().find(|line| line.starts_with("calls="))
}

/// Whether a client summary counts no failed call (`failed=0`, exactly).
pub(crate) fn no_call_failed(summary: &str) -> bool {
    summary.split_whitespace().any(|field| field == "failed=0")
}

/// `(calls, failed)` of a client summary.
pub(crate) fn call_counts(summary: &str) -> Option<(u64, u64)> {
    let field = |name: &str| summary.split_whitespace().find_map(|f| f.strip_prefix(name)?.parse().ok());
    Some((field("calls=")?, field("failed=")?))
}

/// The status codes of a client summary's failures (`{"Unavailable": 3, …}`), by name.
pub(crate) fn failure_codes(summary: &str) -> Vec<&str> {
    let Some((_, rest)) = summary.split_once('{') else { return Vec::new() };
    let inside = rest.split('}').next().unwrap_or_default();
    inside
        .split(',')
        .filter_map(|entry| Some(entry.split(':').next()?.trim().trim_matches('"')))
        .filter(|c| !c.is_empty())
        .collect()
}

/// Whether a client summary counts calls and none of them failed.
pub(crate) fn all_served(summary: &str) -> bool {
    matches!(call_counts(summary), Some((calls, 0)) if calls > 0)
}

/// Whether a client summary counts calls and every one failed, each with one of `codes`.
pub(crate) fn all_failed_with(summary: &str, codes: &[&str]) -> bool {
    matches!(call_counts(summary), Some((calls, failed)) if calls > 0 && failed == calls)
        && failure_codes(summary).iter().all(|code| codes.contains(code))
}

/// How late, at worst, the client's 10 ms timer fired (`late_max=Lms`): how long the load
/// generator itself was not run.
pub(crate) fn late_max_ms(summary: &str) -> Option<u64> {
    summary.split_whitespace().find_map(|field| field.strip_prefix("late_max=")?.strip_suffix("ms")?.parse().ok())
}

/// How many SayHello calls a server answered OK, from its `/metrics` (Prometheus text):
/// the count of `rpc_server_call_duration_seconds` for SayHello with status code 0.
pub(crate) fn served_say_hello(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("rpc_server_call_duration_seconds_count{")
                && line.contains(r#"rpc_method="SayHello""#)
                && line.contains(r#"rpc_grpc_status_code="0""#)
        })
        .find_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|count| count as u64)
}

/// What a `kubectl drain` of the greeter's node said: how many pods it evicted, and whether it
/// was refused by a disruption budget.
pub(crate) fn drain_report(output: &str) -> (usize, bool) {
    let evicted = output.lines().filter(|line| line.trim_end().ends_with("evicted")).count();
    (evicted, output.contains("disruption budget"))
}

/// The pid of container `id` in `ctr task ls` (columns TASK, PID, STATUS).
pub(crate) fn task_pid(ctr_output: &str, id: &str) -> Option<u32> {
    ctr_output.lines().find_map(|line| {
        let mut columns = line.split_whitespace();
        (columns.next()? == id).then(|| columns.next()?.parse().ok())?
    })
}

/// The journal client's answer to an append (`offset=N pod=P`): the offset and the pod.
pub(crate) fn appended(output: &str) -> Option<(u64, &str)> {
    let line = output.lines().find(|line| line.starts_with("offset="))?;
    let (offset, pod) = line.strip_prefix("offset=")?.split_once(" pod=")?;
    Some((offset.parse().ok()?, pod.trim()))
}

/// Whether the journal client's `read` output (`offset<TAB>text` a line) holds `text` at `offset`.
pub(crate) fn has_entry(read: &str, offset: u64, text: &str) -> bool {
    read.lines().any(|line| line == format!("{offset}\t{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_served_and_all_failed_with_read_counts_and_codes() {
        let refused = r#"calls=7 failed=7 {"DeadlineExceeded": 3, "Unavailable": 4} late_max=2ms"#;
        assert!(all_failed_with(refused, &["Unavailable", "DeadlineExceeded"]) && !all_served(refused));
        assert!(!all_failed_with(refused, &["Unavailable"]), "a code not listed");
        let partly = r#"calls=9 failed=8 {"Unavailable": 8} late_max=2ms"#;
        assert!(!all_failed_with(partly, &["Unavailable"]) && !all_served(partly), "one call got through");
        let served = "calls=9 failed=0 {} late_max=2ms";
        assert!(all_served(served) && !all_failed_with(served, &["Unavailable"]));
        let nothing = "calls=0 failed=0 {} late_max=0ms";
        assert!(!all_served(nothing) && !all_failed_with(nothing, &["Unavailable"]), "no call is no proof");
    }

    #[test]
    fn counts_and_codes_of_a_summary() {
        let summary = r#"calls=12 failed=12 {"DeadlineExceeded": 4, "Unavailable": 8} late_max=3ms"#;
        assert_eq!(call_counts(summary), Some((12, 12)));
        assert_eq!(failure_codes(summary), ["DeadlineExceeded", "Unavailable"]);
        assert_eq!(call_counts("calls=5 failed=0 {}"), Some((5, 0)));
        assert!(failure_codes("calls=5 failed=0 {}").is_empty());
        assert_eq!(call_counts("no summary"), None);
    }

    #[test]
    fn the_summary_line_is_found_and_only_zero_failures_pass() {
        let output = "late timer: due at 3.000s, fired 120 ms late\ncalls=1200 failed=0 {} late_max=120ms\n";
        let summary = client_summary(output).unwrap();
        assert_eq!(summary, "calls=1200 failed=0 {} late_max=120ms");
        assert!(no_call_failed(summary));
        for lost in ["calls=9 failed=4 {\"DeadlineExceeded\": 4} late_max=3ms", "calls=10 failed=10 {}", "calls=1"] {
            assert!(!no_call_failed(lost), "{lost}");
        }
        assert_eq!(client_summary("Error: transport error\n"), None);
        assert_eq!(late_max_ms(summary), Some(120));
        assert_eq!(late_max_ms("calls=1 failed=0 {}"), None);
    }

    #[test]
    fn served_counts_only_ok_say_hello_calls() {
        let metrics = "\
# TYPE rpc_server_call_duration_seconds histogram
rpc_server_call_duration_seconds_count{rpc_method=\"SayHello\",rpc_grpc_status_code=\"4\"} 7
rpc_server_call_duration_seconds_count{rpc_method=\"SayHelloStream\",rpc_grpc_status_code=\"0\"} 9
rpc_server_call_duration_seconds_sum{rpc_method=\"SayHello\",rpc_grpc_status_code=\"0\"} 0.5
rpc_server_call_duration_seconds_count{rpc_service=\"greeter.v1.Greeter\",rpc_method=\"SayHello\",rpc_grpc_status_code=\"0\"} 1234
";
        assert_eq!(served_say_hello(metrics), Some(1234));
        assert_eq!(served_say_hello("# nothing yet\n"), None);
    }

    #[test]
    fn a_drain_report_counts_evictions_and_the_budget_refusal() {
        let output = "node/kuberpc-node cordoned
evicting pod greeter-prod/greeter-a
evicting pod greeter-prod/greeter-b
error when evicting pods/\"greeter-b\" -n \"greeter-prod\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.
pod/greeter-a evicted
";
        assert_eq!(drain_report(output), (1, true));
        assert_eq!(drain_report("pod/a evicted\npod/b evicted\n"), (2, false));
    }

    #[test]
    fn the_pid_of_a_container_task() {
        let ls = "TASK    PID     STATUS\nabc     4242    RUNNING\nabcd    17      RUNNING\n";
        assert_eq!(task_pid(ls, "abc"), Some(4242));
        assert_eq!(task_pid(ls, "abcd"), Some(17));
        assert_eq!(task_pid(ls, "ab"), None);
    }

    #[test]
    fn journal_answers() {
        assert_eq!(appended("offset=3 pod=journal-0\n"), Some((3, "journal-0")));
        assert_eq!(appended("offset=x pod=journal-0"), None);
        let read = "0\tfirst\n3\te2e entry 42\n";
        assert!(has_entry(read, 3, "e2e entry 42"));
        assert!(!has_entry(read, 0, "e2e entry 42"));
        assert!(!has_entry(read, 3, "e2e entry 4"));
    }
}
