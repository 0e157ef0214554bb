//! HTTP/1.1 as a probe needs it: one request, its answer read by the probe's own task,
//! and the connection kept for the next probe of the same origin.
//!
//! The http checks' client. A general client (reqwest over hyper) runs each connection
//! as a task of its own behind a channel, and its layers (redirects, retries) parse the
//! URL again on every request: at 500 checks a second against one origin that was more
//! CPU per check than the rest of the probe and the engine together, and some 48 KB of
//! buffers and channels per kept connection. Here a kept connection is its socket and
//! nothing else: the request is one write, the answer is read into a buffer that lives
//! as long as the read, and no other task is woken.
//!
//! What it reads: a status line and headers (at most `MAX_HEAD`), then a body framed by
//! `Content-Length`, chunked, or by the end of the connection, up to the caller's cap.
//! Informational answers (`1xx`) are skipped. A connection is kept only when its answer
//! was read exactly to its end and neither side said `Connection: close`. A kept
//! connection found closed (or holding bytes nobody asked for) when it is taken again
//! is left; one that fails before any byte of the answer is replaced by a new one once,
//! for a request that may be sent twice (GET, HEAD, PUT, DELETE...): servers close idle
//! connections when they like. New connections race the host's two address families
//! (RFC 8305).
//!
//! A leaf: it knows sockets, TLS and HTTP framing, nothing of checks.

use std::collections::{HashMap, VecDeque};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::AsRawFd as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::tls::SetUpError;
use crate::secret::Secret;

/// The most bytes of status line and headers read.
const MAX_HEAD: usize = 64 * 1024;
/// The most headers an answer may have.
const MAX_HEADERS: usize = 128;
/// The longest line of a chunked body's framing (a size and its extensions, a trailer).
const MAX_LINE: usize = 8 * 1024;
/// An idle connection older than this is closed rather than used.
const IDLE_FOR: Duration = Duration::from_secs(90);
/// How often every origin's idle connections are looked over for old ones.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Idle connections kept per origin: as many as probes can be in flight to it (many
/// checks of one service, due together). Fewer, and every probe past them opens a new
/// connection (measured: at 500 checks of one origin a second, 32 made 80 reconnects a
/// second and cost a fifth more CPU per check); they are bounded by the probes in
/// flight and closed after `IDLE_FOR`.
const IDLE_PER_ORIGIN: usize = 1024;

/// One request.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a reqwest::Url,
    pub headers: &'a [(String, Secret)],
    pub body: Option<&'a [u8]>,
    /// Asks the server to close the connection after its answer (`Connection: close`).
    pub close: bool,
    pub verify_tls: bool,
    /// The largest body read.
    pub max_body: u64,
}

/// An answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names in lower case, values as text (invalid UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    /// `None`: the body is larger than the cap.
    pub body: Option<Vec<u8>>,
    /// The server's own certificate, over TLS.
    pub certificate: Option<CertificateDer<'static>>,
}

impl Response {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request has no answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot resolve `{host}`: {why}")]
    Dns { host: String, why: String },
    #[error("connection refused ({0})")]
    Refused(SocketAddr),
    #[error("cannot connect to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("the TLS handshake with {0} failed: {1}")]
    Tls(String, std::io::Error),
    #[error("{0}")]
    TlsSetUp(SetUpError),
    #[error("the connection failed: {0}")]
    Io(std::io::Error),
    #[error("the server closed the connection before it answered")]
    Closed,
    #[error("not an HTTP answer: {0}")]
    Invalid(String),
    #[error("{0}")]
    Request(String),
}

/// What the first read of an answer takes: a health answer's head and body fit, and
/// the buffer stays under the size where glibc's malloc sorts its free lists first
/// (1 KB), which every probe paid for.
const FIRST_READ: usize = 512;

