//! The network is not the service: the connectivity sentinel, and resumes from sleep.
//!
//! The sentinel (`[settings] connectivity`) asks its targets every interval, and at
//! once when a remote check fails. While it fails, a remote check's failure is blamed
//! on the network (`unknown`, "no network", no incident, no failure counted), and one
//! `no_network` notification names the remote checks. When it answers again the
//! remote checks are probed at once.
//!
//! A resume from a suspend (the time asleep, `Clock::asleep`, jumped) re-runs every
//! check at once; until the sentinel has answered once since, remote failures are
//! blamed on the network, quietly: a laptop's Wi-Fi takes a few seconds to come back.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Engine, Event};
use crate::config::{Connectivity, SentinelTarget};

/// Rounds of the sentinel come at most this often, however many checks fail.
const AT_MOST_EVERY: Duration = Duration::from_secs(1);
/// One target's answer may take this long.
const TARGET_TIMEOUT: Duration = Duration::from_secs(3);
/// A jump of the time asleep larger than this is a resume.
const SLEPT_AT_LEAST: Duration = Duration::from_secs(5);
/// After a resume the network has this long to come back before it is told missing.
const WAKING_FOR: chrono::Duration = chrono::Duration::seconds(60);

/// Why the sentinel's round failed, in words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
struct Unreachable(String);

/// What the engine knows of the network.
#[derive(Debug, Default)]
pub(super) struct Network {
    /// Since when the sentinel fails, and why.
    pub down: Option<(DateTime<Utc>, String)>,
    /// Resumed from a suspend (or started) at this time; the sentinel has not answered
    /// since.
    pub waking: Option<DateTime<Utc>>,
    /// The waking is a resume: the remote checks run again when the sentinel answers.
    pub resumed: bool,
    /// When the network last came back: a remote check not probed since may still fail
    /// for the network, not for itself.
    pub back_at: Option<DateTime<Utc>>,
    /// The time asleep at the last look.
    pub asleep: Duration,
}

/// The engine's part that watches the network.
pub(super) struct Watch {
    pub state: std::sync::Mutex<Network>,
    /// Whether remote failures are blamed on the network now: the quick answer.
    pub offline: std::sync::atomic::AtomicBool,
    /// Wakes the sentinel (a remote check failed, or the machine resumed).
    pub wake: tokio::sync::Notify,
}

