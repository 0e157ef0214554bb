//! The `watchkeeper` binary: the daemon and the command line. Errors print their whole
//! chain with a resolution; `check` and `status` exit 0 up, 1 degraded, 2 down, 3 unknown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser, Subcommand};

use watchkeeper::action::Requester;
use watchkeeper::client::Client;
use watchkeeper::config::{self, units::format_duration};
use watchkeeper::model::{Status, Verdict};
use watchkeeper::{daemon, doctor, engine, paths, store, telemetry};

/// Watchkeeper: watches your services, tells you early and once, helps you fix them.
#[derive(Parser)]
#[command(name = "watchkeeper", version, about)]
struct Cli {
    /// The config file [default: $XDG_CONFIG_HOME/watchkeeper/watchkeeper.toml]
    #[arg(long, global = true, env = "WATCHKEEPER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Where history, logs and api.json live [default: $XDG_DATA_HOME/watchkeeper]
    #[arg(long, global = true, env = "WATCHKEEPER_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: probes, history, the API and the dashboard on loopback
    Run {
        /// Address to listen on; port 0 picks a free one
        #[arg(long, default_value = "127.0.0.1:7733")]
        listen: SocketAddr,
    },
    /// Probe checks once and exit 0 up, 1 degraded, 2 down, 3 unknown
    Check {
        /// Only these checks (default: all)
        ids: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the running daemon's status
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List incidents from the running daemon, newest first
    Incidents {
        /// Only this check's incidents
        #[arg(long)]
        check: Option<String>,
        /// Only open incidents
        #[arg(long)]
        open: bool,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Recovery actions
    Action {
        #[command(subcommand)]
        command: ActionCommand,
    },
    /// Validate the config, or print its JSON Schema
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run the pre-flight checks and say how to fix what fails
    Doctor,
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum ActionCommand {
    /// Run a configured action by id (through the daemon when it runs)
    Run {
        id: String,
        /// Show what would run without running it
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a config file and report every error with its line and column
    Validate { path: Option<PathBuf> },
    /// Print the JSON Schema of the config file, for editors
    Schema,
}

fn main() -> ExitCode {
    // Two malloc arenas, not one per thread: the daemon's threads are few and mostly
    // idle, and per-thread arenas cost resident memory for nothing.
    // SAFETY: mallopt is called before any other thread exists.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let cli = Cli::parse();
    let config_path = cli.config.clone().unwrap_or_else(paths::default_config);
    let data_dir = cli.data_dir.clone().unwrap_or_else(paths::default_data_dir);
    let is_daemon = matches!(cli.command, Command::Run { .. });
    if is_daemon {
        if let Err(e) = daemon::create_private_dir(&data_dir) {
            eprintln!("error: {e:#}");
            return ExitCode::from(3);
        }
    }
    let _guard = telemetry::init(if is_daemon { "info" } else { "warn" }, is_daemon.then_some(data_dir.as_path()));
    // One worker thread runs a thousand checks at a fraction of the CPU that cross-thread
    // wake-ups cost with more; TOKIO_WORKER_THREADS raises it for bursts.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let outcome = runtime.block_on(dispatch(cli.command, config_path, data_dir));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(3)
        }
    }
}

async fn dispatch(command: Command, config_path: PathBuf, data_dir: PathBuf) -> anyhow::Result<u8> {
    match command {
        Command::Run { listen } => {
            let options = daemon::Options { config_path: config_path.clone(), data_dir: data_dir.clone(), listen };
            daemon::run(options, |ready| {
                print!("{}", ready.banner(&config_path, &data_dir));
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
            })
            .await?;
            Ok(0)
        }
        Command::Check { ids, json } => check(&config_path, &ids, json).await,
        Command::Status { json } => status(&data_dir, json).await,
        Command::Incidents { check, open, limit, json } => incidents(&data_dir, check, open, limit, json).await,
        Command::Action { command: ActionCommand::Run { id, dry_run, json } } => {
            run_action(&config_path, &data_dir, &id, dry_run, json).await
        }
        Command::Config { command: ConfigCommand::Validate { path } } => validate(&path.unwrap_or(config_path)),
        Command::Config { command: ConfigCommand::Schema } => {
            println!("{}", serde_json::to_string_pretty(&config::schema())?);
            Ok(0)
        }
        Command::Doctor => Ok(doctor_report(&config_path, &data_dir)),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "watchkeeper", &mut std::io::stdout());
            Ok(0)
        }
    }
}

