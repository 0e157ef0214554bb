//! Debian's real Prometheus, started on loopback for a test and scraping itself every
//! second (installed by `cargo xtask test`; `WATCHKEEPER_PROMETHEUS` names another
//! binary). It is killed when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Prometheus {
    pub url: String,
    child: Child,
}

impl Prometheus {
    pub async fn start(dir: &Path) -> Prometheus {
        let binary = std::env::var("WATCHKEEPER_PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".to_owned());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new(&binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} ({e}): `cargo xtask test` installs prometheus"));
        let prometheus = Prometheus { url: format!("http://127.0.0.1:{port}"), child };
        let ready = format!("{}/-/ready", prometheus.url);
        super::eventually(Duration::from_secs(60), "Prometheus is ready", || async {
            let answer = reqwest::get(&ready).await.ok()?;
            answer.status().is_success().then_some(())
        })
        .await;
        prometheus
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
