//! tcp: connect to host:port.

use std::time::Instant;

use crate::model::{FailureClass, Observation, Value};

pub async fn probe(host: &str, port: u16) -> Observation {
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
