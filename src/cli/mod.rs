//! The `watchkeeper` command line, one file per subcommand. Every command that talks
//! to a running daemon goes through the typed client (`api::client`) and prints its
//! DTOs; none reads JSON by string keys.

pub mod action;
pub mod alerts;
pub mod breaker;
pub mod check;
pub mod config;
pub mod doctor;
pub mod incidents;
pub mod status;

use watchkeeper::api::client::ClientError;

/// A client error as the command line says it: the message with its code, and how to
/// fix it.
pub fn client_error(error: ClientError) -> anyhow::Error {
    anyhow::anyhow!("{error} [{}]\n  help: {}", error.code(), error.resolution())
}

/// Prints rows as aligned columns; the last column is not padded.
pub fn print_table<const N: usize>(rows: &[[String; N]]) {
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

/// A timestamp as the tables show it: `2026-11-23 10:00:00`.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.chars().take(19).collect::<String>().replace('T', " ")
}

/// JSON for `--json`: keys in alphabetical order, as they always were printed.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&serde_json::to_value(value)?)?);
    Ok(())
}
