//! This machine when a local check goes down, for its incident's evidence: who listens
//! on the port it reaches (read from `/proc`: the socket tables, then each process's
//! open files), the busiest processes, and disk and memory. Bounded: at most
//! [`TOP`] processes and [`DISKS`] file systems, and the figures of one moment are
//! shared by the incidents that open within [`SHARED_FOR`] of it (a burst of failures
//! reads the process table once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sysinfo::{Disks, ProcessRefreshKind, ProcessesToUpdate, System};

use super::system::Sampler;
use crate::store::evidence::{DiskUse, Local, MemoryUse, PortOwner, TopProcess};

/// The busiest processes kept: by CPU, then by memory (the two lists merged).
pub const TOP: usize = 5;
/// The file systems kept, fullest first.
pub const DISKS: usize = 6;
/// How long one reading of processes, disk and memory serves.
const SHARED_FOR: Duration = Duration::from_secs(5);
/// The most open files looked through for a socket's owner.
const MOST_FDS: usize = 200_000;

/// How a port is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// The figures of one moment: everything in [`Local`] but the port.
#[derive(Debug, Clone, Default)]
pub(super) struct Reading {
    top: Vec<TopProcess>,
    disk: Vec<DiskUse>,
    memory: Option<MemoryUse>,
}

/// This machine now, for a check that reaches `port` (if any). Off the runtime.
pub async fn gather(sampler: &Arc<Sampler>, port: Option<(u16, Transport)>) -> Option<Local> {
    let sampler = sampler.clone();
    tokio::task::spawn_blocking(move || {
        let reading = sampler.reading(SHARED_FOR, read);
        Local {
            port: port.map(|(port, _)| port),
            port_owner: port.and_then(|(port, transport)| port_owner(port, transport)),
            top: reading.top,
            disk: reading.disk,
            memory: reading.memory,
        }
    })
    .await
    .ok()
}

/// Reads processes (CPU over at least sysinfo's minimum interval), disk and memory.
fn read(system: &mut System, primed: bool) -> Reading {
    let refresh = ProcessRefreshKind::nothing().with_cpu().with_memory();
    if !primed {
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh);
        // CPU use is a difference between two readings.
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    }
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh);
    system.refresh_memory();
    let own = std::process::id();
    let processes: Vec<TopProcess> = system
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none())
        .map(|p| TopProcess {
            pid: p.pid().as_u32(),
            process: if p.pid().as_u32() == own {
                "watchkeeper (this app)".to_owned()
            } else {
                p.name().to_string_lossy().chars().take(64).collect()
            },
            cpu: (f64::from(p.cpu_usage()) * 10.0).round() / 10.0,
            memory: p.memory(),
        })
        .collect();
    let disks = Disks::new_with_refreshed_list();
    let mut disk: Vec<DiskUse> = disks
        .list()
        .iter()
        .filter(|d| d.total_space() > 0)
        .map(|d| {
            let total = d.total_space();
            let used = total.saturating_sub(d.available_space());
            DiskUse {
                mount: d.mount_point().to_string_lossy().chars().take(128).collect(),
                used_percent: (used as f64 * 1000.0 / total as f64).round() / 10.0,
                available: d.available_space(),
            }
        })
        .collect();
    disk.sort_by(|a, b| b.used_percent.total_cmp(&a.used_percent).then_with(|| a.mount.cmp(&b.mount)));
    disk.dedup_by(|a, b| a.mount == b.mount);
    disk.truncate(DISKS);
    let total = system.total_memory();
    let memory = (total > 0).then(|| MemoryUse {
        used_percent: (system.used_memory() as f64 * 1000.0 / total as f64).round() / 10.0,
        available: system.available_memory(),
        total,
    });
    let mut top = top(processes);
    for process in &mut top {
        process.process = full_name(process.pid, &process.process);
    }
    Reading { top, disk, memory }
}

/// A process's name in full: the kernel keeps 15 bytes of it (`prometheus-aler`), so a
/// name that long is taken from its command line when that starts the same way.
fn full_name(pid: u32, name: &str) -> String {
    const KEPT: usize = 15;
    if name.len() != KEPT {
        return name.to_owned();
    }
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return name.to_owned() };
    let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let program = String::from_utf8_lossy(first);
    let program = program.rsplit('/').next().unwrap_or_default();
    if program.starts_with(name) {
        program.chars().take(64).collect()
    } else {
        name.to_owned()
    }
}