/// A connection: a socket, with TLS where the URL is https.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(socket) => socket.write_all(bytes).await,
            Stream::Tls(tls) => {
                tls.write_all(bytes).await?;
                tls.flush().await
            }
        }
    }

    async fn read_buf(&mut self, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
        match self {
            Stream::Plain(socket) => socket.read_buf(buffer).await,
            Stream::Tls(tls) => tls.read_buf(buffer).await,
        }
    }

    /// Whether a kept connection can still carry a request, found without waiting: the
    /// server has not closed it, nor sent anything unasked (a late `408`, bytes past
    /// its last answer), which the next request would take for its answer. `sure`
    /// asks the socket itself; else a socket the runtime has seen nothing arrive on
    /// since its last answer was read whole is taken as quiet without a system call
    /// (the runtime learns of a close at its next poll: a request sent in that instant
    /// fails as `Closed`, and one that may be sent twice is sent again).
    fn usable(&mut self, sure: bool) -> bool {
        match self {
            Stream::Plain(socket) => {
                let fd = socket.as_raw_fd();
                let peek = || {
                    let mut byte = 0u8;
                    // SAFETY: a non-blocking peek of one byte into `byte`, on our own
                    // open socket.
                    let peeked =
                        unsafe { libc::recv(fd, (&raw mut byte).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
                    if peeked < 0 {
                        Err(std::io::Error::last_os_error())
                    } else {
                        Ok(peeked)
                    }
                };
                // Nothing to read: open and quiet; 0: closed; more: unasked.
                let peeked = if sure { peek() } else { socket.try_io(tokio::io::Interest::READABLE, peek) };
                matches!(peeked, Err(e) if e.kind() == ErrorKind::WouldBlock)
            }
            // One read, polled once: over TLS a session ticket is taken by rustls and
            // reads as nothing (still pending); data, the end or an error is not usable.
            Stream::Tls(tls) => {
                let mut byte = [0u8; 1];
                tls.read(&mut byte).now_or_never().is_none()
            }
        }
    }
}

/// Where a connection goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    tls: bool,
    host: String,
    port: u16,
    verify_tls: bool,
}

impl Origin {
    fn of(url: &reqwest::Url, verify_tls: bool) -> Result<Origin, Error> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(Error::Request(format!("`{other}:` URLs cannot be requested: use http or https"))),
        };
        let host = url.host_str().ok_or_else(|| Error::Request(format!("{url} has no host")))?;
        let port = url.port_or_known_default().unwrap_or(if tls { 443 } else { 80 });
        // Whether certificates are checked matters only where there are certificates.
        Ok(Origin { tls, host: host.to_owned(), port, verify_tls: tls && verify_tls })
    }

    /// The host as a resolver takes it: an IPv6 literal without its brackets.
    fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

struct Idle {
    stream: Stream,
    since: Instant,
}

/// The kept connections, by origin, most recently used last. Cheap to clone.
#[derive(Clone, Default)]
pub struct Connections {
    inner: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    idle: HashMap<Origin, VecDeque<Idle>>,
    swept: Option<Instant>,
}

impl Connections {
    /// A kept connection to `origin` that can still carry a request (`sure`: as the
    /// socket itself says, for a request that must not be sent twice).
    fn take(&self, origin: &Origin, sure: bool) -> Option<Stream> {
        let mut kept = crate::panics::lock(&self.inner);
        let idle = kept.idle.get_mut(origin)?;
        while let Some(mut last) = idle.pop_back() {
            if last.since.elapsed() < IDLE_FOR && last.stream.usable(sure) {
                return Some(last.stream);
            }
        }
        None
    }

    /// Keeps `stream` for the next request to `origin`.
    fn keep(&self, origin: &Origin, stream: Stream) {
        let now = Instant::now();
        let mut kept = crate::panics::lock(&self.inner);
        if kept.swept.is_none_or(|at| now.duration_since(at) >= SWEEP_EVERY) {
            kept.swept = Some(now);
            kept.idle.retain(|_, idle| {
                idle.retain(|i| now.duration_since(i.since) < IDLE_FOR);
                !idle.is_empty()
            });
        }
        if !kept.idle.contains_key(origin) {
            kept.idle.insert(origin.clone(), VecDeque::new());
        }
        let Some(idle) = kept.idle.get_mut(origin) else { return };
        while idle.front().is_some_and(|i| now.duration_since(i.since) >= IDLE_FOR) {
            idle.pop_front();
        }
        if idle.len() < IDLE_PER_ORIGIN {
            idle.push_back(Idle { stream, since: now });
        }
    }

    /// Connections kept now, over all origins.
    #[cfg(test)]
    fn idle(&self) -> usize {
        crate::panics::lock(&self.inner).idle.values().map(VecDeque::len).sum()
    }

