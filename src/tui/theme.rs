//! Colour themes: semantic roles (profit, loss, border, ...) read from TOML files with optional
//! `parent = "NAME"` inheritance, so a theme file only lists what differs from its parent. Themes
//! shipped in `themes/` are embedded; files in `<config dir>/themes/` override or add to them.

use ratatui::style::Color;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

macro_rules! roles {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// A colour's meaning; render code asks for roles, never for colours.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role { $($variant),* }
        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$variant),*];
            pub fn name(self) -> &'static str {
                match self { $(Role::$variant => $name),* }
            }
        }
    };
}

roles! {
    Background = "background", Surface = "surface", Text = "text", Muted = "muted", Border = "border",
    BorderFocused = "border_focused", Title = "title", Accent = "accent", Profit = "profit", Loss = "loss",
    Warning = "warning", Error = "error", Info = "info", SelectionBg = "selection_bg", SelectionFg = "selection_fg",
    ChartEquity = "chart_equity", ChartBenchmark = "chart_benchmark", ChartAxis = "chart_axis",
    StatusIdle = "status_idle", StatusRunning = "status_running", StatusCompleted = "status_completed",
    StatusFailed = "status_failed", StatusStopped = "status_stopped",
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    colors: Vec<Color>,
}

impl Theme {
    pub fn c(&self, role: Role) -> Color {
        self.colors[role as usize]
    }

    /// `NO_COLOR`: terminal defaults everywhere; emphasis comes from bold/reverse only.
    pub fn monochrome() -> Theme {
        Theme {
            name: "no-color".into(),
            colors: vec![Color::Reset; Role::ALL.len()],
        }
    }

    pub fn is_monochrome(&self) -> bool {
        self.colors.iter().all(|c| *c == Color::Reset)
    }
}

/// Shipped themes, embedded in the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("gruvbox", include_str!("../../themes/gruvbox.toml")),
    ("nord", include_str!("../../themes/nord.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ThemeError {
    pub source_name: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone)]