fn load(config_path: &std::path::Path) -> anyhow::Result<config::Config> {
    let (compiled, _) = config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    for warning in &compiled.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(compiled.config)
}

async fn check(config_path: &std::path::Path, ids: &[String], json: bool) -> anyhow::Result<u8> {
    let config = load(config_path)?;
    for id in ids {
        if config.check(id).is_none() {
            anyhow::bail!(
                "no check has the id `{id}`\n  help: the config at {} defines: {}",
                config_path.display(),
                config.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
            );
        }
    }
    if !json && config.checks.len() > 20 {
        eprintln!("probing {} checks...", if ids.is_empty() { config.checks.len() } else { ids.len() });
    }
    let results = engine::check_once(&config, ids).await;
    let status_of = |verdict: &Verdict| match verdict {
        Verdict::Up => Status::Up,
        Verdict::Degraded(_) => Status::Degraded,
        Verdict::Down(_) => Status::Down,
        Verdict::Unknown(_) => Status::Unknown,
    };
    let worst = Status::worst(results.iter().map(|(_, r)| status_of(&r.verdict)));
    if json {
        let checks: Vec<serde_json::Value> = results
            .iter()
            .map(|(check, result)| {
                let failure = result.failure();
                serde_json::json!({
                    "id": check.id.as_str(),
                    "name": check.name,
                    "kind": check.kind(),
                    "status": status_of(&result.verdict).as_str(),
                    "latency_ms": result.latency.map(|l| l.as_secs_f64() * 1000.0),
                    "message": result.message,
                    "failure": failure.map(|f| serde_json::json!({"class": f.class.as_str(), "resolution": f.class.resolution()})),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"overall": worst.as_str(), "checks": checks}))?
        );
    } else {
        let mut rows = vec![["STATUS".to_owned(), "CHECK".to_owned(), "LATENCY".to_owned(), "MESSAGE".to_owned()]];
        for (check, result) in &results {
            rows.push([
                status_of(&result.verdict).as_str().to_uppercase(),
                check.id.as_str().to_owned(),
                result.latency.map(format_duration).unwrap_or_else(|| "-".into()),
                result.message.clone(),
            ]);
        }
        print_table(&rows);
        for (check, result) in &results {
            if let Some(failure) = result.failure() {
                println!(
                    "\n{}: {} ({})\n  help: {}",
                    check.id,
                    failure.message,
                    failure.class,
                    failure.class.resolution()
                );
            }
        }
    }
    Ok(worst.exit_code() as u8)
}

async fn status(data_dir: &std::path::Path, json: bool) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir)?;
    let body = client.get("/api/v1/status").await?;
    let overall = Status::parse(body["overall"].as_str().unwrap_or("unknown")).unwrap_or(Status::Unknown);
    if json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(overall.exit_code() as u8);
    }
    let mut rows = vec![["STATUS", "CHECK", "SINCE", "LATENCY", "BREAKER", "MESSAGE"].map(String::from)];
    for check in body["checks"].as_array().into_iter().flatten() {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
        let message = check["reason"].as_str().map(String::from).unwrap_or_else(|| text(&check["last"]["message"]));
        rows.push([
            text(&check["status"]).to_uppercase(),
            text(&check["id"]),
            text(&check["since"]).chars().take(19).collect::<String>().replace('T', " "),
            check["last"]["latency_ms"].as_f64().map(|l| format!("{l:.1}ms")).unwrap_or_else(|| "-".into()),
            check["breaker"]["state"].as_str().unwrap_or("-").to_owned(),
            message,
        ]);
    }
    println!("overall: {}", overall.as_str().to_uppercase());
    print_table(&rows);
    Ok(overall.exit_code() as u8)
}

