//! The daemon as a real process on port 0, driven through its API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub struct Daemon {
    dir: Option<tempfile::TempDir>,
    pub url: String,
    pub token: String,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Daemon {
    /// Writes `config` and starts `watchkeeper run` on it, in a fresh temp dir.
    pub async fn start(config: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("watchkeeper.toml"), config).expect("write config");
        Daemon::start_in(dir).await
    }

    /// Starts the daemon on an existing dir (a restart keeps the same data).
    pub async fn start_in(dir: tempfile::TempDir) -> Daemon {
        Daemon::start_in_with(dir, &[]).await
    }

    /// Writes `config` and starts the daemon with these environment variables too.
    pub async fn start_with_env(config: &str, env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("watchkeeper.toml"), config).expect("write config");
        Daemon::start_in_with(dir, env).await
    }

    async fn start_in_with(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Daemon {
        let config = dir.path().join("watchkeeper.toml");
        let data = dir.path().join("data");
        let log =
            std::fs::File::create(dir.path().join(format!("daemon-{}.log", std::process::id()))).expect("log file");
        let child = Command::new(super::binary())
            .args(["run", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .env("WATCHKEEPER_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn watchkeeper run");
        let api_file = data.join("api.json");
        let pid = child.id();
        // A killed daemon leaves its api.json behind: wait for this one's.
        let api: Value =
            super::eventually(Duration::from_secs(30), "the daemon writes api.json once it listens", || {
                let api_file = api_file.clone();
                async move {
                    let api: Value =
                        std::fs::read_to_string(&api_file).ok().and_then(|t| serde_json::from_str(&t).ok())?;
                    (api["pid"] == pid).then_some(api)
                }
            })
            .await;
        Daemon {
            url: api["url"].as_str().expect("url").to_owned(),
            token: api["token"].as_str().expect("token").to_owned(),
            child: Some(child),
            dir: Some(dir),
            http: reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("client"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("the daemon owns its dir until stopped").path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path().join(format!("daemon-{}.log", std::process::id()))).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self.http.get(format!("{}{path}", self.url)).bearer_auth(&self.token).send().await.expect("GET");
        assert!(response.status().is_success(), "GET {path} answered {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// A GET whose answer may be an error: its status and JSON body.
    pub async fn get_any(&self, path: &str) -> (u16, Value) {
        let response = self.http.get(format!("{}{path}", self.url)).bearer_auth(&self.token).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// The check's entry in `/api/v1/status`.
    pub async fn check(&self, id: &str) -> Value {
        let status = self.get("/api/v1/status").await;
        status["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("check {id} is in the status"))
    }

    /// Waits until the check has this status.
    pub async fn wait_status(&self, id: &str, status: &str, limit: Duration) -> Value {
        let what = format!("check `{id}` becomes {status}");
        super::eventually(limit, &what, || async {
            let check = self.check(id).await;
            (check["status"] == status).then_some(check)
        })
        .await
    }

    pub async fn incidents(&self) -> Vec<Value> {
        self.get("/api/v1/incidents").await["incidents"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the recorded incidents satisfy `done`: the live status leads the
    /// history by the writer's commit.
    pub async fn wait_incidents(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        super::eventually(Duration::from_secs(20), what, || async {
            let incidents = self.incidents().await;
            done(&incidents).then_some(incidents)
        })
        .await
    }

    /// `watchkeeper ARGS --data-dir D` against this daemon, off the runtime: its exit
    /// code, stdout and stderr.
    pub async fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["--data-dir".into(), self.data_dir().to_str().unwrap().to_owned()]);
        tokio::task::spawn_blocking(move || super::run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .expect("the CLI ran")
    }

    /// SIGTERM, then waits for a clean exit; returns the temp dir for a restart.
    pub fn stop(self) -> tempfile::TempDir {
        self.stop_with(libc::SIGTERM)
    }

    /// `signal` (SIGTERM, SIGINT), then waits for a clean exit.
    pub fn stop_with(mut self, signal: i32) -> tempfile::TempDir {
        let mut child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = wait_with_limit(&mut child, Duration::from_secs(20));
        assert!(
            status.is_some_and(|s| s.success()),
            "the daemon exits cleanly on signal {signal}; log:\n{}",
            self.log()
        );
        self.dir.take().expect("dir")
    }

    /// SIGKILL: no chance to flush.
    pub fn kill(mut self) -> tempfile::TempDir {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
        self.dir.take().expect("dir")
    }
}

fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Opens the daemon's history read-only, for assertions on what was recorded.
pub fn open_history(data_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(data_dir.join("history.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open history.db")
}
