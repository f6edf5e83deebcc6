//! The resolved deployment the runtime reads: [`Deploy`] with its [`Lifecycle`],
//! [`ClientPolicy`] and one [`MethodPolicy`] per RPC, and the rules relating their fields.

use std::time::Duration;

use crate::{Caller, HttpRule, MutualTls, Web};

resolved! {
    /// How one service is deployed: generated as `<service>_deploy::DEPLOY` from the same
    /// options that rendered its manifests, so the runtime and the cluster agree.
    pub struct Deploy<
        S = &'static str,
        M = &'static [MethodPolicy<S>],
        C = &'static [Caller<S>],
        O = &'static [S],
        R = &'static [HttpRule<S>]
    > {
        /// App name: the Deployment, the Services and the `deploy/` directory carry it.
        pub app: S,
        /// Fully qualified gRPC service name, as health checks and reflection know it.
        pub service: S,
        /// The port the server binds; containerPort, Service port and probes use the same.
        pub port: u16,
        /// The headless Service over which clients balance across pods.
        pub headless_service: S,
        /// Whether the server answers gRPC reflection (`reflection`; health is always served).
        pub reflection: bool,
        /// How a pod stops: the drain, then the rest of the grace period.
        pub lifecycle: Lifecycle,
        /// Per-method call policy.
        pub methods: M,
        /// How clients call the service: default deadline, keepalive, ejection, retry budget.
        pub client: ClientPolicy,
        /// Mutual TLS (`mtls`), when on: the server then accepts only TLS from certified
        /// callers and checks each call against [`Deploy::callers`].
        pub mtls: Option<MutualTls<S>>,
        /// Who may call which methods, from the call graph of the whole system
        /// (`<service>_deploy::CALLERS`).
        pub callers: C,
        /// gRPC-Web (`web`), when on: the port also speaks HTTP/1.1 and answers browsers.
        pub web: Option<Web<O>>,
        /// REST bindings (`google.api.http` on the methods): with any, the port also speaks
        /// HTTP/1.1 and answers them with JSON.
        pub rest: R,
    }
}

impl Deploy {
    /// The policy of the method at HTTP/2 `path` (`/pkg.Service/Method`).
    pub fn method(&self, path: &str) -> Option<&'static MethodPolicy> {
        self.methods.iter().find(|m| m.path == path)
    }

    /// Whether the port speaks HTTP/1.1 beside HTTP/2: for gRPC-Web or REST.
    pub fn speaks_http1(&self) -> bool {
        self.web.is_some() || !self.rest.is_empty()
    }
}

resolved! {
    /// How a pod stops (`drain_seconds`, `termination_grace_seconds`): the preStop hook sleeps
    /// through the drain while the endpoints forget the pod; on SIGTERM the server drains once
    /// more, then in-flight calls finish within what is left of the grace period.
    pub struct Lifecycle for "" {
        /// Seconds a terminating pod keeps serving (the preStop sleep, then the server's drain).
        pub drain_seconds: u32 = 5,
        /// The pod's terminationGracePeriodSeconds.
        pub termination_grace_seconds: u32 = 30,
    }
}

impl Lifecycle {
    /// How long the server keeps serving after SIGTERM.
    pub fn drain(&self) -> Duration {
        Duration::from_secs(self.drain_seconds.into())
    }

    /// What the grace period leaves once one drain is over.
    pub fn after_drain(&self) -> Duration {
        Duration::from_secs(self.termination_grace_seconds.saturating_sub(self.drain_seconds).into())
    }

    /// The grace period holds the preStop drain, then the server's own drain after SIGTERM,
    /// then the in-flight calls: with two drains as long as the grace period, the kubelet
    /// would kill the pod before any call could finish.
    pub fn problem(&self) -> Option<String> {
        let Lifecycle { drain_seconds, termination_grace_seconds } = *self;
        (2 * u64::from(drain_seconds) >= u64::from(termination_grace_seconds)).then(|| {
            format!(
                "termination_grace_seconds ({termination_grace_seconds}) must exceed twice drain_seconds \
                 ({drain_seconds}): the preStop drain and the server's drain both run inside it, before \
                 in-flight calls finish"
            )
        })
    }
}

