//! What each probe kind costs: `cargo xtask bench kinds` (or `cargo bench --bench
//! kinds`). Each kind probes a loopback target `WK_BENCH_PROBES` times (default 2,000;
//! 200 for tls, whose every probe is a whole handshake), one after another on one
//! thread, and the CPU this process spent on it, less what its own loopback servers
//! spent (they run on a thread of their own, whose CPU clock is read), is divided by
//! the probes: microseconds of CPU per probe, and the ratio to the http probe's.
//! Prometheus and Alertmanager are Debian's real ones (other processes), when installed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record};
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};
use watchkeeper::config::{compile, CheckConfig};
use watchkeeper::probe::heartbeat::Beat;
use watchkeeper::probe::{self, ProbeContext};

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    cpu(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of the whole process.
fn process_cpu() -> Duration {
    cpu(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn cpu(clock: libc::clockid_t) -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec to write into.
    unsafe { libc::clock_gettime(clock, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The loopback targets, served by one runtime on a thread of its own.
struct Targets {
    http: SocketAddr,
    tcp: SocketAddr,
    dns: SocketAddr,
    tls: SocketAddr,
    ca_file: std::path::PathBuf,
    docker: std::path::PathBuf,
    /// Asks the servers' thread for its CPU time.
    cpu: mpsc::Sender<oneshot::Sender<Duration>>,
}

impl Targets {
    fn server_cpu(&self) -> Duration {
        let (tx, rx) = oneshot::channel();
        self.cpu.blocking_send(tx).expect("the servers' thread runs");
        rx.blocking_recv().expect("it answers")
    }
}

fn start_targets(dir: &std::path::Path) -> Targets {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let http_addr = http.local_addr().expect("addr");
            let app = Router::new().fallback(|| async { axum::Json(serde_json::json!({"status": "UP"})) });
            tokio::spawn(async move { axum::serve(http, app).await.expect("serve") });

            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let tcp_addr = tcp.local_addr().expect("addr");
            tokio::spawn(async move {
                while let Ok((stream, _)) = tcp.accept().await {
                    drop(stream);
                }
            });

            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
            let dns_addr = udp.local_addr().expect("addr");
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 2048];
                while let Ok((read, from)) = udp.recv_from(&mut buffer).await {
                    let Ok(query) = Message::from_vec(&buffer[..read]) else { continue };
                    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
                    reply.metadata.response_code = ResponseCode::NoError;
                    reply.add_queries(query.queries.clone());
                    if let Some(asked) = query.queries.first() {
                        reply.add_answer(Record::from_rdata(asked.name().clone(), 300, RData::A(A(Ipv4Addr::new(10, 0, 0, 5)))));
                    }
                    let _ = udp.send_to(&reply.to_vec().expect("encode"), from).await;
                }
            });

            let key = rcgen::KeyPair::generate().expect("key");
            let params = rcgen::CertificateParams::new(vec!["bench.test".to_owned()]).expect("params");
            let cert = params.self_signed(&key).expect("cert");
            let ca_file = dir.join("bench.pem");
            std::fs::write(&ca_file, cert.pem()).expect("write the pinned certificate");
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![cert.der().clone()],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
                )
                .expect("server config");
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            let tls = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let tls_addr = tls.local_addr().expect("addr");
            tokio::spawn(async move {
                while let Ok((stream, _)) = tls.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        if let Ok(mut stream) = acceptor.accept(stream).await {
                            let mut rest = Vec::new();
                            let _ = stream.read_to_end(&mut rest).await;
                        }
                    });
                }
            });

            let docker = dir.join("docker.sock");
            let engine = tokio::net::UnixListener::bind(&docker).expect("bind the socket");
            let app = Router::new().fallback(|| async {
                axum::Json(serde_json::json!({"State": {"Status": "running", "Health": {"Status": "healthy"}}, "RestartCount": 0}))
            });
            tokio::spawn(async move { axum::serve(engine, app).await.expect("serve") });

            let (cpu_tx, mut cpu_rx) = mpsc::channel::<oneshot::Sender<Duration>>(1);
            ready_tx
                .send(Targets {
                    http: http_addr,
                    tcp: tcp_addr,
                    dns: dns_addr,
                    tls: tls_addr,
                    ca_file,
                    docker,
                    cpu: cpu_tx,
                })
                .expect("send the targets");
            while let Some(answer) = cpu_rx.recv().await {
                let _ = answer.send(thread_cpu());
            }
        });
    });
    ready_rx.recv().expect("the targets start")
}

/// A real server of Debian's, on loopback, killed when dropped.
struct External {
    url: String,
    child: std::process::Child,
}

