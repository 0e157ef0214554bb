//! The probe kinds that watch more than HTTP and ports (file, dns, ...), each against
//! real things: files in temp dirs, a DNS responder on loopback.

use std::time::Duration;

use watchkeeper::config::compile;
use watchkeeper::model::{FailureClass, Verdict};
use watchkeeper::probe;

use crate::support::{assert_config_refused, binary, class, one_check, verdict};

fn set_age(path: &std::path::Path, age: Duration) {
    let file = std::fs::File::options().append(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age).unwrap();
}

#[tokio::test]
async fn file_checks_judge_existence_age_size_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("db.dump");
    let fresh =
        one_check(&format!("kind = \"file\"\npath = \"{}\"\nexpect = [\"age < 1d\", \"size > 1KB\"]", dump.display()));
    let missing = verdict(&fresh).await;
    assert_eq!(class(&missing), Some(FailureClass::NotFound), "a missing file is not found: {missing:?}");
    if let Verdict::Down(failure) = &missing {
        assert!(failure.message.contains("db.dump` does not exist"), "{}", failure.message);
    }

    std::fs::write(&dump, vec![7u8; 4096]).unwrap();
    assert_eq!(verdict(&fresh).await, Verdict::Up, "a fresh dump of 4 KB");
    set_age(&dump, Duration::from_secs(2 * 86_400));
    let stale = verdict(&fresh).await;
    assert_eq!(class(&stale), Some(FailureClass::Condition), "{stale:?}");
    if let Verdict::Down(failure) = &stale {
        assert!(failure.message.starts_with("expected age < 1d, got 2d"), "{}", failure.message);
    }

    let default = one_check(&format!("kind = \"file\"\npath = \"{}\"", dump.display()));
    assert_eq!(default.expect.iter().map(|c| c.source.as_str()).collect::<Vec<_>>(), ["exists == true"]);
    assert_eq!(verdict(&default).await, Verdict::Up);

    let gone = one_check(&format!(
        "kind = \"file\"\npath = \"{}\"\nexpect = [\"exists == false\"]",
        dir.path().join("app.lock").display()
    ));
    assert_eq!(verdict(&gone).await, Verdict::Up, "a lock file that should be gone is judged by its condition");
    std::fs::write(dir.path().join("app.lock"), "1").unwrap();
    assert_eq!(class(&verdict(&gone).await), Some(FailureClass::NotFound), "exists is the not_found class");

    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let nightly = one_check(&format!(
        "kind = \"file\"\npath = \"{}\"\nglob = \"*.tar.gz\"\nexpect = [\"count >= 2\", \"age < 26h\"]",
        backups.display()
    ));
    assert_eq!(nightly.probe.target(), format!("{}/*.tar.gz", backups.display()));
    for (name, age) in [("mon.tar.gz", 3), ("tue.tar.gz", 2), ("notes.txt", 0)] {
        let path = backups.join(name);
        std::fs::write(&path, "x").unwrap();
        set_age(&path, Duration::from_secs(age * 86_400));
    }
    let old = verdict(&nightly).await;
    assert!(matches!(&old, Verdict::Down(f) if f.message.starts_with("expected age < 26h, got 2d")), "{old:?}");
    std::fs::write(backups.join("wed.tar.gz"), "x").unwrap();
    assert_eq!(verdict(&nightly).await, Verdict::Up, "last night's backup is there");
}

#[test]
fn file_keys_are_checked_where_they_are_written() {
    assert_config_refused(
        "[[check]]\nid = \"f\"\nkind = \"file\"\npath = \"backups\"\n",
        &["wk.toml:4:8", "must be an absolute path, got `backups`", "write the whole path from `/`"],
    );
    assert_config_refused(
        "[[check]]\nid = \"f\"\nkind = \"file\"\npath = \"/srv\"\nglob = \"old/*.gz\"\n",
        &["wk.toml:5:8", "matches names in the directory only"],
    );
    assert_config_refused("[[check]]\nid = \"f\"\nkind = \"file\"\n", &["`path`", "/var/backups/db.dump"]);
    assert_config_refused(
        "[[check]]\nid = \"f\"\nkind = \"file\"\npath = \"/srv\"\nexpect = [\"mtime < 1d\"]\n",
        &["file checks have: exists, age, size, count, latency"],
    );
}

