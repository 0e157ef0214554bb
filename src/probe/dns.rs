//! `kind = "dns"`: asks a DNS server for a name's records, as a resolver would: over
//! UDP, again over TCP when the answer was truncated, under the probe's deadline.
//! `answers` (the records of the type asked, as text, sorted), `count`, `ttl` (the
//! lowest) and `latency` are its values. The messages are built and read by
//! hickory-proto; what a server answers is untrusted (a reply that is cut short, from
//! another query, or not DNS is its own failure, never a panic).
//!
//! Without `server` it asks the system's resolvers (`/etc/resolv.conf`, read each
//! probe, so a VPN's change is seen), the next one when one times out, fails or refuses,
//! as the C library does. The name is asked as written and fully qualified: no search
//! domains.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, Value};

pub const NAME: &str = "dns";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "mail-mx"
kind = "dns"
name = "example.com"
record = "MX"
server = "1.1.1.1"
expect = ["answers contains \"10 mail.example.com.\""]"#;
pub const FIELDS: &[&str] = &["answers", "count", "ttl", "latency"];
/// No record of the type asked is `dns`, like a name that does not resolve.
pub const FAILED: &[(&str, FailureClass)] = &[("count", FailureClass::Dns)];

/// The record types a check may ask for.
pub const RECORDS: &[&str] = &["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV"];
/// The largest UDP answer it asks for (EDNS): the size DNS flag day 2020 settled on.
const UDP_PAYLOAD: u16 = 1232;
/// Answers kept, and the length of each as text: a bounded observation.
const MAX_ANSWERS: usize = 64;
const MAX_ANSWER_TEXT: usize = 512;

/// The keys of a dns check; `name` (the check's own) is the name asked.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The record type: `A` (default), `AAAA`, `CNAME`, `MX`, `TXT`, `NS` or `SRV`.
    #[schemars(with = "Option<String>")]
    pub record: Option<Spanned<String>>,
    /// The server to ask: `1.1.1.1`, `10.0.0.53:5353`, `[2606:4700::1111]:53`; without
    /// it, the system's resolvers (`/etc/resolv.conf`).
    #[schemars(with = "Option<String>")]
    pub server: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub name: Name,
    pub record: RecordType,
    pub server: Option<SocketAddr>,
}

pub fn compile(keys: Keys, common: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(text) = common.name else {
        scope.needs("name", "add `name = \"example.com\"`: the name to look up");
        return None;
    };
    let name = match Name::from_utf8(text) {
        Ok(mut name) if !text.trim().is_empty() && !text.contains(char::is_whitespace) => {
            name.set_fqdn(true);
            name
        }
        Ok(_) => {
            scope.error(
                &scope.anchor(),
                "name",
                format_args!("`{text}` is not a DNS name"),
                "write a name such as `example.com`",
            );
            return None;
        }
        Err(e) => {
            scope.error(
                &scope.anchor(),
                "name",
                format_args!("`{text}` is not a DNS name: {e}"),
                "write a name such as `example.com`",
            );
            return None;
        }
    };
    let record = match &keys.record {
        None => RecordType::A,
        Some(record) => {
            let upper = record.get_ref().to_ascii_uppercase();
            match RECORDS.iter().find(|r| **r == upper).and_then(|r| r.parse::<RecordType>().ok()) {
                Some(record) => record,
                None => {
                    scope.error(
                        &record.span(),
                        "record",
                        format_args!("unknown record type `{}`", record.get_ref()),
                        format!("use one of: {}", RECORDS.join(", ")),
                    );
                    return None;
                }
            }
        }
    };
    let server = match &keys.server {
        None => None,
        Some(server) => match parse_server(server.get_ref()) {
            Some(address) => Some(address),
            None => {
                scope.error(
                    &server.span(),
                    "server",
                    format_args!("`{}` is not an IP address with an optional port", server.get_ref()),
                    "write `1.1.1.1`, `10.0.0.53:5353` or `[2606:4700::1111]:53`",
                );
                return None;
            }
        },
    };
    Some(Spec { name, record, server })
}

/// `1.1.1.1`, `1.1.1.1:53`, `::1`, `[::1]:5353`.
fn parse_server(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return (address.port() != 0).then_some(address);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53))
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["count >= 1".into()]
}

/// The name as people write it: without the root's dot.
fn shown_name(spec: &Spec) -> String {
    let name = spec.name.to_utf8();
    name.strip_suffix('.').map(str::to_owned).unwrap_or(name)
}

pub fn target(spec: &Spec) -> String {
    let name = shown_name(spec);
    match spec.server {
        Some(server) if server.port() == 53 => format!("{} {name} @{}", spec.record, server.ip()),
        Some(server) => format!("{} {name} @{server}", spec.record),
        None => format!("{} {name}", spec.record),
    }
}

pub fn remote(_: &Spec) -> bool {
    true
}

