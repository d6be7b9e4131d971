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

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &app.view.status;
    let sep = Span::styled(" │ ", Style::new().fg(theme.c(Role::Border)));
    let mut spans = vec![
        Span::styled(
            " cracktrader-tui",
            Style::new().fg(theme.c(Role::Accent)).add_modifier(Modifier::BOLD),
        ),
        sep.clone(),
    ];
    spans.push(Span::raw(s.run_id.clone().unwrap_or_else(|| "no run".into())));
    if let Some(m) = s.mode {
        spans.push(sep.clone());
        spans.push(Span::raw(m.as_str()));
    }
    spans.push(sep.clone());
    spans.push(Span::styled(
        format!("● {}", s.status.as_str().to_uppercase()),
        Style::new()
            .fg(theme.c(status_role(s.status)))
            .add_modifier(Modifier::BOLD),
    ));
    if area.width >= 110 {
        spans.push(sep.clone());
        spans.push(Span::raw(format!(
            "up {}",
            fmt::duration((app.now - app.started).num_milliseconds() as f64 / 1000.0)
        )));
    }
    spans.push(sep.clone());
    match &app.connection {
        Connection::Local => match &app.api.address {
            Some(a) => spans.push(Span::raw(format!(
                "API {} auth {}",
                a.trim_start_matches("http://"),
                if app.api.auth { "on" } else { "off" }
            ))),
            None => spans.push(Span::styled("API off", Style::new().fg(theme.c(Role::Muted)))),
        },
        Connection::Connected(url) => spans.push(Span::styled(
            format!("remote {url}"),
            Style::new().fg(theme.c(Role::Info)),
        )),
        Connection::Lost { url, .. } => spans.push(Span::styled(
            format!("remote {url} LOST, retrying"),
            Style::new().fg(theme.c(Role::Error)).add_modifier(Modifier::BOLD),
        )),
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(theme.c(Role::Surface)).fg(theme.c(Role::Text))),
        area,
    );
}