/// What Watchkeeper may not read is `permission`, with its resolution. Run as root (as
/// CI is), the check runs as `nobody` through `setpriv`, since root reads everything.
#[test]
fn a_file_it_may_not_read_is_a_permission_failure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let private = root.join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::write(private.join("secret.key"), "k").unwrap();
    let config = root.join("wk.toml");
    std::fs::write(
        &config,
        format!("[[check]]\nid = \"key\"\nkind = \"file\"\npath = \"{}\"\n", private.join("secret.key").display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let args = ["check", "--json", "--config", config.to_str().unwrap(), "--data-dir", "/nonexistent"];
    // SAFETY: geteuid has no preconditions.
    let output = if unsafe { libc::geteuid() } == 0 {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", binary()])
            .args(args)
            .env_remove("WATCHKEEPER_CONFIG")
            .output()
            .expect("setpriv (util-linux) runs")
    } else {
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::process::Command::new(binary()).args(args).env_remove("WATCHKEEPER_CONFIG").output().unwrap()
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "down:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let failure = &report["checks"][0]["failure"];
    assert_eq!(failure["class"], "permission", "{report}");
    assert!(failure["resolution"].as_str().unwrap_or("").contains("grant its user read access"), "{report}");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// docs/config.md shows an example of every kind: each one compiles as it is shown.
#[test]
fn every_kind_example_in_the_docs_compiles() {
    for kind in probe::kinds() {
        if kind.example.is_empty() {
            continue;
        }
        let compiled = compile(kind.example, "example.toml")
            .unwrap_or_else(|e| panic!("the example of `{}` compiles: {e}", kind.name));
        assert_eq!(compiled.config.checks[0].probe.kind(), kind.name);
        assert!(compiled.warnings.is_empty(), "{}: {:?}", kind.name, compiled.warnings);
    }
}

mod dns {
    use std::net::Ipv4Addr;
    use std::time::{Duration, Instant};

    use hickory_proto::rr::rdata::{A, CNAME, MX, SRV, TXT};
    use hickory_proto::rr::{Name, RData};
    use watchkeeper::model::{FailureClass, Value, Verdict};
    use watchkeeper::probe::{self, ProbeContext};

    use super::{class, one_check, verdict};
    use crate::support::assert_config_refused;
    use crate::support::dns::{DnsServer, Mode};

    fn name(text: &str) -> Name {
        Name::from_utf8(text).unwrap()
    }

    async fn zone() -> DnsServer {
        let server = DnsServer::start().await;
        server.add("app.test.", 300, RData::A(A(Ipv4Addr::new(10, 0, 0, 5))));
        server.add("app.test.", 60, RData::A(A(Ipv4Addr::new(10, 0, 0, 6))));
        server.add("test.", 3600, RData::MX(MX::new(10, name("mail.test."))));
        server.add("test.", 3600, RData::TXT(TXT::new(vec!["v=spf1 -all".into()])));
        server.add("_sip._udp.test.", 600, RData::SRV(SRV::new(10, 5, 5060, name("sip.test."))));
        server.add("www.test.", 600, RData::CNAME(CNAME(name("app.test."))));
        server
    }

    fn check(server: &DnsServer, keys: &str) -> watchkeeper::config::CheckConfig {
        one_check(&format!("kind = \"dns\"\nserver = \"{}\"\ntimeout = \"1s\"\n{keys}", server.server()))
    }

    #[tokio::test]
    async fn records_are_answers_with_their_count_and_ttl() {
        let server = zone().await;
        let a = check(&server, "name = \"app.test\"\nexpect = [\"answers contains \\\"10.0.0.6\\\"\", \"count == 2\"]");
        assert_eq!(a.probe.target(), format!("A app.test @{}", server.addr));
        let observation = probe::run(&ProbeContext::default(), &a.probe, a.timeout, a.interval).await;
        assert_eq!(
            observation.value("answers").as_deref(),
            Some(&Value::Json(serde_json::json!(["10.0.0.5", "10.0.0.6"]))),
            "{observation:?}"
        );
        assert_eq!(observation.value("ttl").as_deref(), Some(&Value::Duration(Duration::from_secs(60))), "the lowest");
        assert!(observation.latency.is_some());
        assert_eq!(verdict(&a).await, Verdict::Up);

        for (keys, want) in [
            ("name = \"test\"\nrecord = \"mx\"", "10 mail.test."),
            ("name = \"test\"\nrecord = \"TXT\"", "v=spf1 -all"),
            ("name = \"_sip._udp.test\"\nrecord = \"SRV\"", "10 5 5060 sip.test."),
            ("name = \"www.test\"\nrecord = \"CNAME\"", "app.test."),
        ] {
            let check = check(&server, keys);
            let observation = probe::run(&ProbeContext::default(), &check.probe, check.timeout, check.interval).await;
            assert_eq!(
                observation.value("answers").as_deref(),
                Some(&Value::Json(serde_json::json!([want]))),
                "{keys}: {observation:?}"
            );
            assert_eq!(evaluate_default(&check, &observation), Verdict::Up, "{keys}");
        }

        let changed = check(&server, "name = \"app.test\"\nexpect = [\"answers contains \\\"10.0.0.9\\\"\"]");
        let failed = verdict(&changed).await;
        assert!(
            matches!(&failed, Verdict::Down(f) if f.message == r#"expected answers contains "10.0.0.9", got ["10.0.0.5","10.0.0.6"]"#),
            "{failed:?}"
        );
    }

    fn evaluate_default(
        check: &watchkeeper::config::CheckConfig,
        observation: &watchkeeper::model::Observation,
    ) -> Verdict {
        watchkeeper::engine::evaluate(check, observation).0
    }

    #[tokio::test]
    async fn each_way_a_lookup_fails_is_its_own_class() {
        let server = zone().await;
        let missing = check(&server, "name = \"nope.test\"");
        let nx = verdict(&missing).await;
        assert_eq!(class(&nx), Some(FailureClass::Nxdomain), "{nx:?}");
        assert!(matches!(&nx, Verdict::Down(f) if f.message.contains("nope.test does not exist: NXDOMAIN from")));

        let no_aaaa = check(&server, "name = \"app.test\"\nrecord = \"AAAA\"");
        let nodata = verdict(&no_aaaa).await;
        assert_eq!(class(&nodata), Some(FailureClass::Dns), "a name without that record: {nodata:?}");
        assert!(matches!(&nodata, Verdict::Down(f) if f.message == "expected count >= 1, got 0"), "{nodata:?}");

        let app = check(&server, "name = \"app.test\"");
        server.set(Mode::ServFail);
        assert_eq!(class(&verdict(&app).await), Some(FailureClass::Servfail));
        server.set(Mode::Refused);
        assert_eq!(class(&verdict(&app).await), Some(FailureClass::DnsRefused));
        server.set(Mode::Garbage);
        let garbage = verdict(&app).await;
        assert!(
            matches!(&garbage, Verdict::Down(f) if f.class == FailureClass::Dns && f.message.contains("cannot be read")),
            "{garbage:?}"
        );
        server.set(Mode::CutShort);
        let cut = verdict(&app).await;
        assert!(
            matches!(&cut, Verdict::Down(f) if f.class == FailureClass::Dns && f.message.contains("cannot be read")),
            "{cut:?}"
        );

        server.set(Mode::Hang);
        let started = Instant::now();
        let hung = verdict(&app).await;
        assert_eq!(class(&hung), Some(FailureClass::Timeout), "{hung:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "bounded by the check's timeout");

        let port = server.addr.port();
        drop(server);
        let gone =
            one_check(&format!("kind = \"dns\"\nname = \"app.test\"\nserver = \"127.0.0.1:{port}\"\ntimeout = \"1s\""));
        let refused = verdict(&gone).await;
        assert!(matches!(class(&refused), Some(FailureClass::Refused | FailureClass::Timeout)), "{refused:?}");
    }

    #[tokio::test]
    async fn a_truncated_answer_is_asked_again_over_tcp() {
        let server = zone().await;
        server.set(Mode::Truncate);
        let app = check(&server, "name = \"app.test\"\nexpect = [\"count == 2\"]");
        assert_eq!(verdict(&app).await, Verdict::Up);
        assert_eq!(server.over_tcp(), 1, "{:?}", server.seen.lock().unwrap());
    }

    #[test]
    fn dns_keys_are_checked_where_they_are_written() {
        assert_config_refused(
            "[[check]]\nid = \"d\"\nkind = \"dns\"\nname = \"example.com\"\nrecord = \"PTR\"\n",
            &["wk.toml:5:10", "unknown record type `PTR`", "use one of: A, AAAA, CNAME, MX, TXT, NS, SRV"],
        );
        assert_config_refused(
            "[[check]]\nid = \"d\"\nkind = \"dns\"\nname = \"example.com\"\nserver = \"dns.google\"\n",
            &["wk.toml:5:10", "`dns.google` is not an IP address", "`10.0.0.53:5353`"],
        );
        assert_config_refused("[[check]]\nid = \"d\"\nkind = \"dns\"\n", &["`name`", "the name to look up"]);
        assert_config_refused(
            "[[check]]\nid = \"d\"\nkind = \"dns\"\nname = \"a b.com\"\n",
            &["`a b.com` is not a DNS name"],
        );
    }
}

mod tls {
    use watchkeeper::config::CheckConfig;
    use watchkeeper::model::{FailureClass, Observation, Value, Verdict};
    use watchkeeper::probe::{self, ProbeContext};

    use super::{class, one_check, verdict};
    use crate::support::assert_config_refused;
    use crate::support::tls::{self_signed, Opening, Pki, Served, TlsServer};

    struct Site {
        server: TlsServer,
        ca: tempfile::NamedTempFile,
    }

    async fn site(pki: &Pki, served: Served, opening: Opening) -> Site {
        let ca = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca.path(), pki.root_pem()).unwrap();
        Site { server: TlsServer::start(served, opening).await, ca }
    }

    fn check(site: &Site, keys: &str) -> CheckConfig {
        let timeout = if keys.contains("timeout") { "" } else { "timeout = \"2s\"\n" };
        one_check(&format!(
            "kind = \"tls\"\nhost = \"127.0.0.1\"\nport = {}\nserver_name = \"app.test\"\nca_file = \"{}\"\n{timeout}{keys}",
            site.server.addr.port(),
            site.ca.path().display()
        ))
    }

    async fn observe(check: &CheckConfig) -> Observation {
        probe::run(&ProbeContext::default(), &check.probe, check.timeout, check.interval).await
    }

    fn days(observation: &Observation) -> i64 {
        match observation.value("cert_days").as_deref() {
            Some(Value::Int(days)) => *days,
            other => panic!("no cert_days: {other:?} in {observation:?}"),
        }
    }

    #[tokio::test]
    async fn a_chain_gives_its_days_issuer_subject_and_names() {
        let pki = Pki::new(3650);
        let healthy = site(&pki, pki.leaf(&["app.test", "www.app.test"], 60), Opening::Tls).await;
        let cert = check(&healthy, "expect = [\"cert_days >= 30\", \"issuer contains \\\"Test Intermediate CA\\\"\"]");
        assert_eq!(cert.probe.target(), format!("127.0.0.1:{} as app.test", healthy.server.addr.port()));
        let seen = observe(&cert).await;
        assert!((59..=60).contains(&days(&seen)), "{seen:?}");
        assert_eq!(seen.value("sans").as_deref(), Some(&Value::Json(serde_json::json!(["app.test", "www.app.test"]))));
        assert!(
            matches!(seen.value("subject").as_deref(), Some(Value::Text(s)) if s.contains("CN=app.test")),
            "{seen:?}"
        );
        assert_eq!(verdict(&cert).await, Verdict::Up);

        let soon = site(&pki, pki.leaf(&["app.test"], 10), Opening::Tls).await;
        let default = check(&soon, "");
        assert_eq!(verdict(&default).await, Verdict::Up, "10 days pass the default of 7");
        let strict = check(&soon, "expect = [\"cert_days >= 14\"]");
        let expiring = verdict(&strict).await;
        assert_eq!(class(&expiring), Some(FailureClass::CertExpiry), "{expiring:?}");

        // The intermediate expires first: the chain's soonest date counts.
        let short = Pki::new(20);
        let chain = site(&short, short.leaf(&["app.test"], 60), Opening::Tls).await;
        let seen = observe(&check(&chain, "")).await;
        assert!((19..=20).contains(&days(&seen)), "{seen:?}");
        assert!(seen.summary.contains("chain: ") && seen.summary.contains("Test Intermediate CA"), "{}", seen.summary);
    }

    #[tokio::test]
    async fn each_bad_certificate_is_its_own_class() {
        let pki = Pki::new(3650);
        let expired = site(&pki, pki.leaf(&["app.test"], -3), Opening::Tls).await;
        let seen = observe(&check(&expired, "")).await;
        assert_eq!(seen.failure.as_ref().map(|f| f.class), Some(FailureClass::CertExpiry), "{seen:?}");
        assert!((-4..=-3).contains(&days(&seen)), "days of an expired certificate are negative: {seen:?}");

        let other = site(&pki, pki.leaf(&["other.test"], 60), Opening::Tls).await;
        let wrong = verdict(&check(&other, "")).await;
        assert_eq!(class(&wrong), Some(FailureClass::CertName), "{wrong:?}");
        assert!(
            matches!(&wrong, Verdict::Down(f) if f.message.contains("not valid for app.test: it names other.test")),
            "{wrong:?}"
        );

        for ca in [false, true] {
            let own = site(&pki, self_signed(&["app.test"], 60, ca), Opening::Tls).await;
            let untrusted = verdict(&check(&own, "")).await;
            assert_eq!(class(&untrusted), Some(FailureClass::CertSelfSigned), "ca {ca}: {untrusted:?}");
        }

        let untrusted = Pki::new(3650);
        let foreign = site(&pki, untrusted.leaf(&["app.test"], 60), Opening::Tls).await;
        assert_eq!(class(&verdict(&check(&foreign, "")).await), Some(FailureClass::CertUntrusted), "another CA");
        let alone = site(&pki, pki.leaf_alone(&["app.test"], 60), Opening::Tls).await;
        let missing = verdict(&check(&alone, "")).await;
        assert_eq!(class(&missing), Some(FailureClass::CertUntrusted), "no intermediate: {missing:?}");

        let hang = site(&pki, pki.leaf(&["app.test"], 60), Opening::Hang).await;
        let hung = verdict(&check(&hang, "timeout = \"500ms\"")).await;
        assert_eq!(class(&hung), Some(FailureClass::Timeout), "a server that hangs after hello: {hung:?}");

        let plain = crate::support::Target::start(crate::support::Behaviour::Ok).await;
        let http =
            one_check(&format!("kind = \"tls\"\nhost = \"127.0.0.1\"\nport = {}\ntimeout = \"2s\"", plain.addr.port()));
        let not_tls = verdict(&http).await;
        assert_eq!(class(&not_tls), Some(FailureClass::Tls), "a port that does not speak TLS: {not_tls:?}");
    }

    /// A self-signed certificate the operator trusts in `ca_file` is checked as it is:
    /// its dates and its names (one made by `openssl req -x509` is a CA, which webpki
    /// alone would refuse as a server's certificate).
    #[tokio::test]
    async fn a_self_signed_certificate_in_ca_file_is_trusted_as_it_is() {
        for ca in [false, true] {
            let served = self_signed(&["app.test"], 20, ca);
            let pem = served.pem.clone();
            let server = TlsServer::start(served, Opening::Tls).await;
            let pinned = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(pinned.path(), pem).unwrap();
            let keys = |name: &str, expect: &str| {
                one_check(&format!(
                    "kind = \"tls\"\nhost = \"127.0.0.1\"\nport = {}\nserver_name = \"{name}\"\nca_file = \"{}\"\n{expect}",
                    server.addr.port(),
                    pinned.path().display()
                ))
            };
            assert_eq!(verdict(&keys("app.test", "")).await, Verdict::Up, "ca {ca}");
            let soon = verdict(&keys("app.test", "expect = [\"cert_days >= 30\"]")).await;
            assert_eq!(class(&soon), Some(FailureClass::CertExpiry), "ca {ca}: {soon:?}");
            let other = verdict(&keys("other.test", "")).await;
            assert_eq!(class(&other), Some(FailureClass::CertName), "ca {ca}: {other:?}");
        }
    }

    #[tokio::test]
    async fn starttls_opens_smtp_imap_and_postgres() {
        let pki = Pki::new(3650);
        let smtp = site(&pki, pki.leaf(&["app.test"], 60), Opening::Smtp).await;
        let mail = check(&smtp, "starttls = \"smtp\"");
        assert!(mail.probe.target().contains("(SMTP STARTTLS)"), "{}", mail.probe.target());
        assert_eq!(verdict(&mail).await, Verdict::Up);
        let imap = site(&pki, pki.leaf(&["app.test"], 60), Opening::Imap).await;
        assert_eq!(verdict(&check(&imap, "starttls = \"imap\"")).await, Verdict::Up);
        let postgres = site(&pki, pki.leaf(&["app.test"], 60), Opening::Postgres).await;
        assert_eq!(verdict(&check(&postgres, "starttls = \"postgres\"")).await, Verdict::Up);
        let refusing = site(&pki, pki.leaf(&["app.test"], 60), Opening::SmtpWithoutTls).await;
        let refused = verdict(&check(&refusing, "starttls = \"smtp\"")).await;
        assert!(
            matches!(&refused, Verdict::Down(f) if f.class == FailureClass::Tls && f.message.contains("does not offer STARTTLS")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn an_https_check_reads_its_certificate_days_too() {
        let pki = Pki::new(3650);
        let server = TlsServer::start(pki.leaf(&["127.0.0.1", "app.test"], 12), Opening::Https).await;
        let https = one_check(&format!(
            "kind = \"http\"\nurl = \"https://127.0.0.1:{}/\"\nverify_tls = false\nexpect = [\"status == 200\", \"cert_days >= 30\"]",
            server.addr.port()
        ));
        let seen = observe(&https).await;
        assert!((11..=12).contains(&days(&seen)), "{seen:?}");
        let expiring = verdict(&https).await;
        assert_eq!(class(&expiring), Some(FailureClass::CertExpiry), "{expiring:?}");
        // One connection carries every probe: the session tickets rustls reads after
        // the handshake do not make a kept connection look used.
        let context = watchkeeper::probe::ProbeContext::default();
        for _ in 0..3 {
            let seen = watchkeeper::probe::run(&context, &https.probe, https.timeout, https.interval).await;
            assert_eq!(seen.summary, "HTTP 200", "{seen:?}");
        }
        let accepted = server.accepted.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(accepted, 3, "one for observe, one for verdict, one for the three probes here");
        // Verified against the system's roots, the test's own CA is unknown.
        let verified = one_check(&format!("kind = \"http\"\nurl = \"https://127.0.0.1:{}/\"", server.addr.port()));
        let untrusted = verdict(&verified).await;
        assert!(
            matches!(&untrusted, Verdict::Down(f) if f.class == FailureClass::Tls && f.message.contains("certificate")),
            "{untrusted:?}"
        );
    }

    #[test]
    fn tls_keys_are_checked_where_they_are_written() {
        assert_config_refused(
            "[[check]]\nid = \"t\"\nkind = \"tls\"\nhost = \"mail.example.com\"\nstarttls = \"pop3\"\n",
            &["wk.toml:5:12", "unknown STARTTLS protocol `pop3`", "use one of: smtp, imap, postgres"],
        );
        assert_config_refused("[[check]]\nid = \"t\"\nkind = \"tls\"\nport = 443\n", &["`host`"]);
        // A certificate near its end is no reason to stop looking: no breaker unless set.
        assert!(one_check("kind = \"tls\"\nhost = \"example.com\"").breaker.is_none());
        assert_config_refused(
            "[[check]]\nid = \"t\"\nkind = \"tls\"\nhost = \"example.com\"\nport = 0\n",
            &["wk.toml:5:8", "must be 1 to 65535, got 0"],
        );
    }
}

mod docker {
    use watchkeeper::config::CheckConfig;
    use watchkeeper::model::{FailureClass, Verdict};

    use super::{class, one_check, verdict};
    use crate::support::assert_config_refused;
    use crate::support::docker::FakeDocker;

    fn check(socket: &std::path::Path, container: &str) -> CheckConfig {
        one_check(&format!(
            "kind = \"docker\"\ncontainer = \"{container}\"\nsocket = \"{}\"\ntimeout = \"2s\"",
            socket.display()
        ))
    }

    #[tokio::test]
    async fn a_container_is_judged_by_its_state_health_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let engine = FakeDocker::start(dir.path());
        let web = check(&engine.socket, "web");
        assert_eq!(web.probe.target(), format!("container web on {}", engine.socket.display()));
        assert_eq!(verdict(&web).await, Verdict::Up, "running and healthy");

        engine.crash(2);
        let restarted = verdict(&web).await;
        assert!(
            matches!(&restarted, Verdict::Degraded(why) if why.starts_with("restarted > 0 (got 2)")),
            "restarts growing between probes is degraded by default: {restarted:?}"
        );
        assert_eq!(verdict(&web).await, Verdict::Up, "no restart since the last probe");

        engine.set_state("running", Some("unhealthy"));
        let unhealthy = verdict(&web).await;
        assert!(
            matches!(&unhealthy, Verdict::Down(f) if f.message.contains("expected health != \"unhealthy\"")),
            "{unhealthy:?}"
        );
        engine.set_state("exited", None);
        let exited = verdict(&web).await;
        assert!(
            matches!(&exited, Verdict::Down(f) if f.message.contains("expected state == \"running\", got \"exited\"")),
            "{exited:?}"
        );

        let missing = verdict(&check(&engine.socket, "nope")).await;
        assert_eq!(class(&missing), Some(FailureClass::NotFound), "{missing:?}");
        let no_socket = verdict(&check(&dir.path().join("absent.sock"), "web")).await;
        assert_eq!(class(&no_socket), Some(FailureClass::ContainerEngine), "{no_socket:?}");
    }

    /// A socket that answers something other than the Docker API says so.
    #[tokio::test]
    async fn a_socket_that_is_not_docker_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await;
            }
        });
        let not_docker = verdict(&check(&path, "web")).await;
        assert!(
            matches!(&not_docker, Verdict::Down(f) if f.class == FailureClass::ContainerEngine && f.message.contains("does not speak the Docker Engine API")),
            "{not_docker:?}"
        );
        server.abort();

        // An HTTP server, but not the engine: its 404 is a page, not the engine's JSON.
        let web = dir.path().join("web.sock");
        let listener = tokio::net::UnixListener::bind(&web).unwrap();
        let app = axum::Router::new()
            .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, axum::response::Html("<h1>Not Found</h1>")) });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let page = verdict(&check(&web, "web")).await;
        assert!(
            matches!(&page, Verdict::Down(f) if f.class == FailureClass::ContainerEngine && f.message.contains("answered 404 <h1>Not Found</h1>")),
            "{page:?}"
        );
        server.abort();
    }

    /// A socket this user may not use is `permission`, with the `docker` group as the fix:
    /// run as `nobody` through `setpriv` when the test runs as root.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_socket_it_may_not_use_is_a_permission_failure() {
        let dir = tempfile::tempdir().unwrap();
        let engine = FakeDocker::start(dir.path());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&engine.socket, std::fs::Permissions::from_mode(0o600)).unwrap();
        let config = dir.path().join("wk.toml");
        std::fs::write(
            &config,
            format!(
                "[[check]]\nid = \"web\"\nkind = \"docker\"\ncontainer = \"web\"\nsocket = \"{}\"\n",
                engine.socket.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let args: Vec<String> = ["check", "--json", "--config", config.to_str().unwrap(), "--data-dir", "/nonexistent"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let output = tokio::task::spawn_blocking(move || {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } == 0 {
                std::process::Command::new("setpriv")
                    .args(["--reuid=65534", "--regid=65534", "--clear-groups", crate::support::binary()])
                    .args(&args)
                    .output()
            } else {
                std::fs::set_permissions(engine_socket_path(&args), std::fs::Permissions::from_mode(0o000)).unwrap();
                std::process::Command::new(crate::support::binary()).args(&args).output()
            }
        })
        .await
        .unwrap()
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}"));
        let failure = &report["checks"][0]["failure"];
        assert_eq!(failure["class"], "permission", "{report}");
        assert!(report["checks"][0]["message"].as_str().unwrap_or("").contains("`docker` group"), "{report}");
        drop(engine);
    }

    /// The socket named in a `check` command's config (for the non-root branch).
    fn engine_socket_path(args: &[String]) -> std::path::PathBuf {
        let config = std::fs::read_to_string(&args[3]).unwrap();
        let line = config.lines().find(|l| l.starts_with("socket")).unwrap();
        std::path::PathBuf::from(line.split('"').nth(1).unwrap())
    }

    #[test]
    fn docker_keys_are_checked() {
        assert_config_refused("[[check]]\nid = \"d\"\nkind = \"docker\"\n", &["`container`", "its name or id"]);
        assert_config_refused(
            "[[check]]\nid = \"d\"\nkind = \"docker\"\ncontainer = \"web\"\nexpect = [\"status == \\\"up\\\"\"]\n",
            &["docker checks have: state, health, restarts, restarted, latency"],
        );
    }
}