    /// Sends `request` and reads its answer, on a kept connection where there is one.
    pub async fn send(&self, request: &Request<'_>) -> Result<Response, Error> {
        let origin = Origin::of(request.url, request.verify_tls)?;
        let head = head(request, &origin)?;
        if let Some(mut stream) = self.take(&origin, !idempotent(request.method)) {
            match exchange(&mut stream, &head, request).await {
                // The server had closed it meanwhile: once more on a new connection,
                // for a request that may be sent twice (RFC 9112 9.3.1): a POST the
                // server took before it closed would be made again.
                Err(Error::Closed) if idempotent(request.method) => {}
                Ok((response, keep)) => {
                    if keep {
                        self.keep(&origin, stream);
                    }
                    return Ok(response);
                }
                Err(e) => return Err(e),
            }
        }
        // Boxed: a new connection is the rare case, and its future (a TLS handshake, two
        // address families raced) would double the size of every probe's.
        let mut stream = Box::pin(connect(&origin)).await?;
        let (response, keep) = exchange(&mut stream, &head, request).await?;
        if keep {
            self.keep(&origin, stream);
        }
        Ok(response)
    }

    /// Builds, ahead of the first request, what an https request needs: the system's
    /// roots are read once, and on a busy machine that takes longer than a short
    /// timeout.
    pub fn prepare(url: &reqwest::Url, verify_tls: bool) {
        if url.scheme() == "https" {
            let _ = tls_config(verify_tls);
        }
    }
}

/// Whether a request may be sent again without a second effect (RFC 9110 9.2.2).
fn idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE")
}

