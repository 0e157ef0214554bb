//! `kind = "tcp"`: connect to host:port; `latency` and `connected` are its values.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, Value};

pub const NAME: &str = "tcp";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "db"
kind = "tcp"
host = "db.internal"
port = 5432"#;
pub const FIELDS: &[&str] = &["latency", "connected"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The keys of a tcp check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The host to connect to.
    #[schemars(with = "Option<String>")]
    pub host: Option<Spanned<String>>,
    /// The port to connect to.
    #[schemars(with = "Option<u16>")]
    pub port: Option<Spanned<i64>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub host: String,
    pub port: u16,
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    // Both said at once when both are missing.
    if keys.host.is_none() {
        scope.needs("host", "add `host = \"127.0.0.1\"`");
    }
    if keys.port.is_none() {
        scope.needs("port", "add `port = 5432`");
    }
    let (Some(host), Some(port)) = (keys.host, keys.port) else { return None };
    let number = self::port(&port, scope)?;
    Some(Spec { host: host.into_inner(), port: number })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["connected == true".into()]
}

pub fn target(spec: &Spec) -> String {
    format!("{}:{}", spec.host, spec.port)
}

pub fn remote(_: &Spec) -> bool {
    true
}

pub async fn probe(spec: &Spec, _: &ProbeContext, _: Duration, _: Duration) -> Observation {
    let started = Instant::now();
    match connect(&spec.host, spec.port).await {
        Ok((_stream, address)) => Observation {
            latency: Some(started.elapsed()),
            values: vec![("connected", Value::Bool(true))],
            summary: format!("connected to {address}"),
            ..Default::default()
        },
        Err(mut failed) => {
            if failed.failure.as_ref().is_some_and(|f| f.class != FailureClass::Dns) {
                failed.values.push(("connected", Value::Bool(false)));
            }
            failed
        }
    }
}

/// A `port` key: 1 to 65535, or an error on it.
pub(super) fn port(port: &Spanned<i64>, scope: &mut Scope<'_, '_>) -> Option<u16> {
    match u16::try_from(*port.get_ref()) {
        Ok(number @ 1..) => Some(number),
        _ => {
            scope.error(
                &port.span(),
                "port",
                format_args!("must be 1 to 65535, got {}", port.get_ref()),
                "fix the port number",
            );
            None
        }
    }
}

/// Connects to `host:port`, each address it resolves to in turn: the stream and the
/// address that answered, or the failure classified (`dns`, `refused`, `timeout`,
/// `connection`). The tcp and tls kinds' one way to a port.
pub(super) async fn connect(host: &str, port: u16) -> Result<(tokio::net::TcpStream, SocketAddr), Observation> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect::<Vec<_>>(),
        Err(e) => return Err(Observation::failed(FailureClass::Dns, format!("cannot resolve `{host}`: {e}"))),
    };
    let mut last_error = None;
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok((stream, address)),
            Err(e) => last_error = Some((address, e)),
        }
    }
    Err(match last_error {
        Some((address, e)) => Observation::failed(io_class(&e), format!("cannot connect to {address}: {e}")),
        None => Observation::failed(FailureClass::Dns, format!("`{host}` resolves to no address")),
    })
}

/// The class of a failed connection or exchange: refused, timed out, or another fault.
pub(super) fn io_class(error: &std::io::Error) -> FailureClass {
    match error.kind() {
        std::io::ErrorKind::ConnectionRefused => FailureClass::Refused,
        std::io::ErrorKind::TimedOut => FailureClass::Timeout,
        _ => FailureClass::Connection,
    }
}
