//! Certificates made for the test (a root CA, an intermediate, leaves expiring when
//! asked, self-signed ones) and TLS servers on loopback that present them, at once or
//! after a plain-text STARTTLS opening.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{Datelike, Utc};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Valid from midnight (UTC) of the day `from` days from today to midnight of the day
/// `to` days from today.
fn set_validity(params: &mut CertificateParams, from: i64, to: i64) {
    let date = |days: i64| (Utc::now() + chrono::Duration::days(days)).date_naive();
    let (start, end) = (date(from), date(to));
    params.not_before = rcgen::date_time_ymd(start.year(), start.month() as u8, start.day() as u8);
    params.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
}

fn params(names: &[&str], common_name: &str, from: i64, to: i64) -> CertificateParams {
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.distinguished_name.push(DnType::OrganizationName, "Watchkeeper Tests");
    set_validity(&mut params, from, to);
    params
}

fn ca_params(common_name: &str, to: i64) -> CertificateParams {
    let mut params = params(&[], common_name, -30, to);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

/// A chain to present and its key.
pub struct Served {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The leaf in PEM, as a `ca_file` that pins it holds it.
    pub pem: String,
}

/// A root CA and an intermediate it signed.
pub struct Pki {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// The intermediate expires in `intermediate_days`.
    pub fn new(intermediate_days: i64) -> Pki {
        let root = CertifiedIssuer::self_signed(ca_params("Test Root CA", 3650), KeyPair::generate().unwrap()).unwrap();
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("Test Intermediate CA", intermediate_days),
            KeyPair::generate().unwrap(),
            &root,
        )
        .unwrap();
        Pki { root, intermediate }
    }

    /// The root, as a `ca_file` holds it.
    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    /// A leaf for `names`, valid until `days` from today (negative: expired), issued by
    /// the intermediate and served with it.
    pub fn leaf(&self, names: &[&str], days: i64) -> Served {
        let key = KeyPair::generate().unwrap();
        let from = days.min(0) - 30;
        let leaf = params(names, names.first().copied().unwrap_or("leaf"), from, days)
            .signed_by(&key, &self.intermediate)
            .unwrap();
        Served {
            chain: vec![leaf.der().clone(), self.intermediate.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            pem: leaf.pem(),
        }
    }

    /// A leaf served without the intermediate that signed it.
    pub fn leaf_alone(&self, names: &[&str], days: i64) -> Served {
        let mut served = self.leaf(names, days);
        served.chain.truncate(1);
        served
    }
}

/// A certificate that signed itself; marked a CA when `ca` (as `openssl req -x509`
/// makes them).
pub fn self_signed(names: &[&str], days: i64, ca: bool) -> Served {
    let key = KeyPair::generate().unwrap();
    let mut params = params(names, names[0], -1, days);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).unwrap();
    Served {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        pem: cert.pem(),
    }
}

/// What a server says before its TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// TLS at once.
    Tls,
    /// SMTP's greeting, EHLO and STARTTLS.
    Smtp,
    /// SMTP that does not offer STARTTLS.
    SmtpWithoutTls,
    /// IMAP's greeting and a tagged STARTTLS.
    Imap,
    /// PostgreSQL's SSLRequest answered `S`.
    Postgres,
    /// TLS at once, answering every HTTP request `200 ok`.
    Https,
    /// Accepts, reads the client's hello, and never answers.
    Hang,
}

pub struct TlsServer {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<()>,
}

impl TlsServer {
    pub async fn start(served: Served, opening: Opening) -> TlsServer {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(served.chain, served.key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if opening == Opening::Https {
                        if let Ok(mut tls) = acceptor.accept(stream).await {
                            let mut request = vec![0u8; 4096];
                            while let Ok(1..) = tls.read(&mut request).await {
                                let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                                if tls.write_all(answer).await.is_err() {
                                    break;
                                }
                            }
                        }
                        return;
                    }
                    let ready = match opening {
                        Opening::Tls => true,
                        Opening::Https => unreachable!("answered above"),
                        Opening::Hang => {
                            let mut hello = [0u8; 512];
                            let _ = stream.read(&mut hello).await;
                            std::future::pending::<()>().await;
                            false
                        }
                        Opening::Smtp | Opening::SmtpWithoutTls => smtp(&mut stream, opening == Opening::Smtp).await,
                        Opening::Imap => {
                            let mut buffer = vec![0u8; 256];
                            stream.write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n").await.is_ok()
                                && matches!(stream.read(&mut buffer).await, Ok(n) if buffer[..n].ends_with(b" STARTTLS\r\n"))
                                && {
                                    let tag = buffer.split(|b| *b == b' ').next().unwrap_or(b"").to_vec();
                                    let mut reply = tag;
                                    reply.extend_from_slice(b" OK Begin TLS negotiation now\r\n");
                                    stream.write_all(b"* a line the client skips\r\n").await.is_ok()
                                        && stream.write_all(&reply).await.is_ok()
                                }
                        }
                        Opening::Postgres => {
                            let mut request = [0u8; 8];
                            stream.read_exact(&mut request).await.is_ok()
                                && request == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]
                                && stream.write_all(b"S").await.is_ok()
                        }
                    };
                    if ready {
                        if let Ok(mut tls) = acceptor.accept(stream).await {
                            let mut rest = Vec::new();
                            let _ = tls.read_to_end(&mut rest).await;
                        }
                    }
                });
            }
        });
        TlsServer { addr, accepted, task }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp(stream: &mut tokio::net::TcpStream, offers_tls: bool) -> bool {
    let mut buffer = vec![0u8; 1024];
    if stream.write_all(b"220 mail.test ESMTP ready\r\n").await.is_err() {
        return false;
    }
    let Ok(read) = stream.read(&mut buffer).await else { return false };
    if !buffer[..read].starts_with(b"EHLO") {
        return false;
    }
    let offer: &[u8] = if offers_tls {
        b"250-mail.test\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n"
    } else {
        b"250-mail.test\r\n250 SIZE 1000000\r\n"
    };
    if stream.write_all(offer).await.is_err() {
        return false;
    }
    let Ok(read) = stream.read(&mut buffer).await else { return false };
    buffer[..read].starts_with(b"STARTTLS") && stream.write_all(b"220 go ahead\r\n").await.is_ok()
}
