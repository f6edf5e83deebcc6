//! The standard Prometheus process metrics (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
//! `process_max_fds`, `process_threads`, `process_start_time_seconds`), read from `/proc` at
//! each scrape and encoded by `prometheus-client`. Elsewhere than Linux there are none.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// Clock ticks per second of `/proc/<pid>/stat` times: the kernel's USER_HZ, 100 on every
/// architecture Linux exports it for.
const TICKS_PER_SECOND: f64 = 100.0;

/// Collects this process's metrics at scrape time.
#[derive(Debug)]
pub(crate) struct ProcessCollector;

/// One reading of `/proc/self`.
#[derive(Debug, PartialEq)]
struct Reading {
    cpu_seconds: f64,
    threads: i64,
    start_time_seconds: f64,
    virtual_bytes: i64,
    resident_bytes: i64,
    open_fds: i64,
    max_fds: Option<i64>,
}

impl Reading {
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let boot = std::fs::read_to_string("/proc/stat").ok()?;
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as i64;
        Self::parse(&stat, &status, &boot, &limits, open_fds)
    }

    /// From the texts of `/proc/self/stat`, `/proc/self/status`, `/proc/stat` and
    /// `/proc/self/limits`.
    fn parse(stat: &str, status: &str, boot: &str, limits: &str, open_fds: i64) -> Option<Self> {
        // Fields after the command name, which is in parentheses and may contain spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // Field n of proc(5) (1-based, `state` is 3) is fields[n - 3].
        let number = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        let boot_time: f64 = boot.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()?;
        let rss_kib: i64 =
            status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
        let max_fds = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok());
        Some(Self {
            cpu_seconds: (number(14)? + number(15)?) / TICKS_PER_SECOND,
            threads: number(20)? as i64,
            start_time_seconds: boot_time + number(22)? / TICKS_PER_SECOND,
            virtual_bytes: number(23)? as i64,
            resident_bytes: rss_kib * 1024,
            open_fds,
            max_fds,
        })
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let Some(reading) = Reading::now() else { return Ok(()) };
        let cpu = ConstCounter::new(reading.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu",
            "User and system CPU time spent",
            Some(&Unit::Seconds),
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, Option<Unit>, Option<i64>); 5] = [
            ("process_resident_memory", "Resident memory size", Some(Unit::Bytes), Some(reading.resident_bytes)),
            ("process_virtual_memory", "Virtual memory size", Some(Unit::Bytes), Some(reading.virtual_bytes)),
            ("process_open_fds", "Open file descriptors", None, Some(reading.open_fds)),
            ("process_max_fds", "Limit of open file descriptors", None, reading.max_fds),
            ("process_threads", "OS threads", None, Some(reading.threads)),
        ];
        for (name, help, unit, value) in gauges {
            let Some(value) = value else { continue };
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, unit.as_ref(), gauge.metric_type())?)?;
        }
        let start = ConstGauge::new(reading.start_time_seconds);
        let help = "Start time of the process since the Unix epoch";
        start.encode(encoder.encode_descriptor(
            "process_start_time",
            help,
            Some(&Unit::Seconds),
            start.metric_type(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_texts_are_read_field_by_field() {
        // A command name with spaces and a parenthesis, as the kernel writes it.
        let stat = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 7 0 \
                    123400 104857600 2560 18446744073709551615";
        let status = "Name:\tserver\nVmRSS:\t   10240 kB\nThreads:\t7\n";
        let boot = "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1048576              1048576              files\n";
        let reading = Reading::parse(stat, status, boot, limits, 12).unwrap();
        assert_eq!(
            reading,
            Reading {
                cpu_seconds: 3.0,
                threads: 7,
                start_time_seconds: 1_700_001_234.0,
                virtual_bytes: 104_857_600,
                resident_bytes: 10_485_760,
                open_fds: 12,
                max_fds: Some(1_048_576),
            }
        );
    }

    #[test]
    fn this_process_can_be_read() {
        let reading = Reading::now().expect("/proc/self is readable on Linux");
        assert!(reading.resident_bytes > 0 && reading.threads >= 1 && reading.open_fds >= 3, "{reading:?}");
    }
}
