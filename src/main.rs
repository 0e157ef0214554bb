//! The `watchkeeper` binary: the daemon and the command line (`cli/`, one file per
//! subcommand). Errors print their whole chain with a resolution and exit with a
//! sysexits.h code (`cli::failure`); `check` and `status` exit 0 up, 1 degraded, 2 down,
//! 3 unknown, and 3 for an error too, as monitoring plugins do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[macro_use]
mod cli;

use clap::{CommandFactory as _, Parser, Subcommand};

use watchkeeper::{daemon, paths, telemetry};

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
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Show the running daemon's status: every check, or one in full
    Status {
        /// One check in full: its state, what it probes and how it is judged, and for a
        /// heartbeat its push URL
        id: Option<String>,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// List incidents from the running daemon, newest first, or show one in full
    Incidents {
        /// One incident in full: its cause, what changed against the last good result,
        /// what the probe saw and this machine at that moment
        id: Option<String>,
        /// Only this check's incidents
        #[arg(long)]
        check: Option<String>,
        /// Only the incidents of this group's checks
        #[arg(long)]
        group: Option<String>,
        /// Only this class of failure (timeout, refused, http_status, ...)
        #[arg(long, value_parser = cli::incidents::parse_class)]
        class: Option<watchkeeper::api::dto::FailureClassDto>,
        /// Only those open within this long before now (e.g. 24h, 7d)
        #[arg(long, conflicts_with = "from")]
        range: Option<String>,
        /// Only those open at or after this time (RFC 3339)
        #[arg(long)]
        from: Option<String>,
        /// Only those started before this time (RFC 3339)
        #[arg(long)]
        to: Option<String>,
        /// Only open incidents
        #[arg(long)]
        open: bool,
        /// At most this many, newest first
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// A check's uptime over 24 h, 7, 30 and 90 days, MTTR and MTBF, and its last
    /// incidents, from the running daemon
    History {
        /// The check
        id: String,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Export the history as CSV or JSON, from the running daemon (secrets masked)
    Export {
        /// What: results, incidents, notifications or actions (action runs)
        #[arg(long, default_value = "results")]
        what: String,
        /// csv or json
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only this check's rows
        #[arg(long)]
        check: Option<String>,
        /// Only the rows of this group's checks
        #[arg(long, conflicts_with = "check")]
        group: Option<String>,
        /// Only results or incidents of this class of failure (timeout, refused, ...)
        #[arg(long, value_parser = cli::incidents::parse_class)]
        class: Option<watchkeeper::api::dto::FailureClassDto>,
        /// Only rows within this long before now (e.g. 24h, 7d)
        #[arg(long, conflicts_with = "from")]
        range: Option<String>,
        /// Only rows at or after this time (RFC 3339)
        #[arg(long)]
        from: Option<String>,
        /// Only rows before this time (RFC 3339)
        #[arg(long)]
        to: Option<String>,
        /// Write to this file (default: standard output)
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Recovery actions
    Action {
        #[command(subcommand)]
        command: ActionCommand,
    },
    /// Steer a check's circuit breaker in the running daemon
    Breaker {
        /// The check's id
        id: String,
        /// `open` (no probe reaches the target until it is reset), `disable` (probes go
        /// on and are counted, it never opens) or `reset` (closed, with a fresh window)
        #[arg(value_parser = cli::breaker::parse_steer)]
        state: watchkeeper::breaker::Steer,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an open incident: no more reminders; it ends with the incident
    Ack {
        /// The incident's id, as `watchkeeper incidents` shows it
        id: String,
        /// A note to keep with it
        #[arg(long)]
        note: Option<String>,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Mute the notifications of checks (or groups) for a while; probing goes on
    Silence {
        /// Check ids
        checks: Vec<String>,
        /// Groups to silence
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
        /// How long, e.g. 1h
        #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
        r#for: Option<String>,
        /// Until when, RFC 3339
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Why (kept with it)
        #[arg(long)]
        reason: String,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// List silences (those muting now, or `--all`)
    Silences {
        /// Ended silences too
        #[arg(long)]
        all: bool,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// End a silence now
    Unsilence {
        /// The silence's id
        id: String,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// The maintenance windows: when each is on, and the checks it covers
    Maintenance {
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// The notification log: every decision, sent or not and why, newest first
    Notifications {
        /// Only those about this check
        #[arg(long)]
        check: Option<String>,
        /// Only those for this channel
        #[arg(long)]
        channel: Option<String>,
        /// Only those about this
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(watchkeeper::model::NotifyEvent::ALL.iter().map(|e| e.as_str())))]
        event: Option<String>,
        /// Only those that stand so
        #[arg(long, value_parser = ["delivered", "held", "failed", "retrying", "sending"])]
        outcome: Option<String>,
        /// At most this many, newest first
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Validate the config, print its JSON Schema, or reload it in the running daemon
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run the pre-flight checks and say how to fix what fails
    Doctor,
    /// Read another monitor's config (an Uptime Kuma backup, a Gatus config, a Monit
    /// control file): print the checks it expresses as TOML, and on stderr each item it
    /// cannot and why
    Import {
        /// The file to read
        file: PathBuf,
        /// Its format [default: told by its look]
        #[arg(long, value_parser = ["uptime-kuma", "gatus", "monit"])]
        format: Option<String>,
        /// Append the checks to the config (through the running daemon, else the file)
        #[arg(long)]
        write: bool,
    },
    /// Write a systemd user unit that runs the headless daemon (with this config and
    /// data dir) at login, and say how to start it
    InstallService {
        /// Print the unit instead of writing it
        #[arg(long)]
        print: bool,
        /// Replace a unit that differs from this one
        #[arg(long)]
        force: bool,
    },
    /// List what this machine runs that no check watches yet (listening ports and
    /// their health paths, containers, filling mounts, failed systemd units), each with a
    /// ready check
    Suggest {
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Back up the history now (online: the daemon may run), into PATH (a file, or a
    /// directory) or else the data dir's backups/, keeping the newest `[settings]
    /// backup.keep`
    Backup {
        /// Where to write it
        path: Option<std::path::PathBuf>,
    },
    /// The history database
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// The API token the CLI and the dashboard use (kept in the data dir)
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print shell completions
    Completions {
        /// The shell to write them for
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Check the whole history database; exit 0 whole, 1 damaged (and what the next
    /// start does about it)
    Check,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Replace it: the old one is refused at once; prints the dashboard's new link
    Rotate,
}

#[derive(Subcommand)]
enum ActionCommand {
    /// Run a configured action by id (through the daemon when it runs)
    Run {
        /// The action's id, as `watchkeeper action list` shows it
        id: String,
        /// Show what would run without running it
        #[arg(long)]
        dry_run: bool,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// List the configured actions, what each does and its budget
    List {
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Reset an action's budget: the runs it counted are forgotten
    Reset {
        /// The action's id, as `watchkeeper action list` shows it
        id: String,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
    /// Put back what a cleanup run removed (from its quarantine; never over a new file)
    Undo {
        /// The run's id, as `action run` and the dashboard show it
        run: String,
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a config file and report every error with its line and column
    Validate {
        /// The file to check [default: the config the other commands use]
        path: Option<PathBuf>,
    },
    /// Print the JSON Schema of the config file, for editors
    Schema,
    /// Make the running daemon read its config file again and apply what changed
    /// (checks left alone keep their state); a file with errors changes nothing
    Reload {
        /// Print the answer as JSON, as the API gives it
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Two malloc arenas, not one per thread: the daemon's threads are few and mostly
    // idle, and per-thread arenas cost resident memory for nothing.
    // SAFETY: mallopt is called before any other thread exists.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout and exit 0; a wrong flag or value is 64.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { cli::Exit::Usage.code() } else { 0 });
        }
    };
    let plugin = matches!(cli.command, Command::Check { .. } | Command::Status { .. });
    let config_path = cli.config.clone().unwrap_or_else(paths::default_config);
    let data_dir = cli.data_dir.clone().unwrap_or_else(paths::default_data_dir);
    let is_daemon = matches!(cli.command, Command::Run { .. });
    if is_daemon {
        if let Err(e) = daemon::create_private_dir(&data_dir) {
            complain!("error: {e:#}");
            return ExitCode::from(cli::Exit::Io.code());
        }
    }
    let _guard = telemetry::init(if is_daemon { "info" } else { "warn" }, is_daemon.then_some(data_dir.as_path()));
    // One worker thread runs a thousand checks at a fraction of the CPU that cross-thread
    // wake-ups cost with more; the daemon takes more where its checks ask for more probes
    // than one starts on time. TOKIO_WORKER_THREADS overrides both.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(if is_daemon { daemon_workers(&config_path) } else { 1 });
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            complain!("error: cannot start the async runtime: {e}");
            return ExitCode::from(if plugin { 3 } else { cli::Exit::Software.code() });
        }
    };
    let outcome = runtime.block_on(dispatch(cli.command, config_path, data_dir));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            complain!("error: {error}");
            for cause in error.chain().skip(1) {
                complain!("  caused by: {cause}");
            }
            ExitCode::from(if plugin { 3 } else { cli::failure::exit_of(&error).code() })
        }
    }
}

/// The daemon's worker threads for the config at `path` (one where it cannot be read:
/// the daemon's own start then says why).
fn daemon_workers(path: &std::path::Path) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = watchkeeper::config::read(path)
        .ok()
        .and_then(|text| watchkeeper::config::compile(&text, &path.display().to_string()).ok());
    config.map_or(1, |compiled| watchkeeper::engine::worker_threads(&compiled.config, cores))
}

async fn dispatch(command: Command, config_path: PathBuf, data_dir: PathBuf) -> anyhow::Result<u8> {
    match command {
        Command::Run { listen } => {
            let options = daemon::Options {
                config_path: config_path.clone(),
                data_dir: data_dir.clone(),
                listen,
                desktop: false,
            };
            daemon::run(options, |ready| {
                // Nobody may be reading (a closed pipe): the daemon runs on regardless.
                let _ = cli::write_out(|out| {
                    use std::io::Write as _;
                    out.write_all(ready.banner(&config_path, &data_dir).as_bytes())
                });
            })
            .await?;
            Ok(0)
        }
        Command::Check { ids, json } => cli::check::run(&config_path, &ids, json).await,
        Command::Status { id: None, json } => cli::status::run(&data_dir, json).await,
        Command::Status { id: Some(id), json } => cli::status::one(&data_dir, &id, json).await,
        Command::Export { what, format, check, group, class, range, from, to, output } => {
            let args =
                watchkeeper::api::dto::ExportArgs { what, format: Some(format), check, group, class, from, range, to };
            cli::db::export(&data_dir, args, output.as_deref()).await
        }
        Command::History { id, json } => cli::incidents::history(&data_dir, &id, json).await,
        Command::Incidents { id: Some(id), json, .. } => cli::incidents::one(&data_dir, &id, json).await,
        Command::Incidents { id: None, check, group, class, range, from, to, open, limit, json } => {
            let args = watchkeeper::api::dto::IncidentsArgs {
                check,
                group,
                class,
                from,
                range,
                to,
                open: Some(open),
                limit: Some(limit),
            };
            cli::incidents::run(&data_dir, args, json).await
        }
        Command::Action { command: ActionCommand::Run { id, dry_run, json } } => {
            cli::action::run(&config_path, &data_dir, &id, dry_run, json).await
        }
        Command::Action { command: ActionCommand::List { json } } => {
            cli::action::list(&config_path, &data_dir, json).await
        }
        Command::Action { command: ActionCommand::Reset { id, json } } => {
            cli::action::reset(&config_path, &data_dir, &id, json).await
        }
        Command::Action { command: ActionCommand::Undo { run, json } } => {
            cli::action::undo(&data_dir, &run, json).await
        }
        Command::Breaker { id, state, json } => cli::breaker::steer(&data_dir, &id, state, json).await,
        Command::Ack { id, note, json } => cli::alerts::ack(&data_dir, &id, note, json).await,
        Command::Silence { checks, groups, r#for, until, reason, json } => {
            let request = cli::alerts::SilenceRequest { checks, groups, r#for, until, reason };
            cli::alerts::silence(&data_dir, request, json).await
        }
        Command::Silences { all, json } => cli::alerts::silences(&data_dir, all, json).await,
        Command::Unsilence { id, json } => cli::alerts::unsilence(&data_dir, &id, json).await,
        Command::Maintenance { json } => cli::alerts::maintenance(&data_dir, json).await,
        Command::Notifications { check, channel, event, outcome, limit, json } => {
            let filter = cli::alerts::LogFilter { check, channel, event, outcome };
            cli::alerts::notifications(&data_dir, filter, limit, json).await
        }
        Command::Config { command: ConfigCommand::Validate { path } } => {
            cli::config::validate(&path.unwrap_or(config_path))
        }
        Command::Config { command: ConfigCommand::Schema } => cli::config::schema(),
        Command::Config { command: ConfigCommand::Reload { json } } => cli::config::reload(&data_dir, json).await,
        Command::Doctor => cli::doctor::run(&config_path, &data_dir),
        Command::Import { file, format, write } => {
            cli::import::run(&config_path, &data_dir, &file, format, write).await
        }
        Command::InstallService { print, force } => cli::service::install(&config_path, &data_dir, print, force),
        Command::Suggest { json } => cli::config::suggest(&config_path, &data_dir, json).await,
        Command::Backup { path } => cli::db::backup(&config_path, &data_dir, path.as_deref()),
        Command::Db { command: DbCommand::Check } => cli::db::check(&data_dir),
        Command::Token { command: TokenCommand::Rotate } => cli::token::rotate(&data_dir).await,
        Command::Completions { shell } => {
            // Written whole here: clap_complete panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "watchkeeper", &mut script);
            cli::write_out(|out| {
                use std::io::Write as _;
                out.write_all(&script)
            })?;
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and every flag or argument of it says what it is for, in the
    /// command line's words (its verbs, not the API's routes).
    #[test]
    fn every_command_and_flag_has_help_in_the_command_line_s_words() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            if command.get_about().is_none() && path != " watchkeeper" {
                missing.push(format!("{path}: no about"));
            }
            for arg in command.get_arguments() {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                if help.trim().is_empty() {
                    missing.push(format!("{path} {}: no help", arg.get_id()));
                }
                if help.contains("/api/") {
                    missing.push(format!("{path} {}: names an HTTP route: {help}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        let mut command = Cli::command();
        command.build();
        walk(&command, "", &mut missing);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
