//! `kind = "tls"`: the certificate chain a server presents, read in a handshake of its
//! own: `cert_days` (days left on the soonest-expiring certificate of the chain, the
//! leaf included; negative once expired), the leaf's `issuer`, `subject` and `sans`,
//! and `latency`. The chain is verified against the system's roots (and `ca_file`),
//! and each way it fails is its own class: expired, for another name, self-signed,
//! not trusted. A handshake that fails before any certificate is `tls`. With
//! `starttls` it first speaks the protocol's plain-text opening (SMTP, IMAP, PostgreSQL).
//!
//! The handshake accepts whatever the server presents so that it can be read, then
//! ends: nothing is sent over the connection, so accepting an untrusted chain here
//! trusts it with nothing.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, Value};

pub const NAME: &str = "tls";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "shop-cert"
kind = "tls"
host = "shop.example.com"
interval = "1h"
expect = ["cert_days >= 14", "issuer contains \"Let's Encrypt\""]
alert = { severity = "warning" }"#;
pub const FIELDS: &[&str] = &["cert_days", "issuer", "subject", "sans", "latency"];
/// Too few days left is `cert_expiry`.
pub const FAILED: &[(&str, FailureClass)] = &[("cert_days", FailureClass::CertExpiry)];

/// The STARTTLS dialects it speaks.
pub const STARTTLS: &[&str] = &["smtp", "imap", "postgres"];
/// The longest line of a plain-text opening read before TLS starts.
const MAX_LINE: usize = 4096;
/// Lines of a multi-line SMTP reply read at most.
const MAX_LINES: usize = 64;
/// Subject alternative names kept.
const MAX_SANS: usize = 100;

/// The keys of a tls check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The host to connect to.
    #[schemars(with = "Option<String>")]
    pub host: Option<Spanned<String>>,
    /// The port (default 443; 587 or 25 with `starttls = "smtp"`, 143 with imap, 5432
    /// with postgres).
    #[schemars(with = "Option<u16>")]
    pub port: Option<Spanned<i64>>,
    /// The name the certificate must be valid for, sent as SNI (default `host`).
    #[schemars(with = "Option<String>")]
    pub server_name: Option<Spanned<String>>,
    /// Speak this protocol's plain-text opening first: `smtp`, `imap` or `postgres`.
    #[schemars(with = "Option<String>")]
    pub starttls: Option<Spanned<String>>,
    /// A PEM file of certificate authorities trusted besides the system's (an
    /// internal CA).
    #[schemars(with = "Option<String>")]
    pub ca_file: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTls {
    Smtp,
    Imap,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub host: String,
    pub port: u16,
    pub server_name: ServerName<'static>,
    pub starttls: Option<StartTls>,
    pub ca_file: Option<PathBuf>,
    /// The verifier of this check's roots, made at its first probe.
    verifier: Arc<OnceLock<Result<Trust, SetUpError>>>,
}

/// What a check trusts: the system's roots and `ca_file` (through `verifier`), and a
/// certificate in `ca_file` presented as the server's own (`pinned`: a self-signed
/// certificate the operator trusts, which webpki would refuse as a CA used as a leaf).
#[derive(Debug, Clone)]
struct Trust {
    verifier: Arc<WebPkiServerVerifier>,
    pinned: Arc<[CertificateDer<'static>]>,
}

/// Why a check's verification cannot be set up.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SetUpError {
    #[error("cannot read `ca_file` {path}: {why}")]
    CaFile { path: String, why: String },
    #[error("`ca_file` {0} holds no certificate")]
    EmptyCaFile(String),
    #[error("no trusted root certificates on this machine: install `ca-certificates`, or set `ca_file`")]
    NoRoots,
    #[error("cannot set up certificate verification: {0}")]
    Verifier(String),
}

