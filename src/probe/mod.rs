//! Probes: one module per kind, each holding everything about its kind: its keys in a
//! `[[check]]` (whose doc comments are the user documentation), how they compile into
//! a valid `Spec`, the values its conditions may use, its default `expect`, how its
//! target reads for people, and the probe itself, which does its I/O and returns an
//! [`Observation`]. [`kinds!`] below is the one list of kinds: a new kind is a module
//! and a line there.
//!
//! A probe never touches the store, alerts or check state, and a failed probe is a
//! value (`Observation::failure`), not an `Err`. Timeouts are applied here as well as
//! by the engine (`guard`), so a probe that ignores its own deadline still ends.

pub mod alertmanager;
pub mod command;
pub mod dns;
pub mod docker;
pub mod file;
mod guard;
pub mod health;
pub mod heartbeat;
pub mod http;
mod http1;
pub mod itself;
pub mod local;
pub mod process;
pub mod prometheus;
#[cfg(test)]
pub mod scripted;
pub mod system;
pub mod tcp;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use toml::de::DeTable;

use crate::diagnostic::Scope;
use crate::figures::OwnFigures;
use crate::model::{FailureClass, Observation, Value};

pub use self::guard::guard;
pub use self::http::HttpClients;

/// What a kind may read of the rest of its `[[check]]` when it compiles.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// The check's `id`.
    pub id: &'a str,
    /// The check's `name`, when set.
    pub name: Option<&'a str>,
    /// Its `expect` and `degraded_if` conditions, as written.
    pub conditions: &'a [&'a str],
}

impl Common<'_> {
    /// Some condition of the check reads `field`.
    pub fn reads(&self, field: &str) -> bool {
        self.conditions
            .iter()
            .filter_map(|text| crate::condition::Condition::parse(text).ok())
            .any(|condition| condition.subject.root() == field)
    }
}

/// A probe kind as config compilation sees it.
pub struct Kind {
    /// `kind = "..."`.
    pub name: &'static str,
    /// A check of this kind in TOML, for the docs.
    pub example: &'static str,
    /// The values its conditions may use (`status`, `json`, `header`, ...).
    pub fields: &'static [&'static str],
    /// The JSON Schema of its keys.
    pub keys: fn() -> serde_json::Value,
    /// Compiles its keys (known to be its own) into a spec, reporting what is wrong.
    pub compile: fn(DeTable<'_>, std::ops::Range<usize>, Common<'_>, &mut Scope<'_, '_>) -> Option<ProbeSpec>,
}

impl Kind {
    /// The names of its keys.
    pub fn key_names(&self) -> Vec<String> {
        crate::diagnostic::key_names(&(self.keys)())
    }
}

