//! Suggested checks: what this machine runs that no check watches yet, each with a
//! ready check to add in one click (`GET /api/v1/suggestions`, `watchkeeper suggest`,
//! the dashboard's Suggestions page).
//!
//! - listening TCP ports, with the process that owns each (from `/proc`); a port that
//!   answers HTTP on a health path (`/health`, `/actuator/health`, `/healthz`) is
//!   suggested as an `http` check on it, any other as a `tcp` check;
//! - running Docker (or Podman) containers, where the engine's socket answers;
//! - mounts filling up (at least [`FILLING`] used);
//! - failed systemd units, the system's and the user's, where their bus answers, as a
//!   `command` check of `systemctl is-active`.
//!
//! What a check already watches (the same port on this machine, the same container,
//! the same mount, a command naming the unit) is not suggested, nor Watchkeeper's own
//! API. Reading is bounded:
//! at most [`MOST_PORTS`] ports, each asked over HTTP for at most [`HTTP_WAIT`].

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::probe::local::{self, Listening};
use crate::probe::ProbeSpec;
use crate::systemd::{self, FailedUnit, Scope};

/// What is looked for, for people (the Suggestions page says it).
pub const SOURCES: &str =
    "listening ports (with their health path where one answers), containers, filling disks and failed systemd units";

/// The health paths asked of a listening port, in order.
pub const HEALTH_PATHS: [&str; 3] = ["/health", "/actuator/health", "/healthz"];
/// How long a port has to answer HTTP.
pub const HTTP_WAIT: Duration = Duration::from_millis(800);
/// The most ports looked at.
pub const MOST_PORTS: usize = 64;
/// A mount this full (percent used) is suggested.
pub const FILLING: f64 = 80.0;
/// How long a systemd manager has to list its failed units.
pub const SYSTEMD_WAIT: Duration = Duration::from_secs(1);

/// A check to add, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Its id, also the id of the check it suggests.
    pub id: String,
    /// What it is: `port`, `http`, `container`, `mount`, `unit`.
    pub kind: &'static str,
    pub title: String,
    pub why: String,
    /// The check, as its TOML keys.
    pub check: Map<String, Value>,
}

/// Everything this machine runs that `config` does not watch. `own_port` is
/// Watchkeeper's own API, never suggested.
pub async fn suggestions(config: &Config, own_port: Option<u16>) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let taken: Vec<String> = config.checks.iter().map(|c| c.id.to_string()).collect();
    let all = local::listening_tcp();
    // This machine's own addresses, as its sockets are bound to them: read once.
    let addresses: Vec<String> = all.iter().map(|l| l.address.to_string()).collect();
    let listening: Vec<Listening> =
        all.into_iter().filter(|l| Some(l.port) != own_port && !watched_port(config, l.port, &addresses)).collect();
    let mut ports: Vec<(u16, IpAddr)> = Vec::new();
    for l in listening {
        // One suggestion a port: a socket on every address (or on loopback) is asked on
        // loopback, else on the address it is bound to.
        let local = l.address.is_unspecified() || l.address.is_loopback();
        let asked = if local { loopback(l.address) } else { l.address };
        let room = ports.len() < MOST_PORTS;
        match ports.iter_mut().find(|(port, _)| *port == l.port) {
            Some((_, address)) if local => *address = asked,
            Some(_) => {}
            None if room => ports.push((l.port, asked)),
            None => {}
        }
    }
    let answers = futures_util::future::join_all(ports.iter().map(|&(port, address)| health_path(address, port))).await;
    for (&(port, address), answer) in ports.iter().zip(answers) {
        let owner =
            tokio::task::spawn_blocking(move || local::port_owner(port, local::Transport::Tcp)).await.ok().flatten();
        let process = owner.as_ref().map(|o| o.process.clone());
        // Named by its process where /proc says which (else only its owner's uid is known).
        let named = owner.as_ref().filter(|o| o.pid.is_some()).map(|o| o.process.as_str());
        let stem = named.map_or_else(|| format!("port-{port}"), |p| format!("{}-{port}", slug(p)));
        let host = address.to_string();
        let held = process.as_deref().map_or_else(String::new, |p| format!(" ({p})"));
        out.push(match answer {
            Some(path) => {
                let url = format!("http://{}:{port}{path}", url_host(address));
                Suggestion {
                    id: unique(&stem, &taken, &out),
                    kind: "http",
                    title: format!("{url}{held}"),
                    why: format!("port {port} answers HTTP on {path}"),
                    check: object(json!({"kind": "http", "url": url})),
                }
            }
            None => Suggestion {
                id: unique(&stem, &taken, &out),
                kind: "port",
                title: format!("{host}:{port}{held}"),
                why: format!("listening on TCP port {port}, not watched"),
                check: object(json!({"kind": "tcp", "host": host, "port": port})),
            },
        });
    }
    for (name, image) in containers().await {
        let watched = config.checks.iter().any(|c| matches!(&c.probe, ProbeSpec::Docker(d) if d.container == name));
        if !watched {
            out.push(Suggestion {
                id: unique(&format!("container-{}", slug(&name)), &taken, &out),
                kind: "container",
                title: format!("container {name} ({image})"),
                why: "a running container, not watched".to_owned(),
                check: object(json!({"kind": "docker", "container": name})),
            });
        }
    }
    for (mount, used) in filling_mounts() {
        let watched = config.checks.iter().any(
            |c| matches!(&c.probe, ProbeSpec::System(s) if s.mount.as_deref() == Some(std::path::Path::new(&mount))),
        );
        if !watched {
            out.push(Suggestion {
                id: unique(
                    &format!("disk-{}", if mount == "/" { "root".to_owned() } else { slug(&mount) }),
                    &taken,
                    &out,
                ),
                kind: "mount",
                title: format!("disk {mount}"),
                why: format!("{used:.0}% used, not watched"),
                check: object(json!({"kind": "system", "metric": "disk", "mount": mount})),
            });
        }
    }
    for unit in failed_units().await {
        let watched = config
            .checks
            .iter()
            .any(|c| matches!(&c.probe, ProbeSpec::Command(command) if command.argv.iter().any(|arg| names(arg, &unit.name))));
        if watched {
            continue;
        }
        let mut command = vec!["systemctl"];
        if unit.scope == Scope::User {
            command.push("--user");
        }
        command.extend(["is-active", "--quiet", &unit.name]);
        let named = if unit.description.is_empty() { unit.name.clone() } else { unit.description.clone() };
        let stem = unit.name.strip_suffix(".service").unwrap_or(&unit.name);
        out.push(Suggestion {
            id: unique(&format!("unit-{}", slug(stem)), &taken, &out),
            kind: "unit",
            title: format!("{} unit {} ({named})", unit.scope.as_str(), unit.name),
            why: "systemd marks it failed, and no check watches it".to_owned(),
            check: object(json!({"kind": "command", "name": named, "command": command})),
        });
    }
    for suggestion in &mut out {
        suggestion.check.insert("id".into(), suggestion.id.clone().into());
    }
    out
}

