//! Debian's real Prometheus Alertmanager, started on loopback for a test (installed by
//! `cargo xtask test`; `WATCHKEEPER_ALERTMANAGER` names another binary). Its cluster
//! listener is off; it is killed when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub struct Alertmanager {
    pub url: String,
    child: Child,
}

impl Alertmanager {
    pub async fn start(dir: &Path) -> Alertmanager {
        let binary =
            std::env::var("WATCHKEEPER_ALERTMANAGER").unwrap_or_else(|_| "/usr/bin/prometheus-alertmanager".to_owned());
        let config = dir.join("alertmanager.yml");
        std::fs::write(&config, "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(dir.join("alertmanager.log")).unwrap();
        let child = Command::new(&binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.join("am-data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {binary} ({e}): `cargo xtask test` installs prometheus-alertmanager")
            });
        let am = Alertmanager { url: format!("http://127.0.0.1:{port}"), child };
        let ready = format!("{}/-/ready", am.url);
        super::eventually(Duration::from_secs(30), "Alertmanager is ready", || async {
            let answer = reqwest::get(&ready).await.ok()?;
            answer.status().is_success().then_some(())
        })
        .await;
        am
    }

    /// The alerts it holds (`GET /api/v2/alerts`).
    pub async fn alerts(&self) -> Vec<Value> {
        let answer = reqwest::get(format!("{}/api/v2/alerts", self.url)).await.expect("Alertmanager answers");
        answer.json::<Value>().await.expect("JSON").as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
