//! Each probe against real things: a loopback HTTP target, TCP ports, child processes.

use std::time::Duration;

use watchkeeper::engine::evaluate;
use watchkeeper::model::{FailureClass, Verdict};
use watchkeeper::probe::{self, ProbeContext};

use crate::support::{class, one_check, verdict, Behaviour, Target};

/// A port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn http_failures_are_classified() {
    let mut target = Target::start(Behaviour::Ok).await;
    let check = one_check(&format!(
        "kind = \"http\"\nurl = \"{}\"\ntimeout = \"300ms\"\nmax_body = \"1MB\"\nexpect = [\"status == 200\", \"json.status == \\\"UP\\\"\"]\ndegraded_if = [\"latency > 150ms\"]",
        target.url()
    ));
    assert_eq!(verdict(&check).await, Verdict::Up, "a healthy target is up");

    target.set(Behaviour::Status(500));
    let failed = verdict(&check).await;
    assert_eq!(class(&failed), Some(FailureClass::HttpStatus), "{failed:?}");

    target.set(Behaviour::Body("{\"status\":\"DOWN\"}".into()));
    assert_eq!(class(&verdict(&check).await), Some(FailureClass::Condition), "a JSON condition failing");

    target.set(Behaviour::Slow(Duration::from_millis(200)));
    let slow = verdict(&check).await;
    assert!(matches!(&slow, Verdict::Down(_)), "a slow body that is not JSON fails the json condition: {slow:?}");

    target.set(Behaviour::Hang);
    let hung = verdict(&check).await;
    assert_eq!(class(&hung), Some(FailureClass::Timeout), "a hanging target times out: {hung:?}");

    target.set(Behaviour::Huge(2_000_000));
    assert_eq!(class(&verdict(&check).await), Some(FailureClass::BodyTooLarge), "a body over the cap");

    target.close().await;
    let refused = verdict(&check).await;
    assert_eq!(class(&refused), Some(FailureClass::Refused), "nothing listening is refused: {refused:?}");

    target.reopen().await;
    target.set(Behaviour::Ok);
    assert_eq!(verdict(&check).await, Verdict::Up, "the target is back");
}

#[tokio::test]
async fn http_degraded_if_holds() {
    let target = Target::start(Behaviour::Slow(Duration::from_millis(120))).await;
    let check = one_check(&format!(
        "kind = \"http\"\nurl = \"{}\"\ntimeout = \"2s\"\ndegraded_if = [\"latency > 100ms\"]",
        target.url()
    ));
    match verdict(&check).await {
        Verdict::Degraded(why) => assert!(why.starts_with("latency > 100ms (got "), "{why}"),
        other => panic!("a slow answer is degraded, got {other:?}"),
    }
}

#[tokio::test]
async fn tcp_connects_or_is_refused() {
    let target = Target::start(Behaviour::Ok).await;
    let open = one_check(&format!("kind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {}", target.addr.port()));
    assert_eq!(verdict(&open).await, Verdict::Up);
    let closed = one_check(&format!("kind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {}", closed_port().await));
    assert_eq!(class(&verdict(&closed).await), Some(FailureClass::Refused));
}

#[tokio::test]
async fn command_exit_codes_timeouts_and_missing_programs() {
    let ok = one_check("kind = \"command\"\ncommand = [\"sh\", \"-c\", \"echo hello\"]\nexpect = [\"exit == 0\", \"stdout contains \\\"hello\\\"\"]");
    assert_eq!(verdict(&ok).await, Verdict::Up);

    let failing = one_check("kind = \"command\"\ncommand = [\"sh\", \"-c\", \"exit 3\"]");
    match verdict(&failing).await {
        Verdict::Down(failure) => assert_eq!(failure.message, "expected exit == 0, got 3"),
        other => panic!("exit 3 fails the default expect, got {other:?}"),
    }

    let missing = one_check("kind = \"command\"\ncommand = [\"/nonexistent/program\"]");
    match verdict(&missing).await {
        Verdict::Unknown(why) => assert!(why.contains("cannot start `/nonexistent/program`"), "{why}"),
        other => panic!("a program that cannot start is a probe error (unknown), got {other:?}"),
    }
}

/// A shell that starts a long `sleep` in the background (in its process group) and
/// writes the sleeper's pid to `pid_file`.
fn shell_with_grandchild(pid_file: &std::path::Path) -> Vec<String> {
    let script = format!("sleep 60 & echo $! > {}; wait", pid_file.display());
    vec!["sh".to_owned(), "-c".to_owned(), script]
}

