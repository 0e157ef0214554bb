//! Logging through tracing: human lines on stderr, and a daily-rotated file in the
//! data dir (seven days kept). `WATCHKEEPER_LOG` sets the filter (default `info`).

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter, Layer as _};

/// Log lines queued for the file writer before new ones are dropped. The queue is
/// allocated whole up front (32 bytes a line): tracing-appender's default of 128,000
/// lines costs 4 MB of memory for a backlog a disk never builds at our log rates.
const FILE_QUEUE_LINES: usize = 4096;

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Logs to stderr at `default_level`, and to `<data_dir>/logs/` when given.
pub fn init(default_level: &str, data_dir: Option<&Path>) -> LogGuard {
    let filter = || EnvFilter::try_from_env("WATCHKEEPER_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    use std::io::IsTerminal as _;
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(filter());
    let mut guard = None;
    let file = data_dir.and_then(|dir| {
        std::fs::create_dir_all(dir.join("logs")).ok()?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("watchkeeper")
            .filename_suffix("log")
            .max_log_files(7)
            .build(dir.join("logs"))
            .ok()?;
        let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .buffered_lines_limit(FILE_QUEUE_LINES)
            .thread_name("watchkeeper-log")
            .finish(appender);
        guard = Some(worker);
        Some(fmt::layer().with_writer(writer).with_ansi(false).with_filter(EnvFilter::new("info")))
    });
    let _ = tracing_subscriber::registry().with(stderr).with(file).try_init();
    LogGuard(guard)
}