mod prometheus {
    use std::time::Duration;

    use watchkeeper::config::CheckConfig;
    use watchkeeper::model::{FailureClass, Value, Verdict};
    use watchkeeper::probe::{self, ProbeContext};

    use super::{class, one_check, verdict};
    use crate::support::prometheus::Prometheus;
    use crate::support::{assert_config_refused, eventually, Behaviour, Target};

    fn check(url: &str, query: &str, expect: &str) -> CheckConfig {
        one_check(&format!("kind = \"prometheus\"\nurl = \"{url}\"\nquery = '{query}'\ntimeout = \"5s\"\n{expect}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_real_prometheus_answers_queries_and_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let server = Prometheus::start(dir.path()).await;

        let up = check(&server.url, "up{job=\"self\"}", "expect = [\"value == 1\", \"count == 1\"]");
        assert_eq!(up.probe.target(), format!("up{{job=\"self\"}} at {}", server.url));
        let seen = eventually(Duration::from_secs(60), "Prometheus has scraped itself", || async {
            let observation = probe::run(&ProbeContext::default(), &up.probe, up.timeout, up.interval).await;
            (observation.value("count").as_deref() == Some(&Value::Int(1))).then_some(observation)
        })
        .await;
        assert_eq!(seen.value("value").as_deref(), Some(&Value::Float(1.0)), "{seen:?}");
        let series = &seen.health.as_ref().unwrap().components[0];
        assert!(series.name.starts_with("up{") && series.name.contains("job=\"self\""), "{series:?}");
        assert_eq!(verdict(&up).await, Verdict::Up);

        let three = check(&server.url, "vector(3)", "expect = [\"value > 5\"]");
        let low = verdict(&three).await;
        assert!(matches!(&low, Verdict::Down(f) if f.message == "expected value > 5, got 3"), "{low:?}");

        let none = check(&server.url, "up{job=\"nobody\"}", "");
        let empty = verdict(&none).await;
        assert!(matches!(&empty, Verdict::Down(f) if f.message == "expected count >= 1, got 0"), "{empty:?}");

        let broken = check(&server.url, "sum(up", "");
        let refused = verdict(&broken).await;
        assert_eq!(class(&refused), Some(FailureClass::QueryError), "{refused:?}");
        assert!(
            matches!(&refused, Verdict::Down(f) if f.message.starts_with("Prometheus says (bad_data): ")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn an_answer_that_is_not_prometheus_is_its_own_class() {
        let page = Target::start(Behaviour::Body("<!doctype html><title>Sign in</title>".into())).await;
        let login = check(&format!("http://{}", page.addr), "up", "");
        let answer = verdict(&login).await;
        assert_eq!(class(&answer), Some(FailureClass::UnexpectedAnswer), "{answer:?}");
        assert!(page.last_request().is_some_and(|r| r.path == "/api/v1/query"), "{:?}", page.last_request());
    }

    #[test]
    fn prometheus_keys_are_checked() {
        assert_config_refused(
            "[[check]]\nid = \"p\"\nkind = \"prometheus\"\nurl = \"prometheus:9090\"\nquery = \"up\"\n",
            &[
                "wk.toml:4:7",
                "`prometheus:9090` is not an http or https URL (scheme `prometheus`)",
                "such as `http://prometheus:9090`",
            ],
        );
        assert_config_refused("[[check]]\nid = \"p\"\nkind = \"prometheus\"\nurl = \"http://p:9090\"\n", &["`query`"]);
    }
}

mod alertmanager {
    use std::time::Duration;

    use serde_json::json;
    use watchkeeper::config::CheckConfig;
    use watchkeeper::model::{FailureClass, Value, Verdict};
    use watchkeeper::probe::{self, ProbeContext};

    use super::{one_check, verdict};
    use crate::support::alertmanager::Alertmanager;
    use crate::support::{assert_config_refused, eventually};

    fn check(url: &str, extra: &str) -> CheckConfig {
        one_check(&format!("kind = \"alertmanager\"\nurl = \"{url}\"\ntimeout = \"5s\"\n{extra}"))
    }

    async fn post(url: String, body: serde_json::Value) {
        let answer = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
        assert!(answer.status().is_success(), "{:?}", answer.text().await);
    }

    async fn fire(am: &Alertmanager, name: &str, severity: &str) {
        let alert = json!([{
            "labels": {"alertname": name, "severity": severity, "instance": "db-1", "team": "ops"},
            "annotations": {"summary": format!("{name} on db-1")},
        }]);
        post(format!("{}/api/v2/alerts", am.url), alert).await;
    }

    async fn settle(check: &CheckConfig, what: &str, done: impl Fn(&Verdict) -> bool) -> Verdict {
        eventually(Duration::from_secs(30), what, || async {
            let found = verdict(check).await;
            done(&found).then_some(found)
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_real_alertmanager_s_alerts_are_the_check_s_components() {
        let dir = tempfile::tempdir().unwrap();
        let am = Alertmanager::start(dir.path()).await;
        let fleet = check(&am.url, "");
        assert_eq!(fleet.probe.target(), format!("alerts at {}", am.url));
        assert_eq!(verdict(&fleet).await, Verdict::Up, "no alert");

        fire(&am, "SlowDisk", "warning").await;
        let warned = settle(&fleet, "a warning degrades", |v| matches!(v, Verdict::Degraded(_))).await;
        assert!(
            matches!(&warned, Verdict::Degraded(why) if why.starts_with("alert SlowDisk (db-1) is warning")),
            "{warned:?}"
        );

        fire(&am, "DiskFull", "critical").await;
        let down = settle(&fleet, "a critical alert is down", |v| matches!(v, Verdict::Down(_))).await;
        assert!(
            matches!(&down, Verdict::Down(f) if f.class == FailureClass::AlertFiring && f.message.starts_with("alert DiskFull (db-1) is critical: since ") && f.message.ends_with("DiskFull on db-1")),
            "{down:?}"
        );
        let seen = probe::run(&ProbeContext::default(), &fleet.probe, fleet.timeout, fleet.interval).await;
        assert_eq!(seen.value("count").as_deref(), Some(&Value::Int(2)));
        assert_eq!(seen.value("severity").as_deref(), Some(&Value::Text("critical".into())));

        let now = chrono::Utc::now();
        let silence = json!({
            "matchers": [{"name": "alertname", "value": "DiskFull", "isRegex": false, "isEqual": true}],
            "startsAt": now.to_rfc3339(), "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "createdBy": "test", "comment": "disk being replaced",
        });
        post(format!("{}/api/v2/silences", am.url), silence).await;
        settle(&fleet, "a silenced alert is not counted", |v| matches!(v, Verdict::Degraded(_))).await;
        let seen = probe::run(&ProbeContext::default(), &fleet.probe, fleet.timeout, fleet.interval).await;
        assert_eq!(seen.value("count").as_deref(), Some(&Value::Int(1)), "{seen:?}");
        assert_eq!(seen.value("silenced").as_deref(), Some(&Value::Int(1)), "{seen:?}");
        let silenced = seen.health.as_ref().unwrap().components.iter().find(|c| c.name == "DiskFull (db-1)").cloned();
        assert_eq!(silenced.map(|c| c.status), Some("silenced".to_owned()), "shown apart");

        let critical_only = check(&am.url, "filter = ['severity=\"critical\"']");
        assert_eq!(verdict(&critical_only).await, Verdict::Up, "only the silenced critical alert matches");
        let refused = check(&am.url, "filter = ['team=~\"(\"']");
        let bad = verdict(&refused).await;
        assert!(
            matches!(&bad, Verdict::Down(f) if f.class == FailureClass::QueryError && f.message.starts_with("Alertmanager says (HTTP 400)")),
            "{bad:?}"
        );
    }

    #[test]
    fn alertmanager_keys_are_checked() {
        assert_config_refused(
            "[[check]]\nid = \"a\"\nkind = \"alertmanager\"\nurl = \"http://am:9093\"\nfilter = [\"team:ops\"]\n",
            &["wk.toml:5:10", "`team:ops` is not a label matcher"],
        );
        assert_config_refused("[[check]]\nid = \"a\"\nkind = \"alertmanager\"\n", &["`url`"]);
        let secret = one_check("kind = \"alertmanager\"\nurl = \"http://ops:hunter2@am:9093\"");
        assert_eq!(secret.probe.target(), "alerts at http://ops:••••@am:9093", "a password in the URL is not shown");
        let http = one_check("kind = \"http\"\nurl = \"https://ops:hunter2@orders.internal/health\"");
        assert_eq!(http.probe.target(), "GET https://ops:••••@orders.internal/health", "as docs/API.md shows it");
        // Its failures are the fleet's alerts: no breaker stops reading them.
        assert!(one_check("kind = \"alertmanager\"\nurl = \"http://am:9093\"").breaker.is_none());
        assert_config_refused(
            "[[check]]\nid = \"a\"\nkind = \"alertmanager\"\nurl = \"http://am:9093\"\nbreaker = { failure_threshold = 5 }\n",
            &["breaker: only applies to checks of a remote target (http, tcp, dns, prometheus)"],
        );
    }
}

mod heartbeat {
    use std::time::Duration;

    use crate::support::{assert_config_refused, eventually, Daemon};

    const CONFIG: &str =
        "[[check]]\nid = \"job\"\nname = \"Nightly job\"\nkind = \"heartbeat\"\ngrace = \"3s\"\ninterval = \"500ms\"\n";

    /// Runs the real `curl` as a job would; (exit code, stdout).
    async fn curl(args: Vec<String>) -> (i32, String) {
        let output = tokio::process::Command::new("curl")
            .args(["-sS", "-m", "10"])
            .args(&args)
            .output()
            .await
            .expect("curl runs");
        (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_pings_with_curl_and_its_silence_is_down() {
        let daemon = Daemon::start(CONFIG).await;
        let check = daemon.get("/api/v1/checks/job").await;
        let push = &check["push"];
        let url = push["url"].as_str().expect("a heartbeat shows its push URL").to_owned();
        assert!(url.starts_with(&format!("{}/push/job/", daemon.url)), "{url}");
        assert_eq!(push["curl"], format!("curl -fsS -m 10 -X POST {url}"));
        let waiting = eventually(Duration::from_secs(30), "the first probe", || async {
            let check = daemon.check("job").await;
            (check["status"] != "unknown").then_some(check)
        })
        .await;
        assert!(waiting["message"].as_str().unwrap().starts_with("waiting for the first ping"), "{waiting}");

        let (code, answer) = curl(vec!["-X".into(), "POST".into(), url.clone()]).await;
        assert_eq!(code, 0);
        assert_eq!(json(&answer)["status"], "up", "{answer}");

        // The command line shows it too, with the lines a job ends with.
        let (code, stdout, _) = daemon.cli(&["status", "job"]).await;
        assert_eq!(code, 0, "up exits 0: {stdout}");
        assert!(stdout.starts_with("Nightly job (job): Up: last ping"), "{stdout}");
        assert!(
            stdout.contains(&format!("push URL    {url}"))
                && stdout.contains(&format!("on success  curl -fsS -m 10 -X POST {url}")),
            "{stdout}"
        );
        let (code, _, stderr) = daemon.cli(&["status", "nope"]).await;
        assert_eq!(code, 3, "an unknown check is unknown, as a plugin says: {stderr}");
        assert!(stderr.contains("no check has the id `nope`"), "{stderr}");

        let (_, failed) = curl(vec!["-X".into(), "POST".into(), format!("{url}?status=fail&msg=disk+full")]).await;
        let failed = json(&failed);
        assert_eq!(failed["status"], "down", "a failure reported is down at once: {failed}");
        assert!(
            failed["message"].as_str().unwrap().contains("the job reported a failure")
                && failed["message"].as_str().unwrap().contains("disk full"),
            "{failed}"
        );
        let down = daemon.check("job").await;
        assert_eq!(down["last"]["failure"]["class"], "job_failed", "{down}");

        // A cron line with only `curl -s`: a GET, the body-less ping.
        let (_, again) = curl(vec![url.clone()]).await;
        assert_eq!(json(&again)["status"], "up", "a later ping recovers it: {again}");
        let (_, said) = curl(vec!["--data-binary".into(), "backup of 12 GB done".into(), url.clone()]).await;
        assert!(
            json(&said)["message"].as_str().unwrap().contains("backup of 12 GB done"),
            "the body is the message: {said}"
        );

        let wrong = url.rsplit_once('/').unwrap().0.to_owned() + "/0123456789abcdef0123456789abcdef";
        let (_, refused) = curl(vec!["-X".into(), "POST".into(), wrong]).await;
        let unknown_check = url.replace("/push/job/", "/push/other/");
        let (_, other) = curl(vec!["-X".into(), "POST".into(), unknown_check]).await;
        assert_eq!(json(&refused)["code"], "no_heartbeat", "{refused}");
        assert_eq!(refused, other, "a wrong token and an unknown check get the same answer");

        let mut limited = false;
        for _ in 0..8 {
            let (_, answer) = curl(vec!["-X".into(), "POST".into(), url.clone()]).await;
            limited |= json(&answer)["code"] == "too_many_pings";
        }
        assert!(limited, "a flood of pings is refused past its allowance");

        let missed = daemon.wait_status("job", "down", Duration::from_secs(30)).await;
        assert_eq!(missed["last"]["failure"]["class"], "missed_heartbeat", "{missed}");
        assert!(missed["message"].as_str().unwrap().starts_with("no ping for"), "{missed}");

        // The token and the last ping are kept across a restart.
        let dir = daemon.stop();
        let daemon = Daemon::start_in(dir).await;
        let check = daemon.get("/api/v1/checks/job").await;
        let again = check["push"]["url"].as_str().unwrap().rsplit_once('/').unwrap().1.to_owned();
        assert_eq!(again, url.rsplit_once('/').unwrap().1, "the same token after a restart");
        let restored = eventually(Duration::from_secs(30), "the restarted daemon judges the kept ping", || async {
            let check = daemon.check("job").await;
            (check["last"]["failure"]["class"] == "missed_heartbeat").then_some(check)
        })
        .await;
        assert!(restored["message"].as_str().unwrap().starts_with("no ping for"), "{restored}");
    }

    #[test]
    fn heartbeat_keys_are_checked() {
        assert_config_refused("[[check]]\nid = \"h\"\nkind = \"heartbeat\"\n", &["`grace`", "25h"]);
        assert_config_refused(
            "[[check]]\nid = \"h\"\nkind = \"heartbeat\"\ngrace = \"1h\"\ntoken = \"short\"\n",
            &["wk.toml:5:9", "must be 16 to 128 letters"],
        );
    }
}

mod cert_days {
    use std::time::Duration;

    use crate::support::tls::{Opening, Pki, TlsServer};
    use crate::support::{assert_config_refused, eventually, Daemon};

    async fn results(daemon: &Daemon) -> usize {
        daemon.get("/api/v1/checks/shop/results?limit=100").await["results"].as_array().map_or(0, Vec::len)
    }

    async fn cert_notices(daemon: &Daemon) -> Vec<serde_json::Value> {
        let log = daemon.get("/api/v1/notifications?check=shop").await;
        log["notifications"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n["event"] == "cert_expiry")
            .collect()
    }

    /// A certificate with 20 days left crosses 30 (told once, however often it is
    /// probed, and not again after a restart) but not 14.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_threshold_is_told_once_across_restarts() {
        let pki = Pki::new(3650);
        let server = TlsServer::start(pki.leaf(&["shop.test"], 20), Opening::Tls).await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, pki.root_pem()).unwrap();
        let config = format!(
            "[[check]]\nid = \"shop\"\nkind = \"tls\"\nhost = \"127.0.0.1\"\nport = {}\nserver_name = \"shop.test\"\nca_file = \"{}\"\ninterval = \"300ms\"\nalert = {{ cert_days = [30, 14] }}\n",
            server.addr.port(),
            ca.display()
        );
        std::fs::write(dir.path().join("watchkeeper.toml"), config).unwrap();
        let daemon = Daemon::start_in(dir).await;
        let told = eventually(Duration::from_secs(30), "the 30-day threshold is told", || async {
            let told = cert_notices(&daemon).await;
            (!told.is_empty()).then_some(told)
        })
        .await;
        assert!(
            told[0]["title"].as_str().unwrap().contains("certificate expires in 19 days")
                || told[0]["title"].as_str().unwrap().contains("certificate expires in 20 days"),
            "{told:?}"
        );
        assert!(told[0]["body"].as_str().unwrap().contains("told at 30 days left"), "{told:?}");
        let seen = results(&daemon).await;
        eventually(Duration::from_secs(30), "more probes", || async {
            (results(&daemon).await >= seen + 5).then_some(())
        })
        .await;
        assert_eq!(cert_notices(&daemon).await.len(), 1, "told once");

        let dir = daemon.stop();
        let daemon = Daemon::start_in(dir).await;
        let before = results(&daemon).await;
        eventually(Duration::from_secs(30), "probes after the restart", || async {
            (results(&daemon).await >= before + 5).then_some(())
        })
        .await;
        assert_eq!(cert_notices(&daemon).await.len(), 1, "not told again after a restart");
    }

    #[test]
    fn cert_days_are_checked() {
        assert_config_refused(
            "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"db\"\nport = 5432\nalert = { cert_days = [30] }\n",
            &["alert.cert_days", "this check reads no certificate"],
        );
        assert_config_refused(
            "[[check]]\nid = \"c\"\nkind = \"tls\"\nhost = \"example.com\"\nalert = { cert_days = [30, 0] }\n",
            &["0 is not 1 to 3650 days"],
        );
    }
}
