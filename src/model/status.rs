//! Statuses of checks, levels of groups and how they roll up, and breaker states.

use super::code::codes;

codes! {
    /// The derived health of a check.
    pub enum Status("status") {
        Up = "up",
        Degraded = "degraded",
        Down = "down",
        /// Not yet known, stale, or the probe itself failed.
        Unknown = "unknown",
        Paused = "paused",
        Maintenance = "maintenance",
    }
}

impl Status {
    /// Badness for "worst of": down beats unknown beats degraded beats up.
    pub fn severity(self) -> u8 {
        match self {
            Status::Up => 0,
            Status::Paused | Status::Maintenance => 1,
            Status::Degraded => 2,
            Status::Unknown => 3,
            Status::Down => 4,
        }
    }

    /// The monitoring-plugin exit code: 0 up, 1 degraded, 2 down, 3 unknown.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Up | Status::Paused | Status::Maintenance => 0,
            Status::Degraded => 1,
            Status::Down => 2,
            Status::Unknown => 3,
        }
    }

    pub fn worst(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses.into_iter().max_by_key(|s| s.severity()).unwrap_or(Status::Unknown)
    }
}

codes! {
    /// A group's degradation level, rolled up from its components; ordered from best
    /// to worst.
    #[derive(PartialOrd, Ord)]
    pub enum GroupLevel("group level") {
        Operational = "operational",
        Degraded = "degraded",
        PartialOutage = "partial_outage",
        MajorOutage = "major_outage",
    }
}

impl GroupLevel {
    /// Rolls up each component's `(status, critical)`: every critical component down is
    /// a major outage (a group with one critical component is in one when it is down),
    /// some of them down a partial outage; else an optional component down or anything
    /// degraded or unknown degrades the group. A group without a critical component is
    /// judged as if each were critical (else it could never be in outage). Paused and
    /// maintenance components count as up. Returns the level and the components that
    /// cause it (their indices).
    pub fn rollup(components: &[(Status, bool)]) -> (GroupLevel, Vec<usize>) {
        let any_critical = components.iter().any(|(_, critical)| *critical);
        let critical: Vec<usize> = (0..components.len()).filter(|&i| components[i].1 || !any_critical).collect();
        let down: Vec<usize> = critical.iter().copied().filter(|&i| components[i].0 == Status::Down).collect();
        if !down.is_empty() {
            let level = if down.len() == critical.len() { GroupLevel::MajorOutage } else { GroupLevel::PartialOutage };
            return (level, down);
        }
        let degrading: Vec<usize> = (0..components.len())
            .filter(|&i| matches!(components[i].0, Status::Down | Status::Degraded | Status::Unknown))
            .collect();
        match degrading.is_empty() {
            true => (GroupLevel::Operational, degrading),
            false => (GroupLevel::Degraded, degrading),
        }
    }

    /// The status a failing component shows at most, for its group's level: an
    /// optional component down in a degraded group makes the tray amber, not red.
    pub fn caps(self) -> Status {
        match self {
            GroupLevel::Operational => Status::Up,
            GroupLevel::Degraded => Status::Degraded,
            GroupLevel::PartialOutage | GroupLevel::MajorOutage => Status::Down,
        }
    }
}

codes! {
    /// A circuit breaker's state.
    pub enum BreakerState("breaker state") {
        Closed = "closed",
        Open = "open",
        HalfOpen = "half_open",
        /// Set by the user: probes, never opens.
        Disabled = "disabled",
        /// Set by the user: no probe reaches the target until it is reset.
        ForcedOpen = "forced_open",
    }
}

impl BreakerState {
    /// The number `/metrics` exports: 0 closed, 1 open, 2 half-open, 3 disabled, 4
    /// forced open.
    pub fn as_metric(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
            BreakerState::Disabled => 3,
            BreakerState::ForcedOpen => 4,
        }
    }

    /// No probe reaches the target: open, or forced open.
    pub fn spares_target(self) -> bool {
        matches!(self, BreakerState::Open | BreakerState::ForcedOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_roll_up_by_criticality_naming_the_cause() {
        use Status::*;
        let level = |components: &[(Status, bool)]| {
            let (level, causes) = GroupLevel::rollup(components);
            format!("{} {causes:?}", level.as_str())
        };
        assert_eq!(level(&[(Up, true), (Up, false)]), "operational []");
        assert_eq!(level(&[(Up, true), (Degraded, true)]), "degraded [1]", "a critical component degraded");
        assert_eq!(level(&[(Up, true), (Down, false)]), "degraded [1]", "an optional component down");
        assert_eq!(level(&[(Down, true), (Up, true), (Down, false)]), "partial_outage [0]", "some critical ones down");
        assert_eq!(level(&[(Down, true), (Up, false)]), "major_outage [0]", "the one critical component down");
        assert_eq!(level(&[(Down, true), (Down, true), (Up, false)]), "major_outage [0, 1]", "every critical one down");
        assert_eq!(level(&[(Down, false), (Down, false)]), "major_outage [0, 1]", "no critical one: all count");
        assert_eq!(level(&[(Down, false), (Up, false)]), "partial_outage [0]");
        assert_eq!(level(&[(Unknown, false), (Up, true)]), "degraded [0]", "an unknown component is not operational");
        assert_eq!(level(&[(Paused, true), (Maintenance, true)]), "operational []", "paused is not failing");
        assert_eq!(level(&[]), "operational []");
    }

    #[test]
    fn the_worst_status_wins_and_maps_to_plugin_exit_codes() {
        use Status::*;
        assert_eq!(Status::worst([Up, Degraded, Unknown]), Unknown);
        assert_eq!(Status::worst([Up, Down, Unknown]), Down);
        assert_eq!(Status::worst([Up, Paused]), Paused);
        assert_eq!([Up, Degraded, Down, Unknown].map(Status::exit_code), [0, 1, 2, 3]);
    }
}