pub async fn probe(spec: &Spec, _: &ProbeContext, timeout: Duration, _: Duration) -> Observation {
    let started = Instant::now();
    let deadline = started + timeout;
    let servers = match spec.server {
        Some(server) => vec![server],
        None => system_servers().await,
    };
    let query = match query_for(spec) {
        Ok(query) => query,
        Err(e) => return Observation::failed(FailureClass::ProbeError, format!("cannot build the query: {e}")),
    };
    let mut last = None;
    for (i, server) in servers.iter().enumerate() {
        // Each server left gets an equal share of the time left.
        let share = deadline.saturating_duration_since(Instant::now()) / (servers.len() - i) as u32;
        let answered = exchange(*server, &query, Instant::now() + share).await;
        let observation = observe(spec, *server, answered, started.elapsed());
        let next = servers.len() > i + 1
            && observation.failure.as_ref().is_some_and(|f| {
                matches!(
                    f.class,
                    FailureClass::Timeout
                        | FailureClass::Servfail
                        | FailureClass::DnsRefused
                        | FailureClass::Refused
                        | FailureClass::Connection
                )
            });
        if !next {
            return observation;
        }
        last = Some(observation);
    }
    last.unwrap_or_else(|| Observation::failed(FailureClass::ProbeError, "no DNS server to ask"))
}

/// The query, with its id.
struct Asked {
    id: u16,
    bytes: Vec<u8>,
}

fn query_for(spec: &Spec) -> Result<Asked, hickory_proto::ProtoError> {
    let mut message = Message::query();
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(spec.name.clone(), spec.record));
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    message.set_edns(edns);
    Ok(Asked { id: message.metadata.id, bytes: message.to_vec()? })
}

/// The servers `/etc/resolv.conf` names, in order; the C library's default (this
/// machine) when it names none or cannot be read.
async fn system_servers() -> Vec<SocketAddr> {
    servers_in(&tokio::fs::read("/etc/resolv.conf").await.unwrap_or_default())
}

/// The servers a resolv.conf names; this machine's when it names none or is not one.
fn servers_in(resolv_conf: &[u8]) -> Vec<SocketAddr> {
    let servers: Vec<SocketAddr> = match resolv_conf::Config::parse(resolv_conf) {
        Ok(config) => config.nameservers.iter().map(|ip| SocketAddr::new(IpAddr::from(ip.clone()), 53)).collect(),
        Err(_) => Vec::new(),
    };
    if servers.is_empty() {
        vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)]
    } else {
        servers
    }
}

/// Why no answer could be read.
#[derive(Debug)]
enum Fault {
    Timeout,
    Io(std::io::Error),
    Unreadable(String),
}

/// One question to one server: UDP, then TCP when the answer is truncated.
async fn exchange(server: SocketAddr, query: &Asked, deadline: Instant) -> Result<Message, Fault> {
    let deadline = tokio::time::Instant::from_std(deadline);
    let answer = tokio::time::timeout_at(deadline, over_udp(server, query)).await.map_err(|_| Fault::Timeout)??;
    if !answer.metadata.truncation {
        return Ok(answer);
    }
    tokio::time::timeout_at(deadline, over_tcp(server, query)).await.map_err(|_| Fault::Timeout)?
}

async fn over_udp(server: SocketAddr, query: &Asked) -> Result<Message, Fault> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = tokio::net::UdpSocket::bind(local).await.map_err(Fault::Io)?;
    socket.connect(server).await.map_err(Fault::Io)?;
    socket.send(&query.bytes).await.map_err(Fault::Io)?;
    let mut buffer = vec![0u8; usize::from(UDP_PAYLOAD).max(4096)];
    loop {
        let read = socket.recv(&mut buffer).await.map_err(Fault::Io)?;
        let Some(reply) = buffer.get(..read) else { continue };
        // Another query's late answer (its id differs) is not ours: keep waiting.
        if reply.len() >= 2 && u16::from_be_bytes([reply[0], reply[1]]) != query.id {
            continue;
        }
        return Message::from_vec(reply).map_err(|e| Fault::Unreadable(e.to_string()));
    }
}

async fn over_tcp(server: SocketAddr, query: &Asked) -> Result<Message, Fault> {
    let mut stream = tokio::net::TcpStream::connect(server).await.map_err(Fault::Io)?;
    let length = u16::try_from(query.bytes.len()).map_err(|_| Fault::Unreadable("the query is too long".into()))?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(&query.bytes);
    stream.write_all(&framed).await.map_err(Fault::Io)?;
    let length = stream.read_u16().await.map_err(|e| cut_short(e, "its length"))?;
    let mut reply = vec![0u8; usize::from(length)];
    stream.read_exact(&mut reply).await.map_err(|e| cut_short(e, "the whole reply"))?;
    if reply.len() >= 2 && u16::from_be_bytes([reply[0], reply[1]]) != query.id {
        return Err(Fault::Unreadable("the reply answers another query (its id differs)".into()));
    }
    Message::from_vec(&reply).map_err(|e| Fault::Unreadable(e.to_string()))
}

