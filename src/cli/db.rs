//! `watchkeeper backup [PATH]` and `watchkeeper db check`: the history database, read
//! directly (the daemon may run meanwhile: a backup is SQLite's online backup, a check
//! only reads).

use std::path::Path;

use watchkeeper::store::backup;
use watchkeeper::units::format_size;

use super::failure::{fail, Exit};

/// Backs the history up now: into `target` (a file, or a directory to name it in), or
/// else into the data dir's `backups/`, keeping the newest `[settings] backup.keep`.
pub fn backup(config_path: &Path, data_dir: &Path, target: Option<&Path>) -> anyhow::Result<u8> {
    if !data_dir.join(watchkeeper::store::DB_FILE).exists() {
        return Err(fail(
            Exit::NoInput,
            format!(
                "there is no history in {} to back up: start watchkeeper once, or pass the --data-dir it uses",
                data_dir.display()
            ),
        ));
    }
    let now = chrono::Utc::now();
    let io = |e: watchkeeper::store::StoreError| fail(Exit::Io, format!("the backup failed: {e}; {}", e.resolution()));
    match target {
        Some(target) => {
            let path = if target.is_dir() { target.join(backup::name(now)) } else { target.to_owned() };
            if path.exists() {
                return Err(fail(
                    Exit::Usage,
                    format!("{} exists: name a new file, or a directory to write it in", path.display()),
                ));
            }
            let bytes = backup::copy(data_dir, &path).map_err(io)?;
            say!("history backed up to {} ({})", path.display(), format_size(bytes));
        }
        None => {
            // The config's `keep`, or its default when the config does not read.
            let keep = watchkeeper::config::load(config_path)
                .ok()
                .and_then(|(compiled, _)| compiled.config.settings.backup)
                .map_or(7, |settings| settings.keep);
            let taken = backup::take(data_dir, keep, now).map_err(io)?;
            say!("history backed up to {} ({})", taken.path.display(), format_size(taken.bytes));
            if !taken.removed.is_empty() {
                say!("removed {} older backup(s): the newest {keep} are kept", taken.removed.len());
            }
        }
    }
    Ok(0)
}

/// Checks the whole history database (`PRAGMA integrity_check`): exit 0 when it is
/// whole, 1 when it is damaged (saying what the next start does about it).
pub fn check(data_dir: &Path) -> anyhow::Result<u8> {
    let path = data_dir.join(watchkeeper::store::DB_FILE);
    if !path.exists() {
        return Err(fail(Exit::NoInput, format!("there is no history at {}", path.display())));
    }
    let backups = backup::list(data_dir);
    let newest = match backups.first() {
        Some((path, at)) => {
            format!("{} backup(s), the newest {} ({})", backups.len(), super::local_time(*at), path.display())
        }
        None => "no backups".to_owned(),
    };
    match watchkeeper::store::integrity(data_dir) {
        Ok(problems) if problems.is_empty() => {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            say!("{}: ok ({}); {newest}", path.display(), format_size(size));
            Ok(0)
        }
        Ok(problems) => {
            say!("{}: damaged", path.display());
            for problem in problems.iter().take(20) {
                say!("  {problem}");
            }
            match backups.is_empty() {
                false => say!("the next start moves it aside and restores the newest backup that reads; {newest}"),
                true => say!("the next start moves it aside and starts a new history: there is no backup"),
            }
            Ok(1)
        }
        Err(e) => Err(fail(Exit::Io, format!("cannot read {}: {e}; {}", path.display(), e.resolution()))),
    }
}

/// Exports the history from the running daemon into `output` (or standard output) as it
/// streams. On a terminal, stderr shows how many rows and bytes have come; a file is
/// written beside its name and renamed into place once whole (`ExportStream::save`).
pub async fn export(
    data_dir: &Path,
    args: watchkeeper::api::dto::ExportArgs,
    output: Option<&Path>,
) -> anyhow::Result<u8> {
    use std::io::IsTerminal as _;
    let client = watchkeeper::api::client::Client::discover(data_dir).map_err(super::client_error)?;
    let stream = client.export(&args).await.map_err(super::client_error)?;
    let show = std::io::stderr().is_terminal();
    let mut shown = std::time::Instant::now();
    let progress = |rows: u64, bytes: u64| {
        if show && shown.elapsed() >= std::time::Duration::from_millis(200) {
            super::progress(format_args!("{rows} rows, {}", format_size(bytes)), false);
            shown = std::time::Instant::now();
        }
    };
    let written = match output {
        Some(path) => stream.save(path, progress).await,
        None => {
            stream.write_to(&mut std::io::BufWriter::new(std::io::stdout().lock()), "standard output", progress).await
        }
    };
    let (rows, bytes) = written.map_err(|e| fail(Exit::Io, e.to_string()))?;
    if show {
        super::progress(format_args!("{rows} rows, {}", format_size(bytes)), true);
    }
    if let Some(output) = output {
        say!("exported to {} ({})", output.display(), format_size(bytes));
    }
    Ok(0)
}