/// Why a STARTTLS opening failed.
#[derive(Debug, thiserror::Error)]
pub enum OpeningError {
    #[error("the server closed the connection")]
    Closed,
    #[error("{0}")]
    Io(std::io::Error),
    #[error("a line longer than 4 KB")]
    LongLine,
    #[error("expected {expected}, got `{got}`")]
    Unexpected { expected: &'static str, got: String },
    #[error("the reply has too many lines")]
    TooManyLines,
    #[error("the server does not offer STARTTLS")]
    NotOffered,
    #[error("the server said `{0}`")]
    Refused(String),
    #[error("the server does not accept TLS (ssl = off)")]
    PostgresWithoutTls,
    #[error("unexpected answer byte {0:#04x}: is it PostgreSQL?")]
    NotPostgres(u8),
}

impl From<std::io::Error> for OpeningError {
    fn from(error: std::io::Error) -> OpeningError {
        match error.kind() {
            std::io::ErrorKind::UnexpectedEof => OpeningError::Closed,
            _ => OpeningError::Io(error),
        }
    }
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(host) = keys.host else {
        scope.needs("host", "add `host = \"example.com\"`");
        return None;
    };
    let starttls = match &keys.starttls {
        None => None,
        Some(dialect) => match dialect.get_ref().as_str() {
            "smtp" => Some(StartTls::Smtp),
            "imap" => Some(StartTls::Imap),
            "postgres" => Some(StartTls::Postgres),
            other => {
                scope.error(
                    &dialect.span(),
                    "starttls",
                    format_args!("unknown STARTTLS protocol `{other}`"),
                    format!("use one of: {}; leave it out for a port that speaks TLS at once", STARTTLS.join(", ")),
                );
                return None;
            }
        },
    };
    let default_port = match starttls {
        None => 443,
        Some(StartTls::Smtp) => 587,
        Some(StartTls::Imap) => 143,
        Some(StartTls::Postgres) => 5432,
    };
    let port = match &keys.port {
        None => default_port,
        Some(port) => super::tcp::port(port, scope)?,
    };
    let (name_text, name_span) = match &keys.server_name {
        Some(name) => (name.get_ref().clone(), name.span()),
        None => (host.get_ref().clone(), host.span()),
    };
    let bare = name_text.trim_start_matches('[').trim_end_matches(']');
    let server_name = match bare.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => match ServerName::try_from(bare.to_owned()) {
            Ok(name) => name,
            Err(_) => {
                let key = if keys.server_name.is_some() { "server_name" } else { "host" };
                scope.error(
                    &name_span,
                    key,
                    format_args!("`{name_text}` is not a host name"),
                    "write a name such as `example.com`",
                );
                return None;
            }
        },
    };
    let ca_file = keys.ca_file.map(|file| PathBuf::from(file.into_inner()));
    Some(Spec { host: host.into_inner(), port, server_name, starttls, ca_file, verifier: Arc::default() })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["cert_days >= 7".into()]
}

pub fn target(spec: &Spec) -> String {
    let host = if spec.host.contains(':') { format!("[{}]", spec.host) } else { spec.host.clone() };
    let name = spec.server_name.to_str();
    let sni = if name != spec.host.trim_start_matches('[').trim_end_matches(']') {
        format!(" as {name}")
    } else {
        String::new()
    };
    match spec.starttls {
        Some(dialect) => format!("{host}:{} ({} STARTTLS){sni}", spec.port, dialect.name()),
        None => format!("{host}:{}{sni}", spec.port),
    }
}

impl StartTls {
    fn name(self) -> &'static str {
        match self {
            StartTls::Smtp => "SMTP",
            StartTls::Imap => "IMAP",
            StartTls::Postgres => "PostgreSQL",
        }
    }
}

/// No breaker: a certificate near its end is no reason to stop looking
/// (its renewal would be seen late), and a check probed hourly spares nobody by it.
pub fn remote(_: &Spec) -> bool {
    false
}

/// Boxed: a handshake's future (a STARTTLS dialogue before it) is the largest of any
/// kind's, and every check's run, whatever its kind, would hold room for it.
pub fn probe<'a>(
    spec: &'a Spec,
    _: &ProbeContext,
    _: Duration,
    _: Duration,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Observation> + Send + 'a>> {
    Box::pin(handshake(spec))
}