/// A check of `config` reaches this port on this machine (whose addresses are these).
fn watched_port(config: &Config, port: u16, addresses: &[String]) -> bool {
    config.checks.iter().any(|c| {
        c.probe.port().is_some_and(|(p, transport)| p == port && transport == local::Transport::Tcp)
            && c.probe.host().is_some_and(|host| is_this_machine(&host, addresses))
    })
}

fn is_this_machine(host: &str, addresses: &[String]) -> bool {
    let host = host.trim_matches(['[', ']']);
    host == "localhost"
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
        || addresses.iter().any(|a| a == host)
}

fn loopback(like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    }
}

fn url_host(address: IpAddr) -> String {
    match address {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The first health path the port answers 2xx on.
async fn health_path(address: IpAddr, port: u16) -> Option<&'static str> {
    let client = reqwest::Client::builder()
        .timeout(HTTP_WAIT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    for path in HEALTH_PATHS {
        let url = format!("http://{}:{port}{path}", url_host(address));
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Some(path),
            Ok(_) => {}
            // Not HTTP, or not answering: no other path will do better.
            Err(_) => return None,
        }
    }
    None
}

/// The running containers, where an engine answers (none where none does).
async fn containers() -> Vec<(String, String)> {
    match crate::docker::Docker::connect(None) {
        Ok(docker) => docker.running(Duration::from_secs(2)).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Whether a command's argument names this unit (`nginx` names `nginx.service`).
fn names(arg: &str, unit: &str) -> bool {
    arg == unit || unit.strip_suffix(".service") == Some(arg)
}

/// The failed units of the system's and the user's managers, where each answers.
async fn failed_units() -> Vec<FailedUnit> {
    let (system, user) = futures_util::future::join(
        systemd::failed_units(Scope::System, SYSTEMD_WAIT),
        systemd::failed_units(Scope::User, SYSTEMD_WAIT),
    )
    .await;
    system.into_iter().chain(user).flatten().collect()
}

/// Mounts of real file systems at least [`FILLING`] full, with the percent used.
fn filling_mounts() -> Vec<(String, f64)> {
    const REAL: [&str; 9] = ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat"];
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else { return Vec::new() };
    let mut out: Vec<(String, f64)> = Vec::new();
    for line in mounts.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(mount), Some(kind)) = (fields.get(1), fields.get(2)) else { continue };
        let mount = mount.replace("\\040", " ");
        if !REAL.contains(kind) || out.iter().any(|(m, _)| *m == mount) {
            continue;
        }
        if let Some(used) = used_percent(&mount).filter(|used| *used >= FILLING) {
            out.push((mount, used));
        }
    }
    out
}

fn used_percent(mount: &str) -> Option<f64> {
    let path = std::ffi::CString::new(mount).ok()?;
    // SAFETY: statvfs writes into the struct we own; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 || stat.f_blocks == 0 {
        return None;
    }
    let total = stat.f_blocks as f64;
    Some((total - stat.f_bavail as f64) / total * 100.0)
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// `text` as a piece of a suggestion's id (room left for what follows it).
fn slug(text: &str) -> String {
    crate::model::id_slug(text, 48, "x")
}

/// `stem`, or `stem-2`, … when a check or an earlier suggestion has it.
fn unique(stem: &str, taken: &[String], earlier: &[Suggestion]) -> String {
    crate::model::unique_id(stem, |id| taken.iter().any(|t| t == id) || earlier.iter().any(|s| s.id == id))
}
