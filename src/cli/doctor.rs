//! `watchkeeper doctor`: the pre-flight checks, each with its fix; exit 1 when one fails.

use std::path::Path;

use watchkeeper::doctor::{self, Level};

pub fn run(config_path: &Path, data_dir: &Path) -> anyhow::Result<u8> {
    let findings = doctor::run(config_path, data_dir);
    for finding in &findings {
        say!("[{:>4}] {:<14} {}", finding.level.as_str(), finding.name, finding.message);
        if !finding.resolution.is_empty() && finding.level >= Level::Warn {
            say!("       {:<14} help: {}", "", finding.resolution);
        }
    }
    Ok(u8::from(findings.iter().any(|f| f.level == Level::Fail)))
}
