//! A small DNS responder on loopback, UDP and TCP on one port, built from hickory's
//! protocol types: a zone of records, and the ways a server misbehaves.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// How the responder answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From its zone: the records, NOERROR with none (no data), or NXDOMAIN.
    Zone,
    ServFail,
    Refused,
    /// Never answers.
    Hang,
    /// Over UDP an empty answer with the TC bit set; over TCP the zone's.
    Truncate,
    /// Over UDP the first half of the zone's answer, and nothing over TCP.
    CutShort,
    /// Bytes that are not DNS at all, with the query's id.
    Garbage,
}

pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Vec<Record>>>,
    mode: Arc<Mutex<Mode>>,
    /// Queries seen: (over TCP, name, type).
    pub seen: Arc<Mutex<Vec<(bool, String, RecordType)>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        // A free UDP port may be taken for TCP (another test's connection): take
        // another, a bounded number of times.
        let mut tries = 0;
        let (udp, tcp, addr) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
            let addr = udp.local_addr().unwrap();
            match TcpListener::bind(addr).await {
                Ok(tcp) => break (udp, tcp, addr),
                Err(_) if tries < 50 => tries += 1,
                Err(e) => panic!("no port free on both UDP and TCP after 50 tries: {e}"),
            }
        };
        let mut server = DnsServer {
            addr,
            zone: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Zone)),
            seen: Arc::default(),
            tasks: Vec::new(),
        };
        let (zone, mode, seen) = (server.zone.clone(), server.mode.clone(), server.seen.clone());
        let udp_task = tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            loop {
                let Ok((read, from)) = udp.recv_from(&mut buffer).await else { return };
                let Ok(query) = Message::from_vec(&buffer[..read]) else { continue };
                let mode = *mode.lock().unwrap();
                note(&seen, false, &query);
                let reply = match mode {
                    Mode::Hang => continue,
                    Mode::Truncate => {
                        let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
                        reply.add_queries(query.queries.clone());
                        reply.metadata.truncation = true;
                        reply.to_vec().unwrap()
                    }
                    Mode::CutShort => {
                        let full = answer(&zone, &query, Mode::Zone);
                        full[..full.len() / 2].to_vec()
                    }
                    Mode::Garbage => {
                        let mut bytes = query.metadata.id.to_be_bytes().to_vec();
                        bytes.extend_from_slice(b"\xff<html>not dns</html>");
                        bytes
                    }
                    mode => answer(&zone, &query, mode),
                };
                let _ = udp.send_to(&reply, from).await;
            }
        });
        let (zone, mode, seen) = (server.zone.clone(), server.mode.clone(), server.seen.clone());
        let tcp_task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = tcp.accept().await else { return };
                let (zone, mode, seen) = (zone.clone(), mode.clone(), seen.clone());
                tokio::spawn(async move {
                    let Ok(length) = stream.read_u16().await else { return };
                    let mut bytes = vec![0u8; usize::from(length)];
                    if stream.read_exact(&mut bytes).await.is_err() {
                        return;
                    }
                    let Ok(query) = Message::from_vec(&bytes) else { return };
                    note(&seen, true, &query);
                    let mode = *mode.lock().unwrap();
                    let reply = match mode {
                        Mode::Hang => return std::future::pending().await,
                        Mode::CutShort => return,
                        Mode::Truncate => answer(&zone, &query, Mode::Zone),
                        mode => answer(&zone, &query, mode),
                    };
                    let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&reply);
                    let _ = stream.write_all(&framed).await;
                });
            }
        });
        server.tasks = vec![udp_task, tcp_task];
        server
    }

    /// `spec` is the address in the form a check's `server` takes.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Adds a record: `add("app.test.", 300, RData::A(...))`.
    pub fn add(&self, name: &str, ttl: u32, data: RData) {
        self.zone.lock().unwrap().push(Record::from_rdata(Name::from_utf8(name).unwrap(), ttl, data));
    }

    pub fn clear(&self) {
        self.zone.lock().unwrap().clear();
    }

    pub fn over_tcp(&self) -> usize {
        self.seen.lock().unwrap().iter().filter(|(tcp, ..)| *tcp).count()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn note(seen: &Mutex<Vec<(bool, String, RecordType)>>, tcp: bool, query: &Message) {
    if let Some(q) = query.queries.first() {
        seen.lock().unwrap().push((tcp, q.name().to_utf8(), q.query_type()));
    }
}

fn answer(zone: &Mutex<Vec<Record>>, query: &Message, mode: Mode) -> Vec<u8> {
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.add_queries(query.queries.clone());
    reply.metadata.recursion_available = true;
    let Some(asked) = query.queries.first() else { return reply.to_vec().unwrap() };
    match mode {
        Mode::ServFail => reply.metadata.response_code = ResponseCode::ServFail,
        Mode::Refused => reply.metadata.response_code = ResponseCode::Refused,
        _ => {
            let zone = zone.lock().unwrap();
            let of_name: Vec<&Record> = zone.iter().filter(|r| r.name == *asked.name()).collect();
            if of_name.is_empty() {
                reply.metadata.response_code = ResponseCode::NXDomain;
            }
            for record in of_name {
                if record.record_type() == asked.query_type() || record.record_type() == RecordType::CNAME {
                    reply.add_answer(record.clone());
                }
            }
        }
    }
    reply.to_vec().unwrap()
}