impl Drop for External {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn external(binary: &str, dir: &std::path::Path, args: impl Fn(u16) -> Vec<String>) -> Option<External> {
    if !std::path::Path::new(binary).exists() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = std::process::Command::new(binary)
        .args(args(port))
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let server = External { url: format!("http://127.0.0.1:{port}"), child };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Ready answers once it serves its API.
            let ready = std::process::Command::new("curl")
                .args(["-fsS", "-o", "/dev/null", &format!("{}/-/ready", server.url)])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Some(server);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

fn check(body: &str) -> CheckConfig {
    let text = format!("[[check]]\nid = \"bench\"\n{body}\n");
    let compiled = compile(&text, "bench.toml").unwrap_or_else(|e| panic!("the bench config compiles: {e}\n{text}"));
    (*compiled.config.checks.into_iter().next().expect("one check")).clone()
}

/// Probes `check` `n` times; CPU per probe (this process, less the servers' thread),
/// and whether every probe was up.
fn measure(
    runtime: &tokio::runtime::Runtime,
    context: &ProbeContext,
    targets: &Targets,
    check: &CheckConfig,
    n: usize,
) -> (Duration, usize) {
    // One probe first, out of the count: pools, roots and parsers set up.
    let observation = runtime.block_on(probe::run(context, &check.probe, check.timeout, check.interval));
    let mut failed = usize::from(observation.failure.is_some());
    let (process, servers) = (process_cpu(), targets.server_cpu());
    for _ in 0..n {
        let observation = runtime.block_on(probe::run(context, &check.probe, check.timeout, check.interval));
        failed += usize::from(observation.failure.is_some());
    }
    let spent = (process_cpu() - process).saturating_sub(targets.server_cpu() - servers);
    (spent / n as u32, failed)
}

fn main() {
    let probes: usize = std::env::var("WK_BENCH_PROBES").ok().and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = start_targets(dir.path());
    let file = dir.path().join("backup.tar.gz");
    std::fs::write(&file, vec![0u8; 4096]).expect("write the file");
    let prometheus = external("/usr/bin/prometheus", dir.path(), |port| {
        std::fs::write(dir.path().join("prometheus.yml"), "global:\n  scrape_interval: 1m\n").expect("config");
        vec![
            "--config.file=prometheus.yml".into(),
            "--storage.tsdb.path=tsdb".into(),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ]
    });
    let alertmanager = external("/usr/bin/prometheus-alertmanager", dir.path(), |port| {
        std::fs::write(dir.path().join("am.yml"), "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
            .expect("config");
        vec![
            "--config.file=am.yml".into(),
            "--storage.path=am".into(),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".into(),
        ]
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let context = ProbeContext::default();
    context.beats.insert(
        "bench".into(),
        Beat::new("0123456789abcdef0123456789abcdef".into(), Some(chrono::Utc::now()), false, None),
    );

    let mut kinds: Vec<(&str, CheckConfig, usize)> = vec![
        (
            "http",
            check(&format!("kind = \"http\"\nurl = \"http://{}/health\"\ninterval = \"10s\"", targets.http)),
            probes,
        ),
        ("tcp", check(&format!("kind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {}", targets.tcp.port())), probes),
        ("dns", check(&format!("kind = \"dns\"\nname = \"app.test\"\nserver = \"{}\"", targets.dns)), probes),
        (
            "tls",
            check(&format!(
                "kind = \"tls\"\nhost = \"127.0.0.1\"\nport = {}\nserver_name = \"bench.test\"\nca_file = \"{}\"",
                targets.tls.port(),
                targets.ca_file.display()
            )),
            (probes / 10).max(1),
        ),
        ("file", check(&format!("kind = \"file\"\npath = \"{}\"", file.display())), probes),
        (
            "file (directory)",
            check(&format!("kind = \"file\"\npath = \"{}\"\nglob = \"*.gz\"", dir.path().display())),
            probes,
        ),
        (
            "docker",
            check(&format!("kind = \"docker\"\ncontainer = \"web\"\nsocket = \"{}\"", targets.docker.display())),
            probes,
        ),
        ("heartbeat", check("kind = \"heartbeat\"\ngrace = \"1h\""), probes),
    ];
    if let Some(prometheus) = &prometheus {
        kinds.push((
            "prometheus",
            check(&format!("kind = \"prometheus\"\nurl = \"{}\"\nquery = \"vector(1)\"", prometheus.url)),
            probes,
        ));
    }
    if let Some(alertmanager) = &alertmanager {
        kinds.push((
            "alertmanager",
            check(&format!("kind = \"alertmanager\"\nurl = \"{}\"", alertmanager.url)),
            probes,
        ));
    }
    println!("watchkeeper probe kinds: CPU per probe, one after another on one thread, loopback targets");
    println!("{:<18} {:>8} {:>12} {:>9} {:>7}", "kind", "probes", "CPU/probe", "vs http", "failed");
    let mut http = None;
    for (name, check, n) in &kinds {
        let (per_probe, failed) = measure(&runtime, &context, &targets, check, *n);
        let base = *http.get_or_insert(per_probe);
        println!(
            "{name:<18} {n:>8} {:>9.1} µs {:>8.2}x {failed:>7}",
            per_probe.as_secs_f64() * 1e6,
            per_probe.as_secs_f64() / base.as_secs_f64().max(1e-9)
        );
    }
    if prometheus.is_none() || alertmanager.is_none() {
        println!("(prometheus and alertmanager are measured where Debian's are installed: `cargo xtask bench kinds` installs them)");
    }
}