/// Waits until the process in `pid_file` is gone (or a zombie awaiting its reaper).
async fn assert_dies(pid_file: &std::path::Path, what: &str) {
    let pid: i32 = std::fs::read_to_string(pid_file).unwrap().trim().parse().unwrap();
    crate::support::eventually(Duration::from_secs(5), what, || async {
        // SAFETY: signal 0 only tests that the process exists.
        let exists = unsafe { libc::kill(pid, 0) } == 0;
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ");
        (!exists || zombie).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_timed_out_command_is_killed_with_its_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let argv = shell_with_grandchild(&pid_file);
    let outcome = watchkeeper::exec::run(watchkeeper::exec::Request {
        argv: &argv,
        env: &[],
        cwd: None,
        timeout: Duration::from_millis(500),
        max_output: 1024,
        on_output: None,
        stdin: None,
    })
    .await
    .unwrap();
    assert!(outcome.timed_out, "the command outlived its timeout");
    assert_dies(&pid_file, "the grandchild in the process group is killed too").await;
}

#[tokio::test]
async fn command_output_is_capped() {
    let argv: Vec<String> = ["sh", "-c", "yes 0123456789 | head -c 1000000"].iter().map(|s| s.to_string()).collect();
    let live = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = live.clone();
    let outcome = watchkeeper::exec::run(watchkeeper::exec::Request {
        argv: &argv,
        env: &[],
        cwd: None,
        timeout: Duration::from_secs(10),
        max_output: 4096,
        on_output: Some(std::sync::Arc::new(move |chunk: &[u8]| sink.lock().unwrap().extend_from_slice(chunk))),
        stdin: None,
    })
    .await
    .unwrap();
    assert_eq!(outcome.exit_code, Some(0), "the program was drained and ran to its end");
    assert_eq!(outcome.output.len(), 4096, "output is capped");
    assert!(outcome.truncated);
    assert_eq!(String::from_utf8(live.lock().unwrap().clone()).unwrap(), outcome.output, "live output is what is kept");
}

#[tokio::test]
async fn process_checks_find_real_processes() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("{}.{}", 3000 + std::process::id() % 1000, std::process::id());
    let mut child = std::process::Command::new("sleep").arg(&marker).spawn().unwrap();
    let pid_file = dir.path().join("app.pid");
    std::fs::write(&pid_file, child.id().to_string()).unwrap();

    let by_pid = one_check(&format!("kind = \"process\"\npid_file = \"{}\"", pid_file.display()));
    let by_cmdline = one_check(&format!("kind = \"process\"\ncmdline = \"^sleep {}$\"", regex_escape(&marker)));
    let by_name = one_check("kind = \"process\"\nprocess = \"sleep\"");
    // Process tables are shared and refreshed at most once a second: use a fresh
    // context per round so the child's exit is seen.
    assert_eq!(verdict(&by_pid).await, Verdict::Up, "the pid file's process is found");
    assert_eq!(verdict(&by_cmdline).await, Verdict::Up, "the command line matches");
    assert_eq!(verdict(&by_name).await, Verdict::Up, "the process name matches");

    child.kill().unwrap();
    child.wait().unwrap();
    match verdict(&by_pid).await {
        Verdict::Down(failure) => assert_eq!(failure.message, "expected count >= 1, got 0"),
        other => panic!("a dead process is down, got {other:?}"),
    }
    std::fs::remove_file(&pid_file).unwrap();
    assert!(matches!(verdict(&by_pid).await, Verdict::Down(_)), "a missing pid file means no process");
}

fn regex_escape(text: &str) -> String {
    text.replace('.', "\\\\.")
}

#[tokio::test]
async fn system_metrics_read_this_machine() {
    for metric in ["cpu", "memory", "disk", "swap", "load1"] {
        let check = one_check(&format!("kind = \"system\"\nmetric = \"{metric}\"\nexpect = [\"value >= 0\"]"));
        let observation = probe::run(&ProbeContext::default(), &check.probe, check.timeout, check.interval).await;
        assert!(observation.failure.is_none(), "{metric}: {:?}", observation.failure);
        assert_eq!(evaluate(&check, &observation).0, Verdict::Up, "{metric} has a value: {}", observation.summary);
    }
}

#[tokio::test]
async fn tls_failures_are_classified() {
    // A plain-HTTP listener spoken to over https: the handshake fails.
    let target = Target::start(Behaviour::Ok).await;
    let check = one_check(&format!("kind = \"http\"\nurl = \"https://{}/health\"\ntimeout = \"2s\"", target.addr));
    let failed = verdict(&check).await;
    assert_eq!(class(&failed), Some(FailureClass::Tls), "a failed handshake is classified as tls: {failed:?}");
}

#[tokio::test]
async fn command_env_and_cwd_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let check = one_check(&format!(
        "kind = \"command\"\ncommand = [\"sh\", \"-c\", \"echo $GREETING; pwd\"]\nenv = {{ GREETING = \"hello from env\" }}\ncwd = \"{}\"",
        dir.path().display()
    ));
    let observation = probe::run(&ProbeContext::default(), &check.probe, check.timeout, check.interval).await;
    let output = match observation.value("stdout").as_deref() {
        Some(watchkeeper::model::Value::Text(text)) => text.clone(),
        other => panic!("a command observes its stdout as text, got {other:?}"),
    };
    assert!(output.contains("hello from env"), "env reaches the program: {output}");
    assert!(output.contains(&dir.path().display().to_string()), "the program runs in cwd: {output}");
}

