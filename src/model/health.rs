//! What a service says about its own health: Spring Boot Actuator's `/health` or an IETF
//! `application/health+json` body, read into its overall status and its components;
//! and a resilience4j service's own circuit breakers.

/// A service's or a component's own word on its health, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthWord {
    /// `UP`, `pass`, `ok`.
    Up,
    /// `warn`: working, with a problem worth seeing.
    Warn,
    /// `DOWN`, `OUT_OF_SERVICE`, `fail`, `error`, and an alert's `critical`.
    Down,
    /// `UNKNOWN`, or a status Watchkeeper does not know.
    Unknown,
}

impl HealthWord {
    /// Actuator's and health+json's words (any case), and the usual synonyms.
    pub fn of(word: &str) -> HealthWord {
        match word.to_ascii_lowercase().as_str() {
            "up" | "pass" | "ok" | "healthy" => HealthWord::Up,
            "warn" | "warning" | "degraded" => HealthWord::Warn,
            "down" | "fail" | "error" | "out_of_service" | "unhealthy" | "critical" => HealthWord::Down,
            _ => HealthWord::Unknown,
        }
    }
}

/// A service's health body, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHealth {
    /// The body's own overall status, as written.
    pub status: String,
    pub components: Vec<ServiceComponent>,
    /// Components beyond the ones kept (a body may list thousands).
    pub more: usize,
}

impl ServiceHealth {
    pub fn overall(&self) -> HealthWord {
        HealthWord::of(&self.status)
    }

    /// The component with this name (`db`, or `db.primary` for a nested one).
    pub fn component(&self, name: &str) -> Option<&ServiceComponent> {
        self.components.iter().find(|c| c.name == name)
    }

    /// The components in this state, innermost first: a nested component down names
    /// its own cause, not only its parent.
    pub fn in_state(&self, status: HealthWord) -> Vec<&ServiceComponent> {
        let mut found: Vec<&ServiceComponent> = self.components.iter().filter(|c| c.health() == status).collect();
        // A parent whose child is listed says less than the child.
        let names: Vec<String> = found.iter().map(|c| c.name.clone()).collect();
        found.retain(|c| !names.iter().any(|n| n.len() > c.name.len() && n.starts_with(&format!("{}.", c.name))));
        found
    }
}

/// One component of a service: `db`, `diskSpace`, `cassandra:responseTime`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceComponent {
    /// Its name; a nested component's is its parent's, a dot, and its own.
    pub name: String,
    /// Its status as written (`UP`, `DOWN`, `pass`, ...).
    pub status: String,
    /// A short account of its details: its error, or its values.
    pub detail: Option<String>,
}

impl ServiceComponent {
    pub fn health(&self) -> HealthWord {
        HealthWord::of(&self.status)
    }

    /// What its word means as a check's status: up, degraded (warn), down, or unknown.
    pub fn level(&self) -> super::Status {
        match self.health() {
            HealthWord::Up => super::Status::Up,
            HealthWord::Warn => super::Status::Degraded,
            HealthWord::Down => super::Status::Down,
            HealthWord::Unknown => super::Status::Unknown,
        }
    }
}

/// A service's own circuit breakers as read with a probe, or why they could not be.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceBreakers {
    pub breakers: Vec<ServiceBreaker>,
    /// Why they could not be read (the check itself is not failed for it).
    pub error: Option<String>,
}

/// One of a service's own circuit breakers, as resilience4j's
/// `/actuator/circuitbreakers` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBreaker {
    pub name: String,
    /// `CLOSED`, `OPEN`, `HALF_OPEN`, `DISABLED`, `FORCED_OPEN`, ...
    pub state: String,
    /// Percent; `None` while resilience4j has too few calls (it says -1).
    pub failure_rate: Option<f64>,
    pub slow_call_rate: Option<f64>,
    pub failure_rate_threshold: Option<f64>,
    pub slow_call_rate_threshold: Option<f64>,
    pub buffered_calls: Option<u64>,
    pub failed_calls: Option<u64>,
    pub slow_calls: Option<u64>,
    pub not_permitted_calls: Option<u64>,
}

impl ServiceBreaker {
    /// Open or forced open: the service fails its calls to this dependency fast.
    pub fn is_open(&self) -> bool {
        matches!(self.state.to_ascii_uppercase().as_str(), "OPEN" | "FORCED_OPEN")
    }

    /// What its state means as a check's status: closed up, half-open degraded, open
    /// down, anything else unknown.
    pub fn level(&self) -> super::Status {
        match self.state.to_ascii_uppercase().as_str() {
            "CLOSED" => super::Status::Up,
            "HALF_OPEN" => super::Status::Degraded,
            "OPEN" | "FORCED_OPEN" => super::Status::Down,
            _ => super::Status::Unknown,
        }
    }
}