/// The [`TOP`] busiest by CPU and the [`TOP`] largest, once each, busiest first.
fn top(mut processes: Vec<TopProcess>) -> Vec<TopProcess> {
    processes.sort_by(|a, b| b.cpu.total_cmp(&a.cpu).then(b.memory.cmp(&a.memory)));
    let mut kept: Vec<TopProcess> = processes.iter().take(TOP).cloned().collect();
    processes.sort_by_key(|p| std::cmp::Reverse(p.memory));
    for process in processes.into_iter().take(TOP) {
        if !kept.iter().any(|k| k.pid == process.pid) {
            kept.push(process);
        }
    }
    kept
}

/// A TCP socket listening on this machine: its port and the address it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    pub port: u16,
    pub address: std::net::IpAddr,
}

/// Every TCP socket listening on this machine, once per port and address, by port.
pub fn listening_tcp() -> Vec<Listening> {
    let mut found = Vec::new();
    for (table, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(&"0A")) = (fields.get(1), fields.get(3)) else { continue };
            let Some((address, port)) = local.split_once(':') else { continue };
            let (Ok(port), Some(address)) = (u16::from_str_radix(port, 16), address_of(address, v6)) else { continue };
            let listening = Listening { port, address };
            if !found.contains(&listening) {
                found.push(listening);
            }
        }
    }
    found.sort_by_key(|l| (l.port, l.address));
    found
}

/// An address as `/proc/net/tcp[6]` writes it: hex, each 32-bit word in host order.
fn address_of(hex: &str, v6: bool) -> Option<std::net::IpAddr> {
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| hex.get(i * 8..i * 8 + 8).and_then(|w| u32::from_str_radix(w, 16).ok()))
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    match (v6, bytes.len()) {
        (false, 4) => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        (true, 16) => {
            let v6 = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?);
            Some(v6.to_ipv4_mapped().map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4))
        }
        _ => None,
    }
}

/// Who listens on `port` on this machine: `None` when nobody does (or where `/proc`
/// does not say).
pub fn port_owner(port: u16, transport: Transport) -> Option<PortOwner> {
    let tables: &[&str] = match transport {
        Transport::Tcp => &["/proc/net/tcp", "/proc/net/tcp6"],
        Transport::Udp => &["/proc/net/udp", "/proc/net/udp6"],
    };
    let mut sockets = Vec::new();
    for table in tables {
        if let Ok(text) = std::fs::read_to_string(table) {
            sockets.extend(listening(&text, port, transport));
        }
    }
    let (_, uid) = *sockets.first()?;
    let inodes: Vec<u64> = sockets.iter().map(|(inode, _)| *inode).collect();
    Some(owner_of(&inodes).unwrap_or_else(|| PortOwner { pid: None, process: format!("a process of uid {uid}") }))
}

/// The (inode, uid) of each socket in a `/proc/net/{tcp,udp}[6]` table bound to
/// `port` and listening (TCP) or bound (UDP).
fn listening(table: &str, port: u16, transport: Transport) -> Vec<(u64, u32)> {
    let state = match transport {
        Transport::Tcp => "0A",
        Transport::Udp => "07",
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let bound = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            (bound == port && *fields.get(3)? == state).then_some(())?;
            let uid = fields.get(7)?.parse().ok()?;
            let inode = fields.get(9)?.parse().ok().filter(|inode| *inode != 0)?;
            Some((inode, uid))
        })
        .collect()
}