struct RawTheme {
    source: String,
    parent: Option<String>,
    /// role -> (value, line)
    colors: BTreeMap<String, (String, usize)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    parent: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, toml::Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn parse(source: &str, default_name: &str, text: &str) -> Result<(String, RawTheme), ThemeError> {
    let file: ThemeFile = toml::from_str(text).map_err(|e| ThemeError {
        source_name: source.into(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().to_string(),
    })?;
    let mut colors = BTreeMap::new();
    for (role, value) in file.colors {
        let line = line_of(text, value.span().start);
        if !Role::ALL.iter().any(|r| r.name() == role) {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            return Err(ThemeError {
                source_name: source.into(),
                line: Some(line),
                message: format!("unknown role '{role}'; roles are {}", roles.join(", ")),
            });
        }
        let v = value.into_inner();
        if Color::from_str(&v).is_err() {
            return Err(ThemeError {
                source_name: source.into(),
                line: Some(line),
                message: format!(
                    "'{v}' is not a colour for '{role}'; use a name (red, lightblue, gray, reset...) or #rrggbb"
                ),
            });
        }
        colors.insert(role, (v, line));
    }
    let name = file.name.unwrap_or_else(|| default_name.to_string());
    Ok((
        name,
        RawTheme {
            source: source.into(),
            parent: file.parent,
            colors,
        },
    ))
}

/// Every theme that can be chosen, by name.
#[derive(Debug, Clone)]
pub struct ThemeSet {
    raw: BTreeMap<String, RawTheme>,
    /// Problems found while loading user theme files (shown, never fatal).
    pub problems: Vec<ThemeError>,
}

impl ThemeSet {
    /// The embedded themes, then `*.toml` files in `user_dir` (a file with a shipped theme's name
    /// replaces it).
    pub fn load(user_dir: Option<&Path>) -> ThemeSet {
        let mut set = ThemeSet {
            raw: BTreeMap::new(),
            problems: Vec::new(),
        };
        for (name, text) in EMBEDDED {
            match parse(&format!("themes/{name}.toml"), name, text) {
                Ok((n, t)) => {
                    set.raw.insert(n, t);
                }
                Err(e) => set.problems.push(e),
            }
        }
        let Some(dir) = user_dir else { return set };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return set;
        };
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => match parse(&source, &stem, &text) {
                    Ok((n, t)) => {
                        set.raw.insert(n, t);
                    }
                    Err(e) => set.problems.push(e),
                },
                Err(e) => set.problems.push(ThemeError {
                    source_name: source,
                    line: None,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
        set
    }

    pub fn names(&self) -> Vec<String> {
        self.raw.keys().cloned().collect()
    }

    /// Resolves a theme through its parents; every role must end up with a colour.
    pub fn resolve(&self, name: &str) -> Result<Theme, ThemeError> {
        let mut chain = Vec::new();
        let mut cur = Some(name.to_string());
        while let Some(n) = cur {
            let Some(t) = self.raw.get(&n) else {
                let src = chain
                    .last()
                    .map(|t: &&RawTheme| t.source.clone())
                    .unwrap_or_else(|| "--theme".into());
                return Err(ThemeError {
                    source_name: src,
                    line: None,
                    message: format!("unknown theme '{n}'; available: {}", self.names().join(", ")),
                });
            };
            if chain.iter().any(|c: &&RawTheme| std::ptr::eq(*c, t)) {
                return Err(ThemeError {
                    source_name: t.source.clone(),
                    line: None,
                    message: format!("parent chain loops back to '{n}'"),
                });
            }
            chain.push(t);
            cur = t.parent.clone();
        }
        let mut colors = Vec::with_capacity(Role::ALL.len());
        for role in Role::ALL {
            let found = chain.iter().find_map(|t| t.colors.get(role.name()));
            let Some((v, _)) = found else {
                return Err(ThemeError {
                    source_name: chain[0].source.clone(),
                    line: None,
                    message: format!("no colour for '{}' here or in any parent", role.name()),
                });
            };
            colors.push(Color::from_str(v).unwrap_or(Color::Reset));
        }
        Ok(Theme {
            name: name.to_string(),
            colors,
        })
    }

    /// The theme to use: `NO_COLOR` wins, then the requested one, falling back to `default` with the
    /// reason when it cannot be used.
    pub fn pick(&self, name: &str, no_color: bool) -> (Theme, Option<String>) {
        if no_color {
            return (Theme::monochrome(), None);
        }
        match self.resolve(name) {
            Ok(t) => (t, None),
            Err(e) => {
                let fallback = self.resolve("default").unwrap_or_else(|_| Theme::monochrome());
                (fallback, Some(format!("theme '{name}' not used ({e}); using default")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses_and_resolves_every_role() {
        let set = ThemeSet::load(None);
        assert!(set.problems.is_empty(), "{:?}", set.problems);
        for name in ["default", "light", "gruvbox", "nord", "high-contrast"] {
            let t = set.resolve(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.colors.len(), Role::ALL.len());
            assert_ne!(
                t.c(Role::Profit),
                t.c(Role::Loss),
                "{name}: profit and loss must differ"
            );
        }
    }

    #[test]
    fn user_themes_inherit_override_and_report_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "parent = \"nord\"\n[colors]\nprofit = \"#00ff00\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("broken.toml"),
            "parent = \"default\"\n[colors]\nloss = \"blurple\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("typo.toml"), "[colors]\nproffit = \"red\"\n").unwrap();
        std::fs::write(dir.path().join("syntax.toml"), "[colors\n").unwrap();
        std::fs::write(dir.path().join("loop.toml"), "parent = \"loop\"\n").unwrap();
        let set = ThemeSet::load(Some(dir.path()));
        let mine = set.resolve("mine").unwrap();
        assert_eq!(mine.c(Role::Profit), Color::Rgb(0, 0xff, 0));
        assert_eq!(mine.c(Role::Loss), set.resolve("nord").unwrap().c(Role::Loss));
        let msgs: Vec<String> = set.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("broken.toml:3") && m.contains("blurple")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("typo.toml:2") && m.contains("proffit")),
            "{msgs:?}"
        );
        assert!(msgs.iter().any(|m| m.contains("syntax.toml:1")), "{msgs:?}");
        assert!(set.resolve("loop").unwrap_err().message.contains("loops"));
        let (t, why) = set.pick("nope", false);
        assert_eq!(t.name, "default");
        assert!(why.unwrap().contains("unknown theme 'nope'"));
        let (t, _) = set.pick("nord", true);
        assert!(t.is_monochrome());
    }
}