/// The request line and headers, and the body.
fn head(request: &Request<'_>, origin: &Origin) -> Result<Vec<u8>, Error> {
    let url = request.url;
    let body = request.body.unwrap_or_default();
    let mut head = String::with_capacity(160 + body.len());
    head.push_str(request.method);
    head.push(' ');
    head.push_str(url.path());
    if let Some(query) = url.query() {
        head.push('?');
        head.push_str(query);
    }
    head.push_str(" HTTP/1.1\r\n");
    let given = |name: &str| request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !given("host") {
        head.push_str("host: ");
        head.push_str(&origin.host);
        if url.port().is_some() {
            head.push(':');
            head.push_str(&origin.port.to_string());
        }
        head.push_str("\r\n");
    }
    if !given("user-agent") {
        head.push_str(concat!("user-agent: watchkeeper/", env!("CARGO_PKG_VERSION"), "\r\n"));
    }
    if !given("accept") {
        head.push_str("accept: */*\r\n");
    }
    // Credentials in the URL (`https://user:password@host/`) are sent as Basic auth.
    if (!url.username().is_empty() || url.password().is_some()) && !given("authorization") {
        let mut credentials = percent_decoded(url.username());
        credentials.push(b':');
        credentials.extend(percent_decoded(url.password().unwrap_or_default()));
        head.push_str("authorization: Basic ");
        head.push_str(&base64(&credentials));
        head.push_str("\r\n");
    }
    for (name, value) in request.headers {
        let value = value.expose();
        let bad = |text: &str| text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
        if name.is_empty() || bad(name) || name.contains(':') || bad(value) {
            return Err(Error::Request(format!(
                "the header `{}` cannot be sent: a line break or `:` in it",
                name.trim()
            )));
        }
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if request.close && !given("connection") {
        head.push_str("connection: close\r\n");
    }
    let sends_body = request.body.is_some() || matches!(request.method, "POST" | "PUT" | "PATCH");
    if sends_body && !given("content-length") {
        head.push_str("content-length: ");
        head.push_str(&body.len().to_string());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// `text` with its `%XX` escapes decoded (a URL's user name and password).
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = bytes.get(at + 1..at + 3).filter(|_| bytes[at] == b'%');
        match escaped.and_then(|hex| std::str::from_utf8(hex).ok()).and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    decoded
}

/// Standard base64 (RFC 4648), padded.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= group.len() {
                encoded.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// A new connection to `origin`: each address its host resolves to in turn, then TLS
/// for https.
async fn connect(origin: &Origin) -> Result<Stream, Error> {
    let host = origin.bare_host();
    let addresses = tokio::net::lookup_host((host, origin.port))
        .await
        .map_err(|e| Error::Dns { host: host.to_owned(), why: e.to_string() })?;
    let addresses: Vec<SocketAddr> = addresses.collect();
    let socket = match eyeballs(&addresses).await {
        Ok(socket) => socket,
        Err(Some((address, e))) if e.kind() == ErrorKind::ConnectionRefused => return Err(Error::Refused(address)),
        Err(Some((address, e))) => return Err(Error::Connect(address, e)),
        Err(None) => return Err(Error::Dns { host: host.to_owned(), why: "it resolves to no address".to_owned() }),
    };
    // A request is one write and waits for its answer: nothing to gain from Nagle.
    let _ = socket.set_nodelay(true);
    if !origin.tls {
        return Ok(Stream::Plain(socket));
    }
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| Error::Request(format!("`{host}` is not a name a certificate can be for: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(tls_config(origin.verify_tls)?);
    let tls =
        connector.connect(name, socket).await.map_err(|e| Error::Tls(format!("{}:{}", origin.host, origin.port), e))?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// How long the first family of addresses is tried alone before the other joins in.
const FALLBACK_AFTER: Duration = Duration::from_millis(300);

/// Connects to one of `addresses` (a host's, in its resolver's order), the two address
/// families raced as RFC 8305 ("happy eyeballs") has it: the first family's addresses
/// in turn, and `FALLBACK_AFTER` later (or as soon as they fail) the other's, so that
/// an IPv6 route that drops packets costs 300 ms, not the check's timeout. `Err` holds
/// the last failure, `None` when there was no address.
async fn eyeballs(addresses: &[SocketAddr]) -> Result<TcpStream, Option<(SocketAddr, std::io::Error)>> {
    let Some(head) = addresses.first() else { return Err(None) };
    let (first, other): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addresses.iter().partition(|address| address.is_ipv6() == head.is_ipv6());
    let mut first = std::pin::pin!(in_turn(first));
    if other.is_empty() {
        return first.await;
    }
    tokio::select! {
        connected = &mut first => {
            return match connected {
                Ok(socket) => Ok(socket),
                Err(_) => in_turn(other).await,
            };
        }
        () = tokio::time::sleep(FALLBACK_AFTER) => {}
    }
    let mut other = std::pin::pin!(in_turn(other));
    tokio::select! {
        connected = &mut first => match connected {
            Ok(socket) => Ok(socket),
            Err(_) => other.await,
        },
        connected = &mut other => match connected {
            Ok(socket) => Ok(socket),
            Err(_) => first.await,
        },
    }
}

/// Each of `addresses` in turn, until one connects.
async fn in_turn(addresses: Vec<SocketAddr>) -> Result<TcpStream, Option<(SocketAddr, std::io::Error)>> {
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(socket) => return Ok(socket),
            Err(e) => last = Some((address, e)),
        }
    }
    Err(last)
}

/// The TLS set-up of every https request: the system's roots, or (`verify_tls =
/// false`) any certificate the server shows.
fn tls_config(verify: bool) -> Result<Arc<rustls::ClientConfig>, Error> {
    type Made = Result<Arc<rustls::ClientConfig>, SetUpError>;
    static CONFIGS: [OnceLock<Made>; 2] = [OnceLock::new(), OnceLock::new()];
    CONFIGS[usize::from(verify)]
        .get_or_init(|| {
            let provider = super::tls::provider();
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| SetUpError::Verifier(e.to_string()))?;
            let mut config = if verify {
                let roots = super::tls::system_roots();
                if roots.is_empty() {
                    return Err(SetUpError::NoRoots);
                }
                builder.with_root_certificates(roots.clone()).with_no_client_auth()
            } else {
                let any = Arc::new(AnyCertificate(provider));
                builder.dangerous().with_custom_certificate_verifier(any).with_no_client_auth()
            };
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(Error::TlsSetUp)
}

/// `verify_tls = false`: any certificate is taken as the server's, its signatures on
/// the handshake still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How an answer's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    /// At the end of the connection (which then cannot be kept).
    Close,
}

/// Writes the request and reads its answer: the answer, and whether the connection
/// can carry another request.
async fn exchange(stream: &mut Stream, head: &[u8], request: &Request<'_>) -> Result<(Response, bool), Error> {
    stream.write_all(head).await.map_err(|e| match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Error::Closed,
        _ => Error::Io(e),
    })?;
    let mut reader = Reader { stream, buffer: Vec::with_capacity(FIRST_READ), at: 0 };
    let mut first = true;
    let (status, headers, version) = loop {
        let (parsed, status, headers, version) = reader.head(first).await?;
        first = false;
        reader.at += parsed;
        // An informational answer (100 Continue, 103 Early Hints) comes before the one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        break (status, headers, version);
    };
    let mut keep = !request.close && version == 1;
    let mut framing = Framing::Close;
    let mut lengths = None::<u64>;
    let mut chunked = false;
    let mut transfer_coded = false;
    for (name, value) in &headers {
        match name.as_str() {
            "connection" => {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        keep = false;
                    } else if token.eq_ignore_ascii_case("keep-alive") && version == 0 && !request.close {
                        keep = true;
                    }
                }
            }
            "transfer-encoding" => {
                transfer_coded = true;
                chunked = value.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            }
            "content-length" => {
                let length: u64 =
                    value.trim().parse().map_err(|_| Error::Invalid(format!("`Content-Length: {value}`")))?;
                if lengths.is_some_and(|seen| seen != length) {
                    return Err(Error::Invalid("two different Content-Length headers".to_owned()));
                }
                lengths = Some(length);
            }
            _ => {}
        }
    }
    if request.method == "HEAD" || status == 204 || status == 304 || status == 101 || (100..200).contains(&status) {
        framing = Framing::Empty;
    } else if transfer_coded {
        framing = if chunked { Framing::Chunked } else { Framing::Close };
    } else if let Some(length) = lengths {
        framing = Framing::Length(length);
    }
    // Both lengths, or chunks in HTTP/1.0: read as RFC 9112 6.3 says, never trusted
    // with another request.
    if framing == Framing::Close || status == 101 || (transfer_coded && (lengths.is_some() || version == 0)) {
        keep = false;
    }
    let certificate = match reader.stream {
        Stream::Tls(tls) => {
            tls.get_ref().1.peer_certificates().and_then(|chain| chain.first()).map(|c| c.clone().into_owned())
        }
        Stream::Plain(_) => None,
    };
    let body = reader.body(framing, request.max_body).await?;
    // Bytes past the answer: nobody asked for them, and the connection is not to be
    // trusted with the next request.
    keep &= body.is_some() && reader.at == reader.buffer.len();
    Ok((Response { status, headers, body, certificate }, keep))
}