async fn handshake(spec: &Spec) -> Observation {
    let started = Instant::now();
    let trust = match spec.verifier.get_or_init(|| trust_for(spec.ca_file.as_deref())) {
        Ok(trust) => trust.clone(),
        Err(why) => return Observation::failed(FailureClass::ProbeError, why.to_string()),
    };
    let mut stream = match super::tcp::connect(&spec.host, spec.port).await {
        Ok((stream, _)) => stream,
        Err(failed) => return failed,
    };
    if let Some(dialect) = spec.starttls {
        if let Err(why) = starttls(&mut stream, dialect).await {
            return Observation::failed(FailureClass::Tls, format!("{} STARTTLS failed: {why}", dialect.name()));
        }
    }
    let recording = Arc::new(Recording { inner: trust.verifier, pinned: trust.pinned, seen: Mutex::default() });
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map(|builder| builder.dangerous().with_custom_certificate_verifier(recording.clone()).with_no_client_auth());
    let config = match config {
        Ok(config) => config,
        Err(e) => return Observation::failed(FailureClass::ProbeError, format!("cannot set up TLS: {e}")),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = connector.connect(spec.server_name.clone(), stream).await;
    let latency = started.elapsed();
    let seen = recording.seen.lock().map(|mut seen| seen.take()).unwrap_or(None);
    let Some((chain, verified)) = seen else {
        let why = match handshake {
            Err(e) => e.to_string(),
            Ok(_) => "the server sent no certificate".to_owned(),
        };
        return Observation::failed(
            FailureClass::Tls,
            format!("the TLS handshake with {} failed: {why}", target(spec)),
        );
    };
    if let Ok(mut stream) = handshake {
        // A polite close; the answer does not matter.
        let _ = tokio::time::timeout(Duration::from_millis(100), stream.shutdown()).await;
    }
    let mut observation = observe(&chain, SystemTime::now());
    observation.latency = Some(latency);
    if let Err(error) = verified {
        let (class, why) = classify(&error, &chain, spec);
        observation.failure = Some(crate::model::Failure::new(class, format!("{why} ({})", observation.summary)));
        observation.summary = why;
    }
    observation
}

/// The process's crypto provider: the one reqwest uses too.
pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider())).clone()
}

/// The system's roots, read once.
pub(super) fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        roots
    })
}

fn trust_for(ca_file: Option<&std::path::Path>) -> Result<Trust, SetUpError> {
    let mut roots = system_roots().clone();
    let mut pinned = Vec::new();
    if let Some(path) = ca_file {
        let unreadable = |why: String| SetUpError::CaFile { path: path.display().to_string(), why };
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| unreadable(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(format!("not PEM certificates: {e}")))?;
        pinned.clone_from(&certificates);
        let (added, _) = roots.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(SetUpError::EmptyCaFile(path.display().to_string()));
        }
    }
    if roots.is_empty() {
        return Err(SetUpError::NoRoots);
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| SetUpError::Verifier(e.to_string()))?;
    Ok(Trust { verifier, pinned: pinned.into() })
}

/// Runs the real verification, keeps its verdict and the chain, and lets the
/// handshake end so the chain can be read whatever the verdict.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Arc<[CertificateDer<'static>]>,
    seen: Mutex<Option<Seen>>,
}

/// The chain a server presented, and the verdict of its verification.
type Seen = (Vec<CertificateDer<'static>>, Result<(), rustls::Error>);

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut verdict =
            self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now).map(|_| ());
        if verdict.is_err() && self.pinned.iter().any(|pinned| pinned.as_ref() == end_entity.as_ref()) {
            verdict = verify_pinned(end_entity, server_name, now);
        }
        let chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((chain, verdict));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A certificate the operator trusts as it is: still valid now, and for the name.
fn verify_pinned(cert: &CertificateDer<'_>, name: &ServerName<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let Some(facts) = facts(cert) else { return Err(rustls::Error::InvalidCertificate(CertificateError::BadEncoding)) };
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now > facts.not_after {
        return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    if now < facts.not_before {
        return Err(rustls::Error::InvalidCertificate(CertificateError::NotValidYet));
    }
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, name)
}

/// What one certificate says.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
}

/// Reads a certificate; `None` when it is not one.
pub fn facts(der: &[u8]) -> Option<CertFacts> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
                    16 => <[u8; 16]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
                    _ => None,
                },
                _ => None,
            })
            .take(MAX_SANS)
            .collect(),
        _ => Vec::new(),
    };
    Some(CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    })
}

/// Whole days from `now` to `not_after`, rounded down (negative once past it).
pub fn days_left(not_after: i64, now: SystemTime) -> i64 {
    let now = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    };
    not_after.saturating_sub(now).div_euclid(86_400)
}

