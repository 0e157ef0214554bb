//! The `watchkeeper` command line, one file per subcommand. Every command that talks
//! to a running daemon goes through the typed client (`api::client`) and prints its
//! DTOs; none reads JSON by string keys.

/// Writes a line to standard output, as `println!` does, but a closed pipe
/// (`watchkeeper notifications | head`) only ends the output: the command goes on to
/// its exit code. Any other write error ends the command (`?`).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))?
    };
}

/// A line on standard error (an error, a warning, progress); never fails, never panics:
/// a closed standard error loses the line, not the command's exit code.
macro_rules! complain {
    ($($arg:tt)*) => {
        $crate::cli::write_error(format_args!($($arg)*))
    };
}

pub mod action;
pub mod alerts;
pub mod breaker;
pub mod check;
pub mod config;
pub mod db;
pub mod doctor;
pub mod failure;
pub mod import;
pub mod incidents;
pub mod service;
pub mod status;
pub mod token;

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

pub use failure::{client_error, fail, Exit};

/// Set once standard output's reader has gone: nothing more is written.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// One line to standard output (see `say!`).
pub fn write_line(args: std::fmt::Arguments) -> std::io::Result<()> {
    write_out(|out| {
        out.write_fmt(args)?;
        out.write_all(b"\n")
    })
}

/// A line on standard error, if it can be written (see `complain!`).
pub fn write_error(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// A progress line on standard error, written over the last (`\r`, no line break);
/// `done` ends it with one.
pub fn progress(args: std::fmt::Arguments, done: bool) {
    let mut err = std::io::stderr().lock();
    let end: &[u8] = if done { b"   \n" } else { b"   " };
    let _ = err.write_all(b"\r").and_then(|()| err.write_fmt(args)).and_then(|()| err.write_all(end));
    let _ = err.flush();
}

/// Writes to standard output; a closed pipe ends the output quietly.
pub fn write_out(write: impl FnOnce(&mut std::io::StdoutLock) -> std::io::Result<()>) -> std::io::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// Whether output is coloured: on a terminal, unless `NO_COLOR` is set (no-color.org).
pub fn colour() -> bool {
    use std::io::IsTerminal as _;
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
    })
}

/// A status word in its colour (as the dashboard's badges: green up, yellow degraded,
/// red down, grey for what is not judged), when output is coloured.
pub fn paint(status: watchkeeper::model::Status, text: &str) -> String {
    use watchkeeper::model::Status;
    if !colour() {
        return text.to_owned();
    }
    let ink = match status {
        Status::Up => "32",
        Status::Degraded => "33",
        Status::Down => "1;31",
        Status::Unknown | Status::Paused | Status::Maintenance => "2",
    };
    format!("\x1b[{ink}m{text}\x1b[0m")
}

/// Rows as aligned columns, the first row a header: `watchkeeper check`'s table, with
/// the first column painted as its row's status (`paint`).
pub fn print_status_table<const N: usize>(
    rows: &[[String; N]],
    statuses: &[watchkeeper::model::Status],
) -> std::io::Result<()> {
    write_table(rows, |row, column, cell| match (column, row.checked_sub(1).and_then(|i| statuses.get(i))) {
        (0, Some(status)) => paint(*status, cell),
        _ => cell.to_owned(),
    })
}

/// Rows as aligned columns, the first row a header, the last column a check's state in
/// words (`Down, acknowledged: ...`) whose first word is painted as its row's status.
pub fn print_state_table<const N: usize>(
    rows: &[[String; N]],
    statuses: &[watchkeeper::model::Status],
) -> std::io::Result<()> {
    write_table(rows, |row, column, cell| match (column + 1 == N, row.checked_sub(1).and_then(|i| statuses.get(i))) {
        (true, Some(status)) => {
            let word = cell.find([',', ':', ' ']).unwrap_or(cell.len());
            format!("{}{}", paint(*status, &cell[..word]), &cell[word..])
        }
        _ => cell.to_owned(),
    })
}

/// Prints rows as aligned columns; the last column is not padded.
pub fn print_table<const N: usize>(rows: &[[String; N]]) -> std::io::Result<()> {
    write_table(rows, |_, _, cell| cell.to_owned())
}

/// Aligned columns; `ink` writes a cell (row, column, text) once its width is known:
/// colour adds no width.
fn write_table<const N: usize>(
    rows: &[[String; N]],
    ink: impl Fn(usize, usize, &str) -> String,
) -> std::io::Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for (number, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(&ink(number, i, cell));
            if i + 1 < N {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        say!("{}", line.trim_end());
    }
    Ok(())
}

/// A time as the command line writes it: in the machine's local time, with its zone
/// (`2026-11-23 11:00:00 CET`, or the offset where the zone has no name). A text that
/// is not a time is written as it is.
pub fn short_time(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(at) => local_time(at.with_timezone(&chrono::Utc)),
        Err(_) => rfc3339.to_owned(),
    }
}

/// An instant in the machine's local time, with its zone (see `short_time`).
pub fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&chrono::Local);
    match watchkeeper::clock::LocalZone::abbreviation(at) {
        Some(zone) if !zone.starts_with(['+', '-']) => format!("{} {zone}", local.format("%Y-%m-%d %H:%M:%S")),
        _ => local.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
    }
}

/// JSON for `--json`: keys in alphabetical order, as they always were printed.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    say!("{}", serde_json::to_string_pretty(&serde_json::to_value(value)?)?);
    Ok(())
}