impl Watch {
    /// Nothing known yet; `asleep` is the time asleep at start.
    pub fn new(asleep: Duration) -> Watch {
        Watch {
            state: std::sync::Mutex::new(Network { asleep, ..Network::default() }),
            offline: std::sync::atomic::AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// The network went away or came back.
#[derive(Debug, Clone)]
pub struct NetworkChange {
    /// `Some(why)` when it went away.
    pub down: Option<String>,
}

impl Engine {
    /// Whether remote failures are blamed on the network now.
    pub(super) fn offline(&self) -> bool {
        self.inner.network.offline.load(Ordering::Relaxed)
    }

    /// Why the network is down, and since when, if it is.
    pub fn network_down(&self) -> Option<(DateTime<Utc>, String)> {
        crate::panics::lock(&self.inner.network.state).down.clone()
    }

    /// Why remote failures are blamed on the network, and since when: the sentinel
    /// fails, or it has not answered since the start or a resume. `None` while they are
    /// not.
    pub fn network_blamed(&self) -> Option<(DateTime<Utc>, String)> {
        let network = crate::panics::lock(&self.inner.network.state);
        match (&network.down, network.waking) {
            (Some(down), _) => Some(down.clone()),
            (None, Some(at)) if self.offline() => {
                Some((at, "the connectivity sentinel has not answered yet".to_owned()))
            }
            _ => None,
        }
    }

    /// When the network last came back (or answered after a resume).
    pub(super) fn network_back_at(&self) -> Option<DateTime<Utc>> {
        crate::panics::lock(&self.inner.network.state).back_at
    }

    /// At start: until the sentinel's first answer, remote failures wait for it,
    /// quietly, as after a resume.
    pub(super) fn start_network(&self, now: DateTime<Utc>) {
        if !self.guards_network() {
            return;
        }
        {
            let mut network = crate::panics::lock(&self.inner.network.state);
            network.waking = Some(now);
        }
        self.inner.network.offline.store(true, Ordering::Relaxed);
    }

    /// A remote check failed: a resume not seen yet is seen now, and the sentinel asks
    /// its targets now, unless it did a moment ago.
    pub(super) fn remote_failed(&self) {
        self.look_for_resume();
        if self.config().settings.connectivity.is_some() && !self.offline() {
            self.inner.network.wake.notify_one();
        }
    }

    /// The sentinel runs: it is on, and there are remote checks to guard.
    fn guards_network(&self) -> bool {
        let config = self.config();
        config.settings.connectivity.is_some() && config.checks.iter().any(|c| c.remote())
    }

    /// Asks the targets every interval (or when a remote check failed) until the engine
    /// stops. Idle when there is no remote check to guard.
    pub(super) async fn sentinel(self, cancel: CancellationToken) {
        let Some(config) = self.config().settings.connectivity.clone() else { return };
        if !self.guards_network() {
            return;
        }
        // Names of hosts off this machine (a `network = true` check of localhost tells
        // nothing of the resolver).
        let hosts: Vec<String> =
            self.config().checks.iter().filter(|c| c.probe.off_machine()).filter_map(|c| c.probe.host()).collect();
        let client = reqwest::Client::builder().timeout(TARGET_TIMEOUT).build().ok();
        loop {
            self.look_for_resume();
            let answer = tokio::select! {
                _ = cancel.cancelled() => return,
                answer = round(&config, client.as_ref(), &hosts) => answer,
            };
            self.network_answered(answer);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(AT_MOST_EVERY) => {}
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(config.interval.saturating_sub(AT_MOST_EVERY)) => {}
                _ = self.inner.network.wake.notified() => {}
            }
        }
    }

    fn network_answered(&self, answer: Result<(), Unreachable>) {
        let now = self.now();
        let mut network = crate::panics::lock(&self.inner.network.state);
        let was_down = network.down.is_some();
        let was_waking = network.waking.is_some();
        let resumed = std::mem::take(&mut network.resumed);
        match answer {
            Ok(()) => {
                network.down = None;
                network.waking = None;
                if was_down || (was_waking && resumed) {
                    network.back_at = Some(now);
                }
            }
            // Just resumed: the network is given a while, quietly.
            Err(_) if network.waking.is_some_and(|at| now - at < WAKING_FOR) => network.resumed = resumed,
            Err(why) => {
                network.waking = None;
                if !was_down {
                    network.down = Some((now, why.0));
                }
            }
        }
        let down = network.down.clone();
        let waking = was_waking && resumed && network.waking.is_none() && down.is_none();
        self.inner.network.offline.store(down.is_some() || network.waking.is_some(), Ordering::Relaxed);
        drop(network);
        match (was_down, down) {
            (false, Some((_, why))) => {
                tracing::warn!(why = %why, "no network: remote checks are unknown until it is back");
                self.emit(Event::Network(Box::new(NetworkChange { down: Some(why) })));
            }
            (true, None) => {
                tracing::info!("the network is back: remote checks are probed now");
                self.emit(Event::Network(Box::new(NetworkChange { down: None })));
                self.rerun(true);
                self.inner.alerting.wake.notify_one();
            }
            _ if waking => {
                tracing::info!("the network answers after the resume: remote checks are probed now");
                self.rerun(true);
                self.inner.alerting.wake.notify_one();
            }
            _ => {}
        }
    }

    /// Called from the sweep: a jump of the time asleep is a resume. Every check runs
    /// at once, and remote failures wait for the sentinel's next answer.
    pub(super) fn look_for_resume(&self) {
        let asleep = self.inner.clock.asleep();
        let slept = {
            let mut network = crate::panics::lock(&self.inner.network.state);
            let slept = asleep.saturating_sub(network.asleep);
            network.asleep = asleep;
            if slept >= SLEPT_AT_LEAST && self.guards_network() {
                network.waking = Some(self.now());
                network.resumed = true;
            }
            slept
        };
        if slept < SLEPT_AT_LEAST {
            return;
        }
        tracing::info!(slept = %crate::units::format_duration(slept), "resumed from a suspend: every check runs now");
        if self.guards_network() {
            self.inner.network.offline.store(true, Ordering::Relaxed);
            self.inner.network.wake.notify_one();
        }
        self.rerun(false);
    }

    /// Every check (or every remote one) runs at once, keeping its rhythm after. Each
    /// kind has its own count, so a later one never hides an earlier one.
    pub(super) fn rerun(&self, remote_only: bool) {
        self.inner.checks.rerun.send_modify(|(all, remote)| match remote_only {
            true => *remote += 1,
            false => *all += 1,
        });
    }
}

/// One round: any target answering is enough. Without targets: a route exists (off the
/// loopback) and the resolver answers for one of the remote checks' hosts (when they have names).
async fn round(config: &Connectivity, client: Option<&reqwest::Client>, hosts: &[String]) -> Result<(), Unreachable> {
    if config.targets.is_empty() {
        if !any_route(&read("/proc/net/route"), &read("/proc/net/ipv6_route")) {
            return Err(Unreachable("no network: no route but the loopback".to_owned()));
        }
        let names: Vec<&String> = hosts.iter().filter(|h| h.parse::<std::net::IpAddr>().is_err()).take(3).collect();
        if names.is_empty() {
            return Ok(());
        }
        for name in &names {
            let name = (*name).clone();
            let lookup = tokio::task::spawn_blocking(move || resolver_answers(&name));
            if let Ok(Ok(true)) = tokio::time::timeout(TARGET_TIMEOUT, lookup).await {
                return Ok(());
            }
        }
        return Err(Unreachable(format!("the system resolver does not answer (asked for {})", names[0])));
    }
    let mut why = Vec::new();
    for target in &config.targets {
        match ask(target, client).await {
            Ok(()) => return Ok(()),
            Err(e) => why.push(format!("{target}: {e}")),
        }
    }
    Err(Unreachable(why.join("; ")))
}

async fn ask(target: &SentinelTarget, client: Option<&reqwest::Client>) -> Result<(), Unreachable> {
    match target {
        SentinelTarget::Tcp { host, port } => {
            match tokio::time::timeout(TARGET_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), *port))).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(Unreachable(e.to_string())),
                Err(_) => Err(Unreachable("timed out".to_owned())),
            }
        }
        SentinelTarget::Http(url) => {
            let client = client.ok_or_else(|| Unreachable("no HTTP client".to_owned()))?;
            // Any answer at all: the network carried it.
            client.get(url.clone()).send().await.map(|_| ()).map_err(|e| {
                Unreachable(if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    "cannot connect".to_owned()
                } else {
                    e.to_string()
                })
            })
        }
    }
}