/// The process holding one of these socket inodes open: the lowest pid, so a server's
/// parent is named rather than one of its workers.
fn owner_of(inodes: &[u64]) -> Option<PortOwner> {
    let wanted: Vec<String> = inodes.iter().map(|inode| format!("socket:[{inode}]")).collect();
    let mut pids: Vec<u32> =
        std::fs::read_dir("/proc").ok()?.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).collect();
    pids.sort_unstable();
    let mut looked = 0;
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
        for fd in fds.flatten() {
            looked += 1;
            if looked > MOST_FDS {
                return None;
            }
            let Ok(target) = std::fs::read_link(fd.path()) else { continue };
            if wanted.iter().any(|w| target.as_os_str() == w.as_str()) {
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let name = full_name(pid, name.trim());
                let process = if pid == std::process::id() {
                    "watchkeeper (this app)".to_owned()
                } else if name.is_empty() {
                    format!("pid {pid}")
                } else {
                    name
                };
                return Some(PortOwner { pid: Some(pid), process });
            }
        }
    }
    None
}

impl Sampler {
    /// The figures of one moment, read by `read` (given whether process CPU is primed)
    /// unless a reading younger than `fresh` is kept.
    pub(super) fn reading(&self, fresh: Duration, read: fn(&mut System, bool) -> Reading) -> Reading {
        self.with_system(|system, processes_at, kept| {
            if let Some((at, reading)) = kept.as_ref() {
                if at.elapsed() < fresh {
                    return reading.clone();
                }
            }
            // The process table was read lately (by a process check, or the last
            // reading): CPU use since then is meaningful, no second look is needed.
            let lately = |at: &Instant| at.elapsed() < Duration::from_secs(10);
            let primed = processes_at.as_ref().is_some_and(lately) || kept.as_ref().is_some_and(|(at, _)| lately(at));
            let reading = read(system, primed);
            *kept = Some((Instant::now(), reading.clone()));
            reading
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_table_names_the_listening_socket_on_a_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000   999        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0
   garbage line";
        // 0x1F90 is 8080: the listening socket, not the connection to it.
        assert_eq!(listening(table, 8080, Transport::Tcp), vec![(4242, 999)]);
        assert_eq!(listening(table, 80, Transport::Tcp), vec![(77, 0)]);
        assert!(listening(table, 8081, Transport::Tcp).is_empty());
        assert!(listening(table, 8080, Transport::Udp).is_empty(), "UDP's bound state is 07");
    }

    #[test]
    fn this_process_is_found_holding_its_own_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let owner = port_owner(port, Transport::Tcp).expect("a listener is found");
        assert_eq!(owner, PortOwner { pid: Some(std::process::id()), process: "watchkeeper (this app)".into() });
        drop(listener);
        assert_eq!(port_owner(port, Transport::Tcp), None, "nobody listens once it is closed");
    }

    #[test]
    fn a_name_the_kernel_cut_is_read_whole_from_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("watchkeeper-long-program-name");
        std::fs::copy("/bin/sleep", &program).unwrap();
        let mut child = std::process::Command::new(&program).arg("30").spawn().unwrap();
        // `spawn` may return before the child has made the exec: wait until /proc shows
        // the new program (its name and command line), at most 10 s.
        let read = |what: &str| std::fs::read(format!("/proc/{}/{what}", child.id())).unwrap_or_default();
        let execed = || read("comm").starts_with(b"watchkeeper-lon") && read("cmdline").ends_with(b"30\0");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !execed() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let comm = String::from_utf8(read("comm")).unwrap();
        assert_eq!(comm.trim(), "watchkeeper-lon", "the kernel keeps 15 bytes");
        assert_eq!(full_name(child.id(), comm.trim()), "watchkeeper-long-program-name");
        assert_eq!(full_name(child.id(), "sleep"), "sleep", "a shorter name is whole already");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn top_keeps_the_busiest_and_the_largest_once_each() {
        let p = |pid, cpu, memory| TopProcess { pid, process: format!("p{pid}"), cpu, memory };
        let all: Vec<TopProcess> = (1..=20).map(|pid| p(pid, f64::from(pid), u64::from(100 - pid))).collect();
        let kept = top(all);
        let pids: Vec<u32> = kept.iter().map(|t| t.pid).collect();
        assert_eq!(pids, vec![20, 19, 18, 17, 16, 1, 2, 3, 4, 5]);
        let mut both = top(vec![p(1, 50.0, 1000), p(2, 1.0, 10)]);
        both.dedup_by_key(|t| t.pid);
        assert_eq!(both.len(), 2, "a process that is both busy and large is listed once");
    }
}
