//! Statuses of checks and levels of groups, and how they roll up.

use std::fmt;

/// The derived health of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Up,
    Degraded,
    Down,
    /// Not yet known, stale, or the probe itself failed.
    Unknown,
    Paused,
    Maintenance,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Up, Status::Degraded, Status::Down, Status::Unknown, Status::Paused, Status::Maintenance];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Degraded => "degraded",
            Status::Down => "down",
            Status::Unknown => "unknown",
            Status::Paused => "paused",
            Status::Maintenance => "maintenance",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

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

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group's degradation level, rolled up from its components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupLevel {
    Operational,
    Degraded,
    PartialOutage,
    MajorOutage,
}

impl GroupLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupLevel::Operational => "operational",
            GroupLevel::Degraded => "degraded",
            GroupLevel::PartialOutage => "partial_outage",
            GroupLevel::MajorOutage => "major_outage",
        }
    }

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
    fn the_worst_status_wins_and_maps_to_plugin_exit_codes() {
        use Status::*;
        assert_eq!(Status::worst([Up, Degraded, Unknown]), Unknown);
        assert_eq!(Status::worst([Up, Down, Unknown]), Down);
        assert_eq!(Status::worst([Up, Paused]), Paused);
        assert_eq!([Up, Degraded, Down, Unknown].map(Status::exit_code), [0, 1, 2, 3]);
    }
}
