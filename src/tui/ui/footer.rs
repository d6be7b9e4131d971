//! The bottom line (the keys that work in the focused panel) and the message banner above it.

use super::muted;
use crate::tui::app::{App, Focus, Level};
use crate::tui::theme::{Role, Theme};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The keys of whatever has the keyboard: an open dialog first, then the focused panel.
fn dialog_keys(app: &App) -> Option<Vec<(String, &'static str)>> {
    use crate::tui::app::Confirm;
    Some(match app.confirm {
        Some(Confirm::RealMoney) => vec![("type LIVE".into(), "then Enter to send"), ("Esc".into(), "cancel")],
        Some(_) => vec![("y".into(), "yes"), ("n/Esc".into(), "no")],
        None if app.palette.is_some() => vec![
            ("type".into(), "search"),
            ("↑↓".into(), "select"),
            ("Enter".into(), "run"),
            ("Esc".into(), "close"),
        ],
        None if app.filters.editing.is_some() => vec![
            ("type".into(), "filter (every word must match)"),
            ("Enter".into(), "keep"),
            ("Esc".into(), "clear"),
        ],
        None if app.strategies.is_some() => vec![
            ("↑↓".into(), "select"),
            ("Enter/e".into(), "edit script"),
            ("Esc".into(), "close"),
        ],
        None if app.history.is_some() => vec![
            ("↑↓".into(), "select"),
            ("Enter/click".into(), "open"),
            (app.keys.key("filter").to_string(), "filter"),
            ("Esc".into(), "close"),
        ],
        None if app.help => vec![("↑↓ PgUp/PgDn".into(), "scroll"), ("?/Esc".into(), "close")],
        None => return None,
    })
}

pub fn keys(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = |cmd: &str| app.keys.key(cmd).to_string();
    if let Some(pairs) = dialog_keys(app) {
        return render_pairs(f, area, pairs, theme);
    }
    let mut pairs: Vec<(String, &str)> = if app.editing() {
        vec![
            ("type".into(), "edit"),
            ("Enter/Esc".into(), "done"),
            ("Tab".into(), "next panel"),
        ]
    } else {
        match app.focus {
            Focus::Form => vec![
                ("↑↓".into(), "field"),
                ("←→".into(), "choose"),
                (
                    "Enter".into(),
                    if app.form.selected_field().is_some_and(|f| f.is_text()) {
                        "edit"
                    } else {
                        "next"
                    },
                ),
            ],
            Focus::Trades | Focus::Orders => vec![
                ("↑↓ j/k".into(), "scroll"),
                ("PgUp/PgDn".into(), "page"),
                (app.keys.key("filter").to_string(), "filter"),
            ],
        }
    };
    if !app.editing() {
        if app.view.status.trading_paused {
            pairs.insert(0, (k("resume"), "RESUME trading"));
        }
        pairs.push(("Tab".into(), "focus"));
        pairs.extend([
            (k("backtest"), "backtest"),
            (k("paper"), "paper"),
            (k("stop"), "stop"),
            (k("reset"), "reset"),
            (k("chart"), if app.chart { "close chart" } else { "chart" }),
            (k("logs"), if app.logs_open { "close log" } else { "log" }),
            (k("theme"), "theme"),
            (k("palette"), "commands"),
            (k("help"), "help"),
            (k("quit"), "quit"),
        ]);
    }
    // What goes first when the line is too long; help, the palette and quit always stay.
    let drop_order = [
        "←→".to_string(),
        k("theme"),
        k("logs"),
        "Tab".into(),
        k("reset"),
        k("chart"),
    ];
    render_pairs(f, area, fit_pairs(pairs, area.width as usize, &drop_order), theme);
}

/// Drops pairs, in `drop_order`, until the line fits `width`.
fn fit_pairs<'a>(mut pairs: Vec<(String, &'a str)>, width: usize, drop_order: &[String]) -> Vec<(String, &'a str)> {
    let len = |p: &[(String, &str)]| {
        1 + p
            .iter()
            .map(|(k, w)| k.chars().count() + w.chars().count() + 2)
            .sum::<usize>()
    };
    for key in drop_order {
        if len(&pairs) <= width {
            break;
        }
        pairs.retain(|(k, _)| k != key);
    }
    pairs
}

fn render_pairs(f: &mut Frame, area: Rect, pairs: Vec<(String, &str)>, theme: &Theme) {
    let key_style = Style::new().fg(theme.c(Role::Accent)).add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in pairs {
        spans.push(Span::styled(key, key_style));
        spans.push(Span::styled(format!(" {what} "), muted(theme)));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(theme.c(Role::Surface))),
        area,
    );
}

pub fn banner(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(b) = &app.banner else { return };
    let (role, tag) = match b.level {
        Level::Error => (Role::Error, " ERROR "),
        Level::Info => (Role::Info, " INFO "),
    };
    let line = Line::from(vec![
        Span::styled(
            tag,
            Style::new()
                .bg(theme.c(role))
                .fg(theme.c(Role::Background))
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::styled(format!(" {}", b.text), Style::new().fg(theme.c(role))),
        Span::styled("  (Esc to dismiss)", muted(theme)),
    ]);
    f.render_widget(Paragraph::new(line), area);
}