fn cut_short(error: std::io::Error, what: &str) -> Fault {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        Fault::Unreadable(format!("the server closed the connection before sending {what}"))
    } else {
        Fault::Io(error)
    }
}

/// What the answer (or its absence) says.
fn observe(spec: &Spec, server: SocketAddr, answered: Result<Message, Fault>, latency: Duration) -> Observation {
    let name = shown_name(spec);
    let answer = match answered {
        Ok(answer) => answer,
        Err(Fault::Timeout) => {
            return Observation::failed(FailureClass::Timeout, format!("{server} did not answer for {name} in time"));
        }
        Err(Fault::Io(e)) => {
            return Observation::failed(super::tcp::io_class(&e), format!("cannot ask {server}: {e}"));
        }
        Err(Fault::Unreadable(why)) => {
            return Observation::failed(FailureClass::Dns, format!("the reply of {server} cannot be read: {why}"));
        }
    };
    let code = answer.metadata.response_code;
    let class = match code {
        ResponseCode::NoError => None,
        ResponseCode::NXDomain => Some(FailureClass::Nxdomain),
        ResponseCode::ServFail => Some(FailureClass::Servfail),
        ResponseCode::Refused => Some(FailureClass::DnsRefused),
        _ => Some(FailureClass::Dns),
    };
    if let Some(class) = class {
        let what = match code {
            ResponseCode::NXDomain => "does not exist".to_owned(),
            ResponseCode::ServFail => "could not be resolved (the server failed)".to_owned(),
            ResponseCode::Refused => "was refused".to_owned(),
            other => format!("got an error ({other})"),
        };
        let mut observation = Observation::failed(class, format!("{name} {what}: {} from {server}", rcode_name(code)));
        observation.latency = Some(latency);
        return observation;
    }
    let mut ttl = None::<u32>;
    let mut answers: Vec<String> = answer
        .answers
        .iter()
        .filter(|record| record.record_type() == spec.record)
        .take(MAX_ANSWERS)
        .map(|record| {
            ttl = Some(ttl.map_or(record.ttl, |t| t.min(record.ttl)));
            let mut text = match &record.data {
                RData::TXT(txt) => txt.to_string(),
                other => other.to_string(),
            };
            if text.len() > MAX_ANSWER_TEXT {
                text.truncate(crate::units::prefix(&text, MAX_ANSWER_TEXT).len());
                text.push('…');
            }
            text
        })
        .collect();
    answers.sort();
    let count = answers.len();
    let summary = if count == 0 {
        format!("no {} record for {name} (from {server})", spec.record)
    } else {
        let shown: Vec<&str> = answers.iter().take(3).map(String::as_str).collect();
        let more = if count > 3 { format!(" and {} more", count - 3) } else { String::new() };
        format!("{}{more} (from {server})", shown.join(", "))
    };
    let mut values =
        vec![("answers", Value::Json(serde_json::Value::from(answers))), ("count", Value::Int(count as i64))];
    if let Some(ttl) = ttl {
        values.push(("ttl", Value::Duration(Duration::from_secs(u64::from(ttl)))));
    }
    Observation { latency: Some(latency), values, summary, ..Default::default() }
}

/// The response code as DNS people write it.
fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("RCODE {}", u16::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_addresses_with_an_optional_port() {
        assert_eq!(parse_server("1.1.1.1"), Some("1.1.1.1:53".parse().unwrap()));
        assert_eq!(parse_server("10.0.0.53:5353"), Some("10.0.0.53:5353".parse().unwrap()));
        assert_eq!(parse_server("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_server("[::1]"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_server("[::1]:5353"), Some("[::1]:5353".parse().unwrap()));
        assert_eq!(parse_server("dns.google"), None);
        assert_eq!(parse_server("1.1.1.1:0"), None);
    }

    #[test]
    fn the_system_servers_come_from_resolv_conf() {
        let conf = b"# by NetworkManager\nsearch lan\nnameserver 10.0.0.53\nnameserver fd00::53\noptions ndots:1\n";
        assert_eq!(servers_in(conf), ["10.0.0.53:53".parse().unwrap(), "[fd00::53]:53".parse().unwrap()]);
        assert_eq!(servers_in(b""), ["127.0.0.1:53".parse().unwrap()], "none named: this machine, as libc does");
        assert_eq!(servers_in(b"\xff\xfe garbage"), ["127.0.0.1:53".parse().unwrap()]);
    }

    #[test]
    fn what_a_query_is_asked_as() {
        let spec = Spec { name: Name::from_utf8("example.com").unwrap(), record: RecordType::MX, server: None };
        let asked = query_for(&spec).unwrap();
        let message = Message::from_vec(&asked.bytes).unwrap();
        assert_eq!(message.metadata.id, asked.id);
        assert!(message.metadata.recursion_desired);
        assert_eq!(message.queries[0].query_type(), RecordType::MX);
        assert_eq!(message.max_payload(), UDP_PAYLOAD);
    }
}