resolved! {
    /// How clients call one service (`client { … }`).
    pub struct ClientPolicy for "client." {
        /// Deadline of calls to methods without `timeout_ms`, when the caller sets none.
        pub default_timeout_ms: u64 = 30000,
        /// HTTP/2 keepalive ping interval on every connection to a pod.
        pub keepalive_interval_ms: u32 = 10000,
        /// How long a ping may go unanswered before the connection is closed.
        pub keepalive_timeout_ms: u32 = 2000,
        /// How long connecting to one pod may take.
        pub connect_timeout_ms: u32 = 1000,
        /// Failures in a row that eject a pod from the balancer (0: never eject).
        pub eject_after_failures: u32 = 5,
        /// How long the first ejection of a pod lasts; the n-th lasts n times as long (up to 10).
        pub base_ejection_ms: u32 = 30000,
        /// At most this percentage of the pods is ejected at once (at least one pod may be).
        pub max_ejection_percent: u32 = 50,
        /// Calls in flight to one pod beyond which it is skipped; when every pod is full a call
        /// fails at once with UNAVAILABLE (0: no limit).
        pub max_concurrent_requests: u32 = 1024,
        /// Retries and hedges may add at most this percentage of the calls made…
        pub retry_budget_percent: u32 = 20,
        /// …plus this many per second.
        pub min_retries_per_second: u32 = 10,
    }
}

resolved! {
    /// Call policy of one RPC (`(kuberpc.v1.method)`, and the RPC's streaming kind).
    pub struct MethodPolicy<S = &'static str> {
        /// `/pkg.Service/Method`.
        pub path: S,
        /// Default deadline, when the caller sets none.
        pub timeout_ms: Option<u64>,
        /// Safe to retry on UNAVAILABLE.
        pub idempotent: bool,
        /// The client sends a stream (such calls are never retried: the stream cannot be replayed).
        pub client_streaming: bool,
        /// The server answers with a stream (such calls get no default deadline: a watch may
        /// rightly last for hours).
        pub server_streaming: bool,
        /// For idempotent calls: when the pod picked has not answered after this long, the same
        /// call is also sent to another pod and the first answer wins.
        pub hedge_delay_ms: Option<u64>,
        /// The threshold of the method's latency objective (`slo.latency_ms`), if it has one:
        /// the server's call duration histogram gets a bucket bound there, so that the
        /// objective's rules count exactly.
        pub latency_objective_ms: Option<u64>,
    }
}

impl<S> MethodPolicy<S> {
    /// A unary method at `path` with no options written.
    pub const fn unary(path: S) -> Self {
        MethodPolicy {
            path,
            timeout_ms: None,
            idempotent: false,
            client_streaming: false,
            server_streaming: false,
            hedge_delay_ms: None,
            latency_objective_ms: None,
        }
    }

    /// The deadline of a call whose caller sets none: the method's own, else the service's
    /// default unless responses stream (a watch may rightly last for hours).
    pub fn deadline_ms(&self, client: &ClientPolicy) -> Option<u64> {
        self.timeout_ms.or((!self.server_streaming).then_some(client.default_timeout_ms))
    }

    /// Whether a failed call is retried: idempotent, and its request is one message that can
    /// be sent again.
    pub fn retries(&self) -> bool {
        self.idempotent && !self.client_streaming
    }

    /// The hedge delay as a duration.
    pub fn hedge_delay(&self) -> Option<Duration> {
        self.hedge_delay_ms.map(Duration::from_millis)
    }

    /// A hedge sends the same call twice: only an idempotent method that sends one request
    /// message may be hedged, and only when the hedge can start before the call's deadline.
    /// `method` names the RPC in the message.
    pub fn hedge_problem(&self, method: &str, client: &ClientPolicy) -> Option<String> {
        let delay = self.hedge_delay_ms?;
        let deadline = self.timeout_ms.unwrap_or(client.default_timeout_ms);
        if !self.idempotent {
            Some(format!("hedge_delay_ms on {method} needs `idempotent: true`: a hedge sends the call twice"))
        } else if self.client_streaming {
            Some(format!("hedge_delay_ms on {method}: a request stream cannot be sent twice"))
        } else if delay == 0 || delay >= deadline {
            Some(format!("hedge_delay_ms ({delay}) on {method} must be between 1 and the deadline ({deadline} ms)"))
        } else {
            None
        }
    }
}
