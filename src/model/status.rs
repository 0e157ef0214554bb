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
    /// Rolls up `(status, critical)` of each component: a critical component down is a
    /// major outage, an optional one down a partial outage... unless every component is
    /// down; a degraded component (or an optional one unknown) degrades the group.
    pub fn rollup(components: impl IntoIterator<Item = (Status, bool)>) -> GroupLevel {
        let mut level = GroupLevel::Operational;
        let mut total = 0;
        let mut down = 0;
        for (status, critical) in components {
            total += 1;
            let this = match (status, critical) {
                (Status::Down, true) => GroupLevel::MajorOutage,
                (Status::Down, false) => {
                    down += 1;
                    GroupLevel::PartialOutage
                }
                (Status::Degraded | Status::Unknown, _) => GroupLevel::Degraded,
                _ => GroupLevel::Operational,
            };
            level = level.max(this);
        }
        if total > 0 && down == total {
            level = GroupLevel::MajorOutage;
        }
        level
    }

    /// Each group's level, groups in the order they first appear, from every grouped
    /// component's `(group, status, critical)`.
    pub fn of_groups<'a>(components: impl IntoIterator<Item = (&'a str, Status, bool)>) -> Vec<(&'a str, GroupLevel)> {
        let mut groups: Vec<(&str, Vec<(Status, bool)>)> = Vec::new();
        for (group, status, critical) in components {
            match groups.iter_mut().find(|(name, _)| *name == group) {
                Some((_, members)) => members.push((status, critical)),
                None => groups.push((group, vec![(status, critical)])),
            }
        }
        groups.into_iter().map(|(name, members)| (name, GroupLevel::rollup(members))).collect()
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
    fn groups_roll_up_by_criticality() {
        use Status::*;
        let level = |components: &[(Status, bool)]| GroupLevel::rollup(components.iter().copied()).as_str();
        assert_eq!(level(&[(Up, true), (Up, false)]), "operational");
        assert_eq!(level(&[(Up, true), (Degraded, true)]), "degraded", "a degraded component degrades the group");
        assert_eq!(level(&[(Up, true), (Down, false)]), "partial_outage", "an optional component down");
        assert_eq!(level(&[(Down, true), (Up, false)]), "major_outage", "a critical component down");
        assert_eq!(level(&[(Down, false), (Down, false)]), "major_outage", "every component down");
        assert_eq!(level(&[(Unknown, false), (Up, true)]), "degraded", "an unknown component is not operational");
    }

    #[test]
    fn groups_keep_their_first_seen_order() {
        use Status::*;
        let levels = GroupLevel::of_groups([("shop", Up, true), ("db", Down, true), ("shop", Down, false)]);
        assert_eq!(levels, [("shop", GroupLevel::PartialOutage), ("db", GroupLevel::MajorOutage)]);
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
