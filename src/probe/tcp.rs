//! `kind = "tcp"`: connect to host:port; `latency` and `connected` are its values.

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
    let Some(host) = keys.host else {
        scope.needs("host", "add `host = \"127.0.0.1\"`");
        return None;
    };
    let Some(port) = keys.port else {
        scope.needs("port", "add `port = 5432`");
        return None;
    };
    let Ok(number @ 1..) = u16::try_from(*port.get_ref()) else {
        scope.error(
            &port.span(),
            "port",
            format_args!("must be 1 to 65535, got {}", port.get_ref()),
            "fix the port number",
        );
        return None;
    };
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
    let (host, port) = (spec.host.as_str(), spec.port);
    let started = Instant::now();
    let addresses = match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect::<Vec<_>>(),
        Err(e) => return Observation::failed(FailureClass::Dns, format!("cannot resolve `{host}`: {e}")),
    };
    let mut last_error = None;
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(_stream) => {
                let latency = started.elapsed();
                return Observation {
                    latency: Some(latency),
                    values: vec![("connected", Value::Bool(true))],
                    summary: format!("connected to {address}"),
                    ..Default::default()
                };
            }
            Err(e) => last_error = Some((address, e)),
        }
    }
    match last_error {
        Some((address, e)) => {
            let class = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => FailureClass::Refused,
                std::io::ErrorKind::TimedOut => FailureClass::Timeout,
                _ => FailureClass::Connection,
            };
            let mut observation = Observation::failed(class, format!("cannot connect to {address}: {e}"));
            observation.values.push(("connected", Value::Bool(false)));
            observation
        }
        None => Observation::failed(FailureClass::Dns, format!("`{host}` resolves to no address")),
    }
}
