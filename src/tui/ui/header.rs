//! Top line: product, run, mode, status, uptime, API address and auth, connection, theme.

use super::fmt;
use crate::run::RunStatus;
use crate::tui::action::Connection;
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn status_role(s: RunStatus) -> Role {
    match s {
        RunStatus::Idle => Role::StatusIdle,
        RunStatus::Starting | RunStatus::Running => Role::StatusRunning,
        RunStatus::Completed => Role::StatusCompleted,
        RunStatus::Failed => Role::StatusFailed,
        RunStatus::Stopped => Role::StatusStopped,
    }
}

/// The header's parts in display order, each with how much it matters: when the line is wider than
/// the terminal the least important go first, so the status and the API address are never cut.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &app.view.status;
    let mut parts: Vec<(u8, Span)> = vec![(
        1,
        Span::styled(
            "cracktrader-tui",
            Style::new().fg(theme.c(Role::Accent)).add_modifier(Modifier::BOLD),
        ),
    )];
    parts.push((3, Span::raw(s.run_id.clone().unwrap_or_else(|| "no run".into()))));
    if let Some(m) = s.mode {
        parts.push((2, Span::raw(m.as_str())));
    }
    parts.push((
        6,
        Span::styled(
            format!("● {}", s.status.as_str().to_uppercase()),
            Style::new()
                .fg(theme.c(status_role(s.status)))
                .add_modifier(Modifier::BOLD),
        ),
    ));
    parts.push((
        0,
        Span::raw(format!(
            "up {}",
            fmt::duration((app.now - app.started).num_milliseconds() as f64 / 1000.0)
        )),
    ));
    let connection = match &app.connection {
        Connection::Local => match &app.api.address {
            Some(a) => Span::raw(format!(
                "API {} auth {}",
                a.trim_start_matches("http://"),
                if app.api.auth { "on" } else { "off" }
            )),
            None => Span::styled("API off", Style::new().fg(theme.c(Role::Muted))),
        },
        Connection::Connecting(url) => Span::styled(
            format!("remote {url} connecting..."),
            Style::new().fg(theme.c(Role::Warning)),
        ),
        Connection::Connected(url) => Span::styled(format!("remote {url}"), Style::new().fg(theme.c(Role::Info))),
        Connection::Lost { url, .. } => Span::styled(
            format!("remote {url} LOST, retrying"),
            Style::new().fg(theme.c(Role::Error)).add_modifier(Modifier::BOLD),
        ),
    };
    parts.push((5, connection));
    const SEP: usize = 3;
    let width = |parts: &[(u8, Span)]| {
        1 + parts.iter().map(|(_, p)| p.width()).sum::<usize>() + SEP * parts.len().saturating_sub(1)
    };
    while width(&parts) > area.width as usize && parts.len() > 1 {
        let least = parts
            .iter()
            .enumerate()
            .min_by_key(|(_, (rank, _))| *rank)
            .map_or(0, |(i, _)| i);
        parts.remove(least);
    }
    let sep = Span::styled(" │ ", Style::new().fg(theme.c(Role::Border)));
    let mut spans = vec![Span::raw(" ")];
    for (i, (_, p)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(sep.clone());
        }
        spans.push(p);
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(theme.c(Role::Surface)).fg(theme.c(Role::Text))),
        area,
    );
}