/// Declares the kinds: `Variant => module`. Each module has `NAME`, `EXAMPLE`, `Keys`, `Spec`,
/// `FIELDS`, `FAILED`, `compile`, `default_expect`, `target`, `remote` and `probe`.
macro_rules! kinds {
    ($($(#[$attr:meta])* $variant:ident => $module:ident,)*) => {
        /// What to probe and how: one variant per probe kind.
        #[derive(Debug, Clone)]
        pub enum ProbeSpec {
            $($(#[$attr])* $variant($module::Spec),)*
        }

        impl ProbeSpec {
            /// The kind's name, as `kind = "..."` says it.
            pub fn kind(&self) -> &'static str {
                match self {
                    $($(#[$attr])* ProbeSpec::$variant(_) => $module::NAME,)*
                }
            }

            /// What is probed, for people: `GET https://…`, `db:5432`, `disk /`; secrets
            /// are shown as `••••`.
            pub fn target(&self) -> String {
                match self {
                    $($(#[$attr])* ProbeSpec::$variant(spec) => $module::target(spec),)*
                }
            }

            /// Remote checks go through a circuit breaker.
            pub fn is_remote(&self) -> bool {
                match self {
                    $($(#[$attr])* ProbeSpec::$variant(spec) => $module::remote(spec),)*
                }
            }

            /// `expect` when the check sets none.
            pub fn default_expect(&self) -> Vec<String> {
                match self {
                    $($(#[$attr])* ProbeSpec::$variant(spec) => $module::default_expect(spec),)*
                }
            }

            /// The failure class of a failed condition on `value` (`status` for http is
            /// `http_status`); `None` for a plain `condition` failure.
            pub fn failure_class_of(&self, value: &str) -> Option<FailureClass> {
                let classes = match self {
                    $($(#[$attr])* ProbeSpec::$variant(_) => $module::FAILED,)*
                };
                classes.iter().find(|(name, _)| *name == value).map(|(_, class)| *class)
            }

            async fn probe(&self, context: &ProbeContext, timeout: Duration, interval: Duration) -> Observation {
                match self {
                    $($(#[$attr])* ProbeSpec::$variant(spec) => $module::probe(spec, context, timeout, interval).await,)*
                }
            }
        }

        /// Every kind, in the order the documentation lists them.
        pub fn kinds() -> Vec<Kind> {
            let mut kinds = Vec::new();
            $(
                $(#[$attr])*
                kinds.push(Kind {
                    name: $module::NAME,
                    example: $module::EXAMPLE,
                    fields: $module::FIELDS,
                    keys: crate::diagnostic::table_schema::<$module::Keys>,
                    compile: |table, span, common, scope| {
                        let keys = scope.deserialize::<$module::Keys>(table, span)?;
                        $module::compile(keys, common, scope).map(ProbeSpec::$variant)
                    },
                });
            )*
            kinds
        }
    };
}

kinds! {
    Http => http,
    Tcp => tcp,
    Tls => tls,
    System => system,
    Process => process,
    Prometheus => prometheus,
    Alertmanager => alertmanager,
    Command => command,
    Dns => dns,
    Docker => docker,
    File => file,
    Heartbeat => heartbeat,
    Itself => itself,
    #[cfg(test)]
    Scripted => scripted,
}

/// What the parts a check reports are called (`component`, `alert`), and the class of
/// one that is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub one: &'static str,
    pub several: &'static str,
    pub down: FailureClass,
}

/// What a check measures besides its latency: the named value its results keep and its
/// chart draws, what it is called and its unit (`%`; empty for a plain number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    pub field: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
}

impl Measure {
    /// The measured value in an observation: a number, or the number a text starts with
    /// (a command's output, `42` or `42.5 items`).
    pub fn of(&self, observation: &Observation) -> Option<f64> {
        let value = match observation.value(self.field)?.as_ref() {
            Value::Int(v) => *v as f64,
            Value::Float(v) => *v,
            Value::Bytes(v) => *v as f64,
            Value::Duration(d) => d.as_secs_f64() * 1000.0,
            Value::Text(text) => text.split_whitespace().next()?.parse::<f64>().ok()?,
            Value::Bool(_) | Value::Json(_) => return None,
        };
        value.is_finite().then_some(value)
    }
}

impl ProbeSpec {
    /// What a check of this kind measures besides its latency, if anything.
    pub fn measure(&self) -> Option<Measure> {
        let measure = |field, label, unit| Some(Measure { field, label, unit });
        match self {
            ProbeSpec::System(spec) => match spec.metric {
                system::SystemMetric::Cpu => measure("value", "CPU", "%"),
                system::SystemMetric::Memory => measure("value", "memory used", "%"),
                system::SystemMetric::Swap => measure("value", "swap used", "%"),
                system::SystemMetric::Disk => measure("value", "disk used", "%"),
                system::SystemMetric::Load1 | system::SystemMetric::Load5 | system::SystemMetric::Load15 => {
                    measure("value", "load", "")
                }
            },
            ProbeSpec::Process(_) => measure("cpu", "CPU", "%"),
            ProbeSpec::Command(_) => measure("stdout", "output", ""),
            ProbeSpec::File(_) => measure("size", "size", "bytes"),
            ProbeSpec::Prometheus(_) => measure("value", "value", ""),
            _ => None,
        }
    }

    /// What the parts it reports are called, and the class of one that is down: a
    /// service's components, an Alertmanager's alerts, Prometheus' series.
    pub fn parts(&self) -> Parts {
        match self {
            ProbeSpec::Alertmanager(_) => Parts { one: "alert", several: "alerts", down: FailureClass::AlertFiring },
            ProbeSpec::Prometheus(_) => Parts { one: "series", several: "series", down: FailureClass::Component },
            _ => Parts { one: "component", several: "components", down: FailureClass::Component },
        }
    }

    /// `degraded_if` when the check sets none: a container that restarted since the
    /// last probe.
    pub fn default_degraded_if(&self) -> Vec<String> {
        match self {
            ProbeSpec::Docker(_) => vec!["restarted > 0".into()],
            _ => Vec::new(),
        }
    }

    /// The host it reaches, for kinds that reach one.
    pub fn host(&self) -> Option<String> {
        match self {
            ProbeSpec::Http(spec) => bare_host(&spec.url).map(str::to_owned),
            ProbeSpec::Tcp(spec) => Some(spec.host.clone()),
            ProbeSpec::Tls(spec) => Some(spec.host.clone()),
            ProbeSpec::Prometheus(spec) => bare_host(&spec.url).map(str::to_owned),
            ProbeSpec::Alertmanager(spec) => bare_host(&spec.url).map(str::to_owned),
            _ => None,
        }
    }

    /// What it watches is on this machine: a service on loopback, a process, a file, a
    /// command, a container, this machine itself. Its incidents' evidence adds who
    /// holds the port, the busiest processes, disk and memory. A heartbeat's job may
    /// run anywhere, and Watchkeeper's own figures are its own.
    pub fn on_this_machine(&self) -> bool {
        match self {
            ProbeSpec::Process(_)
            | ProbeSpec::Command(_)
            | ProbeSpec::System(_)
            | ProbeSpec::File(_)
            | ProbeSpec::Docker(_) => true,
            ProbeSpec::Heartbeat(_) | ProbeSpec::Itself(_) => false,
            #[cfg(test)]
            ProbeSpec::Scripted(_) => false,
            ProbeSpec::Dns(spec) => spec.server.is_some_and(|server| server.ip().is_loopback()),
            _ => !self.off_machine(),
        }
    }

    /// The port it reaches on its host, and how, for kinds that reach one: who listens
    /// on it is part of a local incident's evidence.
    pub fn port(&self) -> Option<(u16, local::Transport)> {
        let tcp = |port: Option<u16>| port.map(|port| (port, local::Transport::Tcp));
        match self {
            ProbeSpec::Http(spec) => tcp(spec.url.port_or_known_default()),
            ProbeSpec::Tcp(spec) => tcp(Some(spec.port)),
            ProbeSpec::Tls(spec) => tcp(Some(spec.port)),
            ProbeSpec::Prometheus(spec) => tcp(spec.url.port_or_known_default()),
            ProbeSpec::Alertmanager(spec) => tcp(spec.url.port_or_known_default()),
            ProbeSpec::Dns(spec) => spec.server.map(|server| (server.port(), local::Transport::Udp)),
            _ => None,
        }
    }

    /// What of its config must never be shown when it comes back in what a target
    /// says (an echoed header, a URL in an error): request header values and URL
    /// passwords, and a heartbeat's token. Short values (under 6 characters) are left
    /// out: masking `json` everywhere would hide more than it keeps.
    pub fn secrets(&self) -> Vec<&str> {
        let (url, headers): (Option<&reqwest::Url>, &[(String, crate::secret::Secret)]) = match self {
            ProbeSpec::Http(spec) => (Some(&spec.url), &spec.headers),
            ProbeSpec::Prometheus(spec) => (Some(&spec.url), &spec.headers),
            ProbeSpec::Alertmanager(spec) => (Some(&spec.url), &spec.headers),
            _ => (None, &[]),
        };
        let token = match self {
            ProbeSpec::Heartbeat(spec) => spec.token.as_ref().map(|token| token.expose()),
            _ => None,
        };
        url.and_then(|url| url.password())
            .into_iter()
            .chain(token)
            .chain(headers.iter().map(|(_, value)| value.expose()))
            .filter(|secret| secret.chars().count() >= 6)
            .collect()
    }

    /// Its target is off this machine (not a loopback or local name): "every remote
    /// check failed at once" points at the network, not at the services.
    pub fn off_machine(&self) -> bool {
        match self {
            ProbeSpec::Http(spec) => spec.url.host_str().is_some_and(|host| !is_local_host(host)),
            ProbeSpec::Tcp(spec) => !is_local_host(&spec.host),
            ProbeSpec::Tls(spec) => !is_local_host(&spec.host),
            ProbeSpec::Prometheus(spec) => spec.url.host_str().is_some_and(|host| !is_local_host(host)),
            ProbeSpec::Alertmanager(spec) => spec.url.host_str().is_some_and(|host| !is_local_host(host)),
            // The system's resolvers reach out even when the stub is on loopback.
            ProbeSpec::Dns(spec) => spec.server.is_none_or(|server| !server.ip().is_loopback()),
            _ => false,
        }
    }
}

/// A URL's host as a socket address or resolver takes it: an IPv6 literal without its
/// brackets.
pub fn bare_host(url: &reqwest::Url) -> Option<&str> {
    url.host_str().map(|host| host.trim_start_matches('[').trim_end_matches(']'))
}

/// `localhost`, a loopback address, or this machine's own name.
fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost"),
    }
}

/// Shared state the probes need: HTTP connection pools, the sysinfo snapshot, and the
/// engine's own figures for the `self` probe. Cheap to clone.
#[derive(Clone)]
pub struct ProbeContext {
    pub http: HttpClients,
    pub system: Arc<system::Sampler>,
    pub own: Arc<OwnFigures>,
    /// The heartbeat checks' pings.
    pub beats: Arc<heartbeat::Beats>,
}

impl ProbeContext {
    pub fn new(own: Arc<OwnFigures>) -> ProbeContext {
        ProbeContext {
            http: HttpClients::default(),
            system: Arc::new(system::Sampler::default()),
            own,
            beats: Arc::default(),
        }
    }

    /// Sets up, before any probe is timed, what these probes share: the HTTP pools.
    pub fn prepare<'a>(&self, specs: impl IntoIterator<Item = &'a ProbeSpec>) {
        for spec in specs {
            if let ProbeSpec::Http(http) = spec {
                self.http.prepare(http);
            }
        }
    }
}

impl Default for ProbeContext {
    fn default() -> ProbeContext {
        ProbeContext::new(Arc::new(OwnFigures::default()))
    }
}

/// Runs one probe, of a check probed every `interval`. The deadline bounds everything
/// the probe does. (Not an `async fn`, nor is `guarded`: each such layer would hold the
/// probe's future twice, as its argument and as what it awaits, and the engine boxes
/// this one for every run.)
pub fn run<'a>(
    context: &'a ProbeContext,
    spec: &'a ProbeSpec,
    timeout: Duration,
    interval: Duration,
) -> impl Future<Output = Observation> + 'a {
    tokio::time::timeout(timeout, spec.probe(context, timeout, interval)).map(move |outcome| {
        outcome.unwrap_or_else(|_| {
            Observation::failed(
                FailureClass::Timeout,
                format!("no answer within {}", crate::units::format_duration(timeout)),
            )
        })
    })
}

/// [`run`] under the [`guard`]: what the engine calls.
pub fn guarded<'a>(
    context: &'a ProbeContext,
    spec: &'a ProbeSpec,
    timeout: Duration,
    interval: Duration,
) -> impl Future<Output = Observation> + 'a {
    guard(run(context, spec, timeout, interval), timeout)
}
