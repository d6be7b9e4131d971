//! The dashboard's config file (`<config dir>/config.toml` or `--config FILE`):
//!
//! ```toml
//! theme = "nord"
//! [keys]
//! stop = "x"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    /// `false` leaves the mouse to the terminal (as `--no-mouse`).
    pub mouse: Option<bool>,
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
}

pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "cracktrader").map(|d| d.config_dir().to_path_buf())
}

/// Reads the config; a missing default file is fine, a missing `--config` file or a broken one is an
/// error naming file and line.
pub fn load(explicit: Option<&Path>) -> Result<Config, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match config_dir() {
            Some(d) if d.join("config.toml").exists() => d.join("config.toml"),
            _ => return Ok(Config::default()),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        format!(
            "{}{}: {}",
            path.display(),
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.message()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_reports() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        std::fs::write(&p, "theme = \"nord\"\n[keys]\nstop = \"x\"\n").unwrap();
        let c = load(Some(&p)).unwrap();
        assert_eq!(
            (c.theme.as_deref(), c.keys.get("stop").map(|s| s.as_str())),
            (Some("nord"), Some("x"))
        );
        std::fs::write(&p, "theme = \"nord\"\ncolour = 3\n").unwrap();
        assert!(load(Some(&p)).unwrap_err().contains("c.toml:2"));
        assert!(load(Some(&d.path().join("missing.toml"))).is_err());
    }
}