#[tokio::test]
async fn a_dropped_command_takes_its_process_group_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let argv = shell_with_grandchild(&pid_file);
    let run = watchkeeper::exec::run(watchkeeper::exec::Request {
        argv: &argv,
        env: &[],
        cwd: None,
        timeout: Duration::from_secs(60),
        max_output: 1024,
        on_output: None,
        stdin: None,
    });
    // Give up on the run early, as an outer timeout or a shutdown does.
    let dropped = tokio::time::timeout(Duration::from_millis(500), run).await;
    assert!(dropped.is_err(), "the run was still going when dropped");
    assert_dies(&pid_file, "dropping a run kills its process group").await;
}

/// A loopback HTTP/1.1 server: each request (its head, and the body its
/// `Content-Length` gives) on the `n`th connection is answered by `answer(n, head,
/// body)`, which also says whether the connection closes after it.
async fn http_server<F>(answer: F) -> std::net::SocketAddr
where
    F: Fn(usize, &str, &str) -> (String, bool) + Send + Sync + 'static,
{
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        for connection in 1.. {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                loop {
                    let mut chunk = [0u8; 1024];
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if buffer.len() < end + 4 + length {
                        continue;
                    }
                    let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                    buffer.drain(..end + 4 + length);
                    let (answer, close) = answer(connection, &head, &body);
                    if socket.write_all(answer.as_bytes()).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A loopback HTTP/1.1 server that says it closes idle connections after a second
/// (`Keep-Alive: timeout=1`, as Node's does after 5). It records each request's
/// connection number and `Connection` header, and honours `Connection: close`.
async fn keep_alive_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<(usize, String)>>>) {
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let requests = log.clone();
    let addr = http_server(move |connection, head, _| {
        let header = head
            .to_ascii_lowercase()
            .lines()
            .find_map(|line| line.strip_prefix("connection:").map(|value| value.trim().to_owned()))
            .unwrap_or_default();
        let close = header == "close";
        requests.lock().unwrap().push((connection, header));
        let answer = if close {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        } else {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok"
        };
        (answer.to_owned(), close)
    })
    .await;
    (format!("http://{addr}/health"), log)
}

/// A check probed less often than its server keeps an idle connection asks for
/// `Connection: close` once the server has said so (no pooled connection left to die
/// and wake the app); one probed more often keeps its connection.
#[tokio::test]
async fn connections_a_server_would_close_before_the_next_probe_are_not_kept() {
    let context = ProbeContext::default();
    let (url, log) = keep_alive_server().await;
    let rare = one_check(&format!("kind = \"http\"\nurl = \"{url}\"\ninterval = \"10s\""));
    for _ in 0..3 {
        let observation = probe::run(&context, &rare.probe, rare.timeout, rare.interval).await;
        assert_eq!(evaluate(&rare, &observation).0, Verdict::Up, "{observation:?}");
    }
    let headers: Vec<String> = log.lock().unwrap().iter().map(|(_, header)| header.clone()).collect();
    assert_eq!(headers, ["", "close", "close"], "the first request learns the limit, the next ones close");

    let (url, log) = keep_alive_server().await;
    let often = one_check(&format!("kind = \"http\"\nurl = \"{url}\"\ninterval = \"500ms\""));
    for _ in 0..3 {
        let observation = probe::run(&context, &often.probe, often.timeout, often.interval).await;
        assert_eq!(evaluate(&often, &observation).0, Verdict::Up, "{observation:?}");
    }
    let requests = log.lock().unwrap().clone();
    assert_eq!(requests, [(1, String::new()), (1, String::new()), (1, String::new())], "one kept connection");
}

/// A loopback HTTP/1.1 server whose answers `route` makes from each request's method,
/// path and body; every request is logged as `METHOD path [body]` with its head.
async fn routed_server(
    route: fn(&str, &str, &str) -> String,
) -> (std::net::SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let requests = log.clone();
    let addr = http_server(move |_, head, body| {
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
        requests.lock().unwrap().push(format!("{method} {path} [{body}]\n{head}"));
        (route(method, path, body), false)
    })
    .await;
    (addr, log)
}

/// Redirects are followed up to `max_redirects` (none: the redirect is the answer),
/// a 303 is fetched with GET, a loop is told as such, and the check's credentials go
/// only to its own origin.
#[tokio::test]
async fn redirects_are_followed_within_their_limit() {
    let (elsewhere, seen) =
        routed_server(|_, _, _| "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthere".to_owned()).await;
    static ELSEWHERE: std::sync::OnceLock<std::net::SocketAddr> = std::sync::OnceLock::new();
    ELSEWHERE.set(elsewhere).unwrap();
    let (addr, log) = routed_server(|method, path, _| {
        let moved =
            |code: &str, to: String| format!("HTTP/1.1 {code} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
        match (method, path) {
            ("GET", "/start") => moved("302", "/next?a=1".to_owned()),
            ("GET", "/next?a=1") => "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext".to_owned(),
            (_, "/loop") => moved("302", "/loop".to_owned()),
            ("POST", "/form") => moved("303", "/done".to_owned()),
            ("GET", "/done") => "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone".to_owned(),
            (_, "/away") => moved("307", format!("http://{}/there", ELSEWHERE.get().unwrap())),
            _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
        }
    })
    .await;
    let context = ProbeContext::default();
    let observe = |body: String| {
        let check = one_check(&body);
        let context = context.clone();
        async move { probe::run(&context, &check.probe, check.timeout, check.interval).await }
    };
    let body_of = |o: &watchkeeper::model::Observation| {
        o.values.iter().find(|(n, _)| *n == "body").map(|(_, v)| format!("{v:?}")).unwrap_or_default()
    };

    let followed = observe(format!("kind = \"http\"\nurl = \"http://{addr}/start\"")).await;
    assert_eq!(followed.summary, "HTTP 200", "{followed:?}");
    assert!(body_of(&followed).contains("next"), "{followed:?}");

    let kept = observe(format!("kind = \"http\"\nurl = \"http://{addr}/start\"\nmax_redirects = 0")).await;
    assert_eq!(kept.summary, "HTTP 302", "with no redirects allowed the redirect is the answer: {kept:?}");

    let looping = observe(format!("kind = \"http\"\nurl = \"http://{addr}/loop\"\nmax_redirects = 3")).await;
    let failure = looping.failure.expect("a redirect loop fails");
    assert_eq!(failure.class, FailureClass::ProbeError);
    assert!(failure.message.contains("more than 3 redirects"), "{}", failure.message);
    let loops = log.lock().unwrap().iter().filter(|r| r.starts_with("GET /loop")).count();
    assert_eq!(loops, 4, "the request and its 3 redirects");

    let posted = observe(format!(
        "kind = \"http\"\nurl = \"http://{addr}/form\"\nmethod = \"POST\"\nbody = \"a=1\"\nheaders = {{ Content-Type = \"application/x-www-form-urlencoded\" }}"
    ))
    .await;
    assert!(body_of(&posted).contains("done"), "{posted:?}");
    let requests = log.lock().unwrap().clone();
    assert!(requests.iter().any(|r| r.starts_with("POST /form [a=1]")), "{requests:?}");
    let done = requests.iter().find(|r| r.starts_with("GET /done []")).expect("a 303 is fetched with GET, no body");
    let done = done.to_ascii_lowercase();
    assert!(!done.contains("content-type") && !done.contains("content-length"), "nor the body's headers: {done}");

    let away = observe(format!(
        "kind = \"http\"\nurl = \"http://{addr}/away\"\nheaders = {{ Authorization = \"Bearer secret\", X-Trace = \"t1\" }}"
    ))
    .await;
    assert!(body_of(&away).contains("there"), "{away:?}");
    let there = seen.lock().unwrap().clone();
    assert_eq!(there.len(), 1, "{there:?}");
    let head = there[0].to_ascii_lowercase();
    assert!(head.contains("x-trace: t1") && !head.contains("authorization"), "credentials stay home: {head}");
}
