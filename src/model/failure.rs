//! Failure classes, each with the resolution an operator can act on.

use super::code::codes;

codes! {
    /// Why a result is not "up", classified so the user gets a resolution they can act on.
    pub enum FailureClass("failure class") {
        /// The connection was refused: nothing listens on the port.
        Refused = "refused",
        /// The probe ran out of time.
        Timeout = "timeout",
        /// The host name did not resolve.
        Dns = "dns",
        /// The TLS handshake or certificate verification failed.
        Tls = "tls",
        /// The HTTP status did not meet `expect`.
        HttpStatus = "http_status",
        /// A condition of `expect` did not hold.
        Condition = "condition",
        /// The response body was larger than the cap.
        BodyTooLarge = "body_too_large",
        /// A connection-level failure other than refused (reset, unreachable, ...).
        Connection = "connection",
        /// The service answers, and says a component it needs is down.
        Component = "component",
        /// The service's health body (Actuator, health+json) cannot be read.
        HealthBody = "health_body",
        /// The breaker is open: the target was not contacted.
        BreakerOpen = "breaker_open",
        /// The file or directory a check watches does not exist.
        NotFound = "not_found",
        /// Watchkeeper may not read what the check watches.
        Permission = "permission",
        /// The DNS name does not exist (NXDOMAIN).
        Nxdomain = "nxdomain",
        /// The DNS server failed to answer (SERVFAIL).
        Servfail = "servfail",
        /// The DNS server refused the query (REFUSED).
        DnsRefused = "dns_refused",
        /// The certificate has expired, is not valid yet, or has fewer days left than
        /// `expect` allows.
        CertExpiry = "cert_expiry",
        /// The certificate is not valid for the name asked.
        CertName = "cert_name",
        /// The certificate is signed by itself.
        CertSelfSigned = "cert_self_signed",
        /// The chain does not lead to a trusted root.
        CertUntrusted = "cert_untrusted",
        /// The container engine cannot be reached, or what answers is not one.
        ContainerEngine = "container_engine",
        /// The server refused the query (Prometheus' PromQL error, with its text).
        QueryError = "query_error",
        /// The answer is not what the kind reads (a login page, a proxy's error page).
        UnexpectedAnswer = "unexpected_answer",
        /// No heartbeat came within `grace`.
        MissedHeartbeat = "missed_heartbeat",
        /// The job reported a failure with its heartbeat.
        JobFailed = "job_failed",
        /// A critical alert fires in the Alertmanager a check reads.
        AlertFiring = "alert_firing",
        /// The probe itself failed (panicked, could not start, bad set-up).
        ProbeError = "probe_error",
    }
}

impl FailureClass {
    /// What the operator can do about it.
    pub fn resolution(self) -> &'static str {
        match self {
            FailureClass::Refused => "nothing accepts connections on that port: start the service or fix the port",
            FailureClass::Timeout => {
                "the target did not answer in time: check that it is not hung or overloaded, or raise `timeout`"
            }
            FailureClass::Dns => "the name does not resolve: check the spelling and your DNS or VPN",
            FailureClass::Tls => {
                "the TLS handshake failed: check the certificate (expiry, host name, chain) or the port"
            }
            FailureClass::HttpStatus => {
                "the service answered with an unexpected status: read its logs, or adjust `expect`"
            }
            FailureClass::Condition => {
                "a condition of `expect` did not hold: compare expected and got, then fix the service or the condition"
            }
            FailureClass::BodyTooLarge => {
                "the response is larger than the cap: point the check at a smaller endpoint or raise `max_body`"
            }
            FailureClass::Connection => {
                "the connection failed: check that the host is reachable (network, firewall, VPN)"
            }
            FailureClass::Component => {
                "the service answers but a component it needs is down: fix that dependency (its detail says why)"
            }
            FailureClass::HealthBody => {
                "the health body cannot be read: check what the endpoint returns (Spring Boot Actuator health or application/health+json)"
            }
            FailureClass::BreakerOpen => {
                "the target kept failing so probing is paused: a trial runs when the breaker half-opens"
            }
            FailureClass::NotFound => {
                "it does not exist: check the path or name, and that whatever creates it (a job, a deploy) has run"
            }
            FailureClass::Permission => {
                "Watchkeeper may not read it: grant its user read access (and search access to every directory on the way), or watch a path it can read"
            }
            FailureClass::Nxdomain => {
                "the name does not exist in DNS: check the spelling, and that the record was not removed from its zone"
            }
            FailureClass::Servfail => {
                "the DNS server could not answer: check the zone's name servers and DNSSEC, or ask another `server`"
            }
            FailureClass::DnsRefused => {
                "the DNS server refused the query: it may not serve this zone or this client; ask a server that does"
            }
            FailureClass::CertExpiry => {
                "renew the certificate (and check why its automatic renewal did not run); a certificate not valid yet points at this machine's clock"
            }
            FailureClass::CertName => {
                "the certificate names other hosts: add this name to it, or set `server_name` to a name it covers"
            }
            FailureClass::CertSelfSigned => {
                "the server presents a self-signed certificate: install one from a trusted CA, or trust it with `ca_file`"
            }
            FailureClass::CertUntrusted => {
                "the chain does not verify: serve the intermediate certificates too, or trust the internal CA with `ca_file`"
            }
            FailureClass::ContainerEngine => {
                "the container engine cannot be used: is Docker (or Podman's service) running, and is `socket` its socket?"
            }
            FailureClass::QueryError => {
                "the server refused the query: fix it where its message points (try it in the server's own UI first)"
            }
            FailureClass::UnexpectedAnswer => {
                "the answer is not the service's API: check that `url` points at the service itself, not a proxy or a login page"
            }
            FailureClass::MissedHeartbeat => {
                "the job did not report in time: check that it still runs (its cron line or timer) and reaches Watchkeeper's push URL, or raise `grace`"
            }
            FailureClass::JobFailed => {
                "the job said it failed: read its message and its log; its next successful ping recovers the check"
            }
            FailureClass::AlertFiring => {
                "an alert fires in the fleet: read its summary and act on it (its runbook), or silence it in Alertmanager while you work"
            }
            FailureClass::ProbeError => {
                "the probe itself could not run: read the message, fix the check's config or the environment"
            }
        }
    }
}

/// A classified failure with its human message, e.g. "connection refused".
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: FailureClass,
    pub message: String,
}

impl Failure {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Failure {
        Failure { class, message: message.into() }
    }
}