async fn incidents(
    data_dir: &std::path::Path,
    check: Option<String>,
    open: bool,
    limit: u32,
    json: bool,
) -> anyhow::Result<u8> {
    let client = Client::discover(data_dir)?;
    let mut path = format!("/api/v1/incidents?limit={limit}&open={open}");
    if let Some(check) = check {
        path.push_str(&format!("&check={check}"));
    }
    let body = client.get(&path).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(0);
    }
    let mut rows = vec![["ID", "CHECK", "STARTED", "RESOLVED", "CAUSE"].map(String::from)];
    for incident in body["incidents"].as_array().into_iter().flatten() {
        let time = |v: &serde_json::Value| {
            v.as_str()
                .map(|s| s.chars().take(19).collect::<String>().replace('T', " "))
                .unwrap_or_else(|| "open".into())
        };
        rows.push([
            incident["id"].to_string(),
            incident["check"].as_str().unwrap_or("").to_owned(),
            time(&incident["started_at"]),
            time(&incident["resolved_at"]),
            format!("{}: {}", incident["cause_class"].as_str().unwrap_or(""), incident["cause"].as_str().unwrap_or("")),
        ]);
    }
    if rows.len() == 1 {
        println!("no incidents");
    } else {
        print_table(&rows);
    }
    Ok(0)
}

async fn run_action(
    config_path: &std::path::Path,
    data_dir: &std::path::Path,
    id: &str,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<u8> {
    // Through the daemon when it runs, so the run is verified and shown live; else here.
    let body = match Client::discover(data_dir) {
        Ok(client) => {
            client.post(&format!("/api/v1/actions/{id}/run"), serde_json::json!({"dry_run": dry_run})).await?
        }
        Err(_) => run_action_here(config_path, data_dir, id, dry_run).await?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        let output = body["output"].as_str().unwrap_or("");
        if !output.is_empty() {
            println!("{}", output.trim_end());
        }
        let verified = match body["verified"].as_bool() {
            Some(true) => ", verified: the check is up again",
            Some(false) => ", NOT verified: the check is still failing",
            None => "",
        };
        println!("action `{id}`: {} in {}ms{verified}", body["status"].as_str().unwrap_or("?"), body["duration_ms"]);
    }
    Ok(if body["status"] == "ok" || body["status"] == "dry_run" { 0 } else { 1 })
}

async fn run_action_here(
    config_path: &std::path::Path,
    data_dir: &std::path::Path,
    id: &str,
    dry_run: bool,
) -> anyhow::Result<serde_json::Value> {
    let config = load(config_path)?;
    let Some(action) = config.action(id) else {
        let known: Vec<&str> = config.actions.iter().map(|a| a.id.as_str()).collect();
        anyhow::bail!(
            "no action has the id `{id}`\n  help: the configured actions are: {}",
            if known.is_empty() { "none".into() } else { known.join(", ") }
        );
    };
    let outcome = watchkeeper::action::run(action, dry_run, None).await;
    std::fs::create_dir_all(data_dir).with_context(|| format!("while creating {}", data_dir.display()))?;
    let (store, _) = store::Store::open(data_dir).map_err(|e| anyhow::anyhow!("{e}\n  help: {}", e.resolution()))?;
    let record = outcome.audit(id, Requester::Cli, dry_run);
    let run_id = store.record_action_run_now(&record).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(serde_json::json!({
        "id": run_id, "status": record.status, "exit_code": record.exit_code, "output": record.output,
        "duration_ms": record.duration_ms, "verified": null,
    }))
}

fn validate(path: &std::path::Path) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match config::compile(&text, &path.display().to_string()) {
        Ok(compiled) => {
            for warning in &compiled.warnings {
                println!("warning: {warning}");
            }
            println!(
                "{}: valid ({} checks, {} actions)",
                path.display(),
                compiled.config.checks.len(),
                compiled.config.actions.len()
            );
            Ok(0)
        }
        Err(errors) => {
            eprint!("{errors}");
            Ok(1)
        }
    }
}

fn doctor_report(config_path: &std::path::Path, data_dir: &std::path::Path) -> u8 {
    let findings = doctor::run(config_path, data_dir);
    for finding in &findings {
        println!("[{:>4}] {:<14} {}", finding.level.as_str(), finding.name, finding.message);
        if !finding.resolution.is_empty() && finding.level >= doctor::Level::Warn {
            println!("       {:<14} help: {}", "", finding.resolution);
        }
    }
    u8::from(findings.iter().any(|f| f.level == doctor::Level::Fail))
}

fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", line.trim_end());
    }
}