/// Whether the system resolver answers for `name`: an address, or a definite "no such
/// name" (the name's own trouble, not the network's); not a failure to reach a server.
fn resolver_answers(name: &str) -> bool {
    let Ok(host) = std::ffi::CString::new(name) else { return true };
    let mut found: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: getaddrinfo with a valid C string, no service and no hints; what it gives
    // back is freed once, below.
    let code = unsafe { libc::getaddrinfo(host.as_ptr(), std::ptr::null(), std::ptr::null(), &mut found) };
    if code == 0 && !found.is_null() {
        // SAFETY: the list getaddrinfo allocated.
        unsafe { libc::freeaddrinfo(found) };
    }
    // EAI_NODATA (-5 in glibc): the name exists without an address.
    code == 0 || code == libc::EAI_NONAME || code == -5
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Whether the routing tables (`/proc/net/route`, `/proc/net/ipv6_route`) have a route
/// that is up off the loopback interface: some network is there. (Not only a default
/// route: a desk on an isolated network reaches its services by its own routes.)
fn any_route(ipv4: &str, ipv6: &str) -> bool {
    let v4 = ipv4.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Iface Destination Gateway Flags ...: flags RTF_UP (1).
        fields.len() > 3 && real(fields[0]) && u32::from_str_radix(fields[3], 16).is_ok_and(|flags| flags & 1 != 0)
    });
    let v6 = ipv6.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // destination, prefix length, source, its length, next hop, metric, refs, use,
        // flags, device.
        fields.len() >= 10
            && real(fields[9])
            && !fields[0].starts_with("fe80")
            && !fields[0].starts_with("ff")
            && u32::from_str_radix(fields[8], 16).is_ok_and(|flags| flags & 1 != 0)
    });
    v4 || v6
}

/// An interface that leads off this machine: not the loopback, nor a bridge of local
/// containers or VMs (those are up with no network at all).
fn real(interface: &str) -> bool {
    interface != "lo"
        && !["docker", "virbr", "br-", "veth", "lxc", "cni", "podman"].iter().any(|p| interface.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_off_the_loopback_is_read_from_the_routing_tables() {
        let header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        let default = format!("{header}eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
        let lan = format!("{header}eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        let down = format!("{header}eth0\t00000000\t0102A8C0\t0002\t0\t0\t0\t0\t0\t0\t0\n");
        assert!(any_route(&default, ""), "a default route");
        assert!(any_route(&lan, ""), "an isolated network's own route");
        assert!(!any_route(&down, ""), "a route that is not up");
        assert!(!any_route(header, ""), "no route at all");
        let v6 = "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 wlan0\n";
        assert!(any_route(header, v6), "an IPv6 route");
        let lo = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n";
        let link_local = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n";
        assert!(!any_route(header, lo), "the loopback's routes are no network");
        assert!(!any_route(header, link_local), "nor a link-local one");
        let bridge = format!("{header}docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
        assert!(!any_route(&bridge, ""), "nor a bridge of local containers");
        assert!(resolver_answers("localhost"), "an address");
        assert!(resolver_answers("no-such-host.invalid"), "or a definite no such name: the resolver answered");
        // This machine: whatever it has, reading its tables does not fail.
        let _ = any_route(&read("/proc/net/route"), &read("/proc/net/ipv6_route"));
    }
}