/// An answer read from a connection: `buffer[at..]` is read and not yet taken.
struct Reader<'s> {
    stream: &'s mut Stream,
    buffer: Vec<u8>,
    at: usize,
}

impl Reader<'_> {
    /// Reads more; `false` at the end of the connection.
    async fn more(&mut self) -> Result<bool, Error> {
        if self.at == self.buffer.len() {
            self.buffer.clear();
            self.at = 0;
        } else if self.at > 0 && self.at >= self.buffer.len() / 2 {
            self.buffer.drain(..self.at);
            self.at = 0;
        }
        if self.buffer.capacity() - self.buffer.len() < 512 {
            self.buffer.reserve(self.buffer.capacity().clamp(1024, 64 * 1024));
        }
        let read = self.stream.read_buf(&mut self.buffer).await.map_err(|e| match e.kind() {
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => Error::Closed,
            _ => Error::Io(e),
        })?;
        Ok(read > 0)
    }

    fn unread(&self) -> &[u8] {
        &self.buffer[self.at..]
    }

    /// The status line and headers: their length, the status, the headers and the
    /// minor version. `first`: the first answer to the request (not after a `1xx`).
    async fn head(&mut self, first: bool) -> Result<(usize, u16, Vec<(String, String)>, u8), Error> {
        // Nothing of any answer read yet.
        let mut first = first && self.at == self.buffer.len();
        loop {
            if self.at < self.buffer.len() {
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut slots);
                match response.parse(self.unread()) {
                    Ok(httparse::Status::Complete(length)) => {
                        let headers = response
                            .headers
                            .iter()
                            .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                            .collect();
                        return Ok((length, response.code.unwrap_or(0), headers, response.version.unwrap_or(1)));
                    }
                    Ok(httparse::Status::Partial) if self.unread().len() > MAX_HEAD => {
                        return Err(Error::Invalid(format!("headers longer than {} KB", MAX_HEAD / 1024)));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => {
                        return Err(Error::Invalid(format!("more than {MAX_HEADERS} headers")));
                    }
                    Err(e) => return Err(Error::Invalid(e.to_string())),
                }
            }
            match self.more().await {
                Ok(true) => first = false,
                // Closed (or reset) before a byte of the answer: the kept connection
                // had been closed; a new one is tried by the caller.
                Ok(false) | Err(Error::Closed) if first => return Err(Error::Closed),
                Ok(false) => return Err(Error::Invalid("the connection closed inside the headers".to_owned())),
                Err(e) => return Err(e),
            }
        }
    }

    /// The body, up to `max` bytes (`None` past that).
    async fn body(&mut self, framing: Framing, max: u64) -> Result<Option<Vec<u8>>, Error> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let mut body = Vec::new();
        match framing {
            Framing::Empty => {}
            Framing::Length(length) => {
                let Some(length) = usize::try_from(length).ok().filter(|&l| l <= max) else { return Ok(None) };
                body.reserve_exact(length);
                self.take(&mut body, length, "the connection closed inside the body").await?;
            }
            Framing::Close => loop {
                let unread = self.unread().len();
                if body.len() + unread > max {
                    return Ok(None);
                }
                body.extend_from_slice(self.unread());
                self.at += unread;
                match self.more().await {
                    Ok(true) => {}
                    Ok(false) | Err(Error::Closed) => break,
                    Err(e) => return Err(e),
                }
            },
            Framing::Chunked => loop {
                let line = self.line().await?;
                let size = line.split(|&b| b == b';').next().unwrap_or_default();
                let size = std::str::from_utf8(size)
                    .ok()
                    .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                    .ok_or_else(|| Error::Invalid(format!("a chunk size `{}`", String::from_utf8_lossy(&line))))?;
                if size == 0 {
                    // Trailers, up to an empty line.
                    let mut trailers = 0;
                    while !self.line().await?.is_empty() {
                        trailers += 1;
                        if trailers > MAX_HEADERS {
                            return Err(Error::Invalid(format!("more than {MAX_HEADERS} trailers")));
                        }
                    }
                    break;
                }
                if body.len().saturating_add(size) > max {
                    return Ok(None);
                }
                self.take(&mut body, size, "the connection closed inside a chunk").await?;
                if !self.line().await?.is_empty() {
                    return Err(Error::Invalid("a chunk longer than its size".to_owned()));
                }
            },
        }
        Ok(Some(body))
    }

    /// Moves `length` bytes to `body`.
    async fn take(&mut self, body: &mut Vec<u8>, length: usize, closed: &str) -> Result<(), Error> {
        let mut left = length;
        while left > 0 {
            if self.at == self.buffer.len() && !self.more_or(closed).await? {
                return Err(Error::Invalid(closed.to_owned()));
            }
            let n = left.min(self.buffer.len() - self.at);
            body.extend_from_slice(&self.buffer[self.at..self.at + n]);
            self.at += n;
            left -= n;
        }
        Ok(())
    }

    /// A line of a chunked body's framing, without its CRLF.
    async fn line(&mut self) -> Result<Vec<u8>, Error> {
        loop {
            if let Some(end) = self.unread().windows(2).position(|w| w == b"\r\n") {
                let line = self.unread()[..end].to_vec();
                self.at += end + 2;
                return Ok(line);
            }
            if self.unread().len() > MAX_LINE {
                return Err(Error::Invalid(format!("a chunked body's line longer than {} KB", MAX_LINE / 1024)));
            }
            if !self.more_or("the connection closed inside a chunked body").await? {
                return Err(Error::Invalid("the connection closed inside a chunked body".to_owned()));
            }
        }
    }

    /// [`more`](Self::more), a reset being the end the caller names.
    async fn more_or(&mut self, closed: &str) -> Result<bool, Error> {
        match self.more().await {
            Err(Error::Closed) => Err(Error::Invalid(closed.to_owned())),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback server that answers each request (the bytes up to a blank line) with
    /// the next of `answers`, on one connection closed after the last, and records what
    /// it was asked.
    async fn server(answers: Vec<&'static [u8]>) -> (reqwest::Url, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/health?x=1", listener.local_addr().unwrap())).unwrap();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        tokio::spawn(async move {
            let mut answers = answers.into_iter().peekable();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while let Ok(n @ 1..) = socket.read(&mut chunk).await {
                    request.extend_from_slice(&chunk[..n]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    log.lock().unwrap().push(String::from_utf8_lossy(&request[..end]).into_owned());
                    request.drain(..end + 4);
                    let Some(answer) = answers.next() else { return };
                    // After its last answer, the server closes the connection.
                    if socket.write_all(answer).await.is_err() || answers.peek().is_none() {
                        break;
                    }
                }
            }
        });
        (url, asked)
    }

    fn get(url: &reqwest::Url) -> Request<'_> {
        Request { method: "GET", url, headers: &[], body: None, close: false, verify_tls: true, max_body: 1000 }
    }

    #[tokio::test]
    async fn answers_framed_each_way_are_read_whole_on_one_kept_connection() {
        let (url, asked) = server(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\nX-Multi: \xff\r\n\r\n",
        ])
        .await;
        let connections = Connections::default();
        let one = connections.send(&get(&url)).await.unwrap();
        assert_eq!((one.status, one.body.as_deref()), (200, Some(&b"hello"[..])));
        let two = connections.send(&get(&url)).await.unwrap();
        assert_eq!((two.status, two.body.as_deref()), (201, Some(&b"abcde"[..])), "1xx skipped, chunks joined");
        let three = connections.send(&get(&url)).await.unwrap();
        assert_eq!((three.status, three.body.as_deref()), (204, Some(&b""[..])));
        let four = connections.send(&get(&url)).await.unwrap();
        assert_eq!(four.status, 500);
        assert_eq!(four.header("x-multi"), Some("\u{fffd}"), "invalid UTF-8 is replaced, names are lower case");
        assert_eq!(connections.idle(), 1, "one connection served them all");
        let asked = asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 4);
        let port = url.port().unwrap();
        assert_eq!(
            asked[0],
            format!(
                "GET /health?x=1 HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nuser-agent: watchkeeper/{}\r\naccept: */*",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[tokio::test]
    async fn a_body_past_the_cap_or_to_the_end_of_the_connection_is_not_kept() {
        let (url, _) = server(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"]).await;
        let connections = Connections::default();
        assert_eq!(connections.send(&get(&url)).await.unwrap().body, None, "over the cap by its length");
        assert_eq!(connections.idle(), 0);
        let (url, _) = server(vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n"]).await;
        assert_eq!(connections.send(&get(&url)).await.unwrap().body, None, "over the cap by a chunk's size");
        let (url, _) = server(vec![b"HTTP/1.0 200 OK\r\n\r\nuntil the end"]).await;
        let response = tokio::time::timeout(Duration::from_secs(5), async {
            // The server closes after its last answer.
            connections.send(&get(&url)).await
        });
        let answer = response.await.unwrap().unwrap();
        assert_eq!(answer.body.as_deref(), Some(&b"until the end"[..]));
        assert_eq!(connections.idle(), 0, "read to its end: not kept");
    }

    #[tokio::test]
    async fn what_is_not_http_is_refused_with_why() {
        for (answer, why) in [
            (&b"SSH-2.0-OpenSSH_9.2p1\r\n\r\n"[..], "not an HTTP answer"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "two different Content-Length"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a chunk size `zz`"),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
                "a chunk longer than its size",
            ),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "closed inside the body"),
            (b"HTTP/1.1 200 OK\r\nX-A: b\r\n", "closed inside the headers"),
        ] {
            let (url, _) = server(vec![answer]).await;
            let error = Connections::default().send(&get(&url)).await.unwrap_err().to_string();
            assert!(error.contains(why), "{why}: {error}");
        }
        let header = [(String::from("x-evil"), Secret::plain("a\r\nHost: elsewhere".to_owned()))];
        let (url, _) = server(vec![]).await;
        let request = Request { headers: &header, ..get(&url) };
        let refused = Connections::default().send(&request).await.unwrap_err();
        assert!(matches!(refused, Error::Request(_)), "{refused}");
    }

    /// A kept connection the server closed is replaced by a new one, once, unseen by
    /// the caller.
    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_replaced() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            // Each connection: one answer, then closed.
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut chunk = [0u8; 1024];
                let _ = socket.read(&mut chunk).await;
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
            }
        });
        let connections = Connections::default();
        for round in 0..3 {
            let answer = connections.send(&get(&url)).await.unwrap();
            assert_eq!(answer.body.as_deref(), Some(&b"ok"[..]), "round {round}");
        }
    }

    /// Bytes a server sends after its answer (a late `408`) are never read as the next
    /// request's answer: the connection is left, the next request gets its own.
    #[tokio::test]
    async fn a_kept_connection_with_unasked_bytes_is_left() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let (written, late) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut written = Some(written);
            while let Ok((mut socket, _)) = listener.accept().await {
                let first = written.take();
                tokio::spawn(async move {
                    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                    let mut chunk = [0u8; 1024];
                    if let Some(written) = first {
                        let _ = socket.read(&mut chunk).await;
                        let _ = socket.write_all(ok).await;
                        let _ = socket.write_all(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n").await;
                        // On loopback a write returns once the client's socket holds it.
                        let _ = written.send(());
                    }
                    while let Ok(1..) = socket.read(&mut chunk).await {
                        let _ = socket.write_all(ok).await;
                    }
                });
            }
        });
        let connections = Connections::default();
        assert_eq!(connections.send(&get(&url)).await.unwrap().status, 200);
        late.await.unwrap();
        let second = connections.send(&get(&url)).await.unwrap();
        assert_eq!(second.status, 200, "the late 408 is not this request's answer");
    }

    /// A request that is not idempotent is not sent again when its kept connection
    /// closes before an answer: the server may have acted on it.
    #[tokio::test]
    async fn a_post_is_never_sent_twice() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let posts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = posts.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut chunk = [0u8; 1024];
                    while let Ok(n @ 1..) = socket.read(&mut chunk).await {
                        if chunk[..n].starts_with(b"POST") {
                            // Taken, then the connection dropped without an answer.
                            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            return;
                        }
                        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
                    }
                });
            }
        });
        let connections = Connections::default();
        assert_eq!(connections.send(&get(&url)).await.unwrap().status, 200, "a kept connection");
        let post = Request { method: "POST", body: Some(b"x"), ..get(&url) };
        let failed = connections.send(&post).await.unwrap_err();
        assert!(matches!(failed, Error::Closed), "{failed}");
        assert_eq!(posts.load(std::sync::atomic::Ordering::SeqCst), 1, "sent once");
    }

    /// The other address family is tried when the first fails; with every address
    /// refused, the refusal is what is told.
    #[tokio::test]
    async fn a_failing_address_family_falls_back_to_the_other() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = open.local_addr().unwrap().port();
        let closed = {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap().port()
        };
        let v6: SocketAddr = format!("[::1]:{closed}").parse().unwrap();
        let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let socket = eyeballs(&[v6, v4]).await.expect("the IPv4 address answers");
        assert_eq!(socket.peer_addr().unwrap(), v4);
        let refused: SocketAddr = format!("127.0.0.1:{closed}").parse().unwrap();
        match eyeballs(&[refused]).await {
            Err(Some((address, e))) => assert_eq!((address, e.kind()), (refused, ErrorKind::ConnectionRefused)),
            other => panic!("refused: {other:?}"),
        }
        assert!(matches!(eyeballs(&[]).await, Err(None)), "no address");
    }

    #[test]
    fn credentials_in_the_url_are_sent_as_basic_auth() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(percent_decoded("p%40ss%3Aword%2"), b"p@ss:word%2");
        let url = reqwest::Url::parse("http://Aladdin:open%20sesame@127.0.0.1:8080/").unwrap();
        let origin = Origin::of(&url, true).unwrap();
        let head = String::from_utf8(head(&get(&url), &origin).unwrap()).unwrap();
        assert!(head.contains("\r\nauthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"), "{head}");
        let own = [(String::from("Authorization"), Secret::plain("Bearer t".to_owned()))];
        let head = String::from_utf8(head_of(&Request { headers: &own, ..get(&url) }, &origin)).unwrap();
        assert!(
            !head.contains("Basic") && head.contains("Authorization: Bearer t"),
            "the check's own header wins: {head}"
        );
    }

    fn head_of(request: &Request<'_>, origin: &Origin) -> Vec<u8> {
        head(request, origin).unwrap()
    }

    #[test]
    fn only_http_and_https_are_requested() {
        let url = reqwest::Url::parse("ftp://example.com/x").unwrap();
        assert!(matches!(Origin::of(&url, true), Err(Error::Request(_))));
        let url = reqwest::Url::parse("https://[::1]/").unwrap();
        let origin = Origin::of(&url, false).unwrap();
        assert_eq!((origin.bare_host(), origin.port, origin.verify_tls), ("::1", 443, false));
        let plain = Origin::of(&reqwest::Url::parse("http://h:81/").unwrap(), true).unwrap();
        assert!(!plain.verify_tls, "nothing to verify without TLS: one pool");
    }
}
