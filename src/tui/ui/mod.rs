//! Rendering: a pure function of the app state and the theme. Each panel has its own file.

mod equity_panel;
pub mod fmt;
mod footer;
mod form_panel;
mod header;
mod overlays;
pub mod status_panel;
mod sweep_panel;
mod tables;

use super::app::{App, Focus, MIN_SIZE};
use super::theme::{Role, Theme};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

pub(crate) fn panel(title: impl Into<String>, focused: bool, theme: &Theme) -> Block<'static> {
    let title: String = title.into();
    let border = if focused {
        theme.c(Role::BorderFocused)
    } else {
        theme.c(Role::Border)
    };
    let mut title_style = Style::new().fg(theme.c(Role::Title)).add_modifier(Modifier::BOLD);
    if focused && theme.is_monochrome() {
        title_style = title_style.add_modifier(Modifier::REVERSED);
    }
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(Style::new().fg(border))
        .title(ratatui::text::Span::styled(format!(" {title} "), title_style))
        .style(Style::new().bg(theme.c(Role::Background)).fg(theme.c(Role::Text)))
}

pub fn render(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    f.render_widget(
        Block::new().style(Style::new().bg(theme.c(Role::Background)).fg(theme.c(Role::Text))),
        area,
    );
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        return overlays::too_small(f, area, theme);
    }
    let s = app.screen(area);
    header::render(f, s.head, app, theme);
    form_panel::render(f, s.form, app, theme);
    status_panel::render(f, s.status, app, theme);
    if app.chart {
        equity_panel::chart(f, s.chart, app, theme);
    } else {
        equity_panel::sparkline(f, s.chart, app, theme);
    }
    if let Some(r) = s.logs {
        tables::logs(f, r, app, theme);
    }
    if let (Some(r), Some(report)) = (s.sweep, app.sweep()) {
        sweep_panel::render(f, r, app, report, theme);
    }
    if let Some(r) = s.trades {
        tables::trades(f, r, app, theme);
    }
    if let Some(r) = s.orders {
        tables::orders(f, r, app, theme);
    }
    if app.banner.is_some() {
        footer::banner(f, s.banner, app, theme);
    }
    footer::keys(f, s.foot, app, theme);
    if let Some(sel) = app.strategies {
        overlays::strategies(f, area, &app.catalog, sel, theme);
    }
    if let Some(h) = &app.history {
        overlays::history(f, area, h, app, theme);
    }
    if let Some(p) = &app.palette {
        overlays::palette(f, area, p, app, theme);
    }
    if app.help {
        overlays::help(f, area, app, theme);
    }
    if let Some(c) = app.confirm {
        overlays::confirm(f, area, c, app, theme);
    }
}

/// A list row or field value: highlighted when selected, plain text otherwise.
pub(crate) fn row_style(selected: bool, theme: &Theme) -> Style {
    if selected {
        Style::new()
            .bg(theme.c(Role::SelectionBg))
            .fg(theme.c(Role::SelectionFg))
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(theme.c(Role::Text))
    }
}

pub(crate) fn muted(theme: &Theme) -> Style {
    Style::new().fg(theme.c(Role::Muted))
}

pub(crate) fn focused(app: &App, f: Focus) -> bool {
    app.focus == f && app.confirm.is_none() && !app.help
}