/// The values a chain gives.
fn observe(chain: &[CertificateDer<'_>], now: SystemTime) -> Observation {
    let read: Vec<CertFacts> = chain.iter().filter_map(|c| facts(c)).collect();
    let Some(leaf) = read.first() else {
        return Observation::failed(FailureClass::Tls, "the server's certificate cannot be read");
    };
    let (soonest_at, soonest) = read.iter().enumerate().min_by_key(|(_, c)| c.not_after).unwrap_or((0, leaf));
    let days = days_left(soonest.not_after, now);
    let which = if soonest_at == 0 { String::new() } else { format!(" (chain: {})", soonest.subject) };
    let summary = format!("{} day{} left{which}; issued by {}", days, if days == 1 { "" } else { "s" }, leaf.issuer);
    Observation {
        values: vec![
            ("cert_days", Value::Int(days)),
            ("issuer", Value::Text(leaf.issuer.clone())),
            ("subject", Value::Text(leaf.subject.clone())),
            ("sans", Value::Json(serde_json::Value::from(leaf.sans.clone()))),
        ],
        summary,
        ..Default::default()
    }
}

/// The class of a failed verification, and why, for people.
fn classify(error: &rustls::Error, chain: &[CertificateDer<'_>], spec: &Spec) -> (FailureClass, String) {
    let leaf = chain.first().and_then(|c| facts(c));
    let name = spec.server_name.to_str();
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            (FailureClass::CertExpiry, "the certificate has expired".to_owned())
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => {
            (FailureClass::CertExpiry, "the certificate is not valid yet (or this machine's clock is wrong)".to_owned())
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            let sans =
                leaf.as_ref().map(|l| l.sans.join(", ")).filter(|s| !s.is_empty()).unwrap_or_else(|| "no name".into());
            (FailureClass::CertName, format!("the certificate is not valid for {name}: it names {sans}"))
        }
        _ if leaf.as_ref().is_some_and(|l| l.self_signed) => {
            (FailureClass::CertSelfSigned, "the certificate is self-signed and not trusted".to_owned())
        }
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            let issuer = leaf.map(|l| l.issuer).unwrap_or_default();
            (FailureClass::CertUntrusted, format!("the chain does not lead to a trusted root (issuer {issuer})"))
        }
        other => (FailureClass::CertUntrusted, format!("the certificate does not verify: {other}")),
    }
}

/// Speaks the plain-text opening that asks for TLS.
async fn starttls(stream: &mut TcpStream, dialect: StartTls) -> Result<(), OpeningError> {
    match dialect {
        StartTls::Smtp => {
            expect_reply(stream, "220").await?;
            stream.write_all(b"EHLO watchkeeper\r\n").await?;
            let offered = expect_reply(stream, "250").await?;
            if !offered.iter().any(|line| line.to_ascii_uppercase().contains("STARTTLS")) {
                return Err(OpeningError::NotOffered);
            }
            stream.write_all(b"STARTTLS\r\n").await?;
            expect_reply(stream, "220").await.map(|_| ())
        }
        StartTls::Imap => {
            let greeting = read_line(stream).await?;
            if !greeting.starts_with("* OK") {
                return Err(OpeningError::Unexpected { expected: "`* OK`", got: greeting });
            }
            stream.write_all(b"wk1 STARTTLS\r\n").await?;
            for _ in 0..MAX_LINES {
                let line = read_line(stream).await?;
                if let Some(status) = line.strip_prefix("wk1 ") {
                    return if status.starts_with("OK") {
                        Ok(())
                    } else {
                        Err(OpeningError::Refused(status.to_owned()))
                    };
                }
            }
            Err(OpeningError::TooManyLines)
        }
        StartTls::Postgres => {
            // SSLRequest: length 8, code 80877103.
            stream.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
            match stream.read_u8().await? {
                b'S' => Ok(()),
                b'N' => Err(OpeningError::PostgresWithoutTls),
                other => Err(OpeningError::NotPostgres(other)),
            }
        }
    }
}

/// An SMTP reply with `code` (multi-line: `250-…` until `250 …`); its lines.
async fn expect_reply(stream: &mut TcpStream, code: &'static str) -> Result<Vec<String>, OpeningError> {
    let mut lines = Vec::new();
    for _ in 0..MAX_LINES {
        let line = read_line(stream).await?;
        if !line.starts_with(code) {
            return Err(OpeningError::Unexpected { expected: code, got: line });
        }
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return Ok(lines);
        }
    }
    Err(OpeningError::TooManyLines)
}

/// One line, read a byte at a time so nothing past it (the TLS handshake) is taken.
async fn read_line(stream: &mut TcpStream) -> Result<String, OpeningError> {
    let mut line = Vec::new();
    loop {
        let byte = stream.read_u8().await?;
        if byte == b'\n' {
            let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_owned();
            return Ok(text.chars().take(200).collect());
        }
        if line.len() >= MAX_LINE {
            return Err(OpeningError::LongLine);
        }
        line.push(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_down_and_go_negative() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(days_left(1_000_000 + 86_400 * 10 + 5, now), 10);
        assert_eq!(days_left(1_000_000 + 86_399, now), 0);
        assert_eq!(days_left(1_000_000 - 1, now), -1);
        assert_eq!(days_left(i64::MIN, now), i64::MIN.div_euclid(86_400), "saturates, no overflow");
    }
}
