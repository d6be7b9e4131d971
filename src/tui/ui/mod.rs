//! Rendering: a pure function of the app state and the theme. Each panel has its own file.

mod equity_panel;
pub mod fmt;
mod footer;
mod form_panel;
mod header;
mod overlays;
pub mod status_panel;
mod tables;

use super::app::{App, Focus, MIN_SIZE};
use super::theme::{Role, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
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
    let banner_h = u16::from(app.banner.is_some());
    let [head, body, banner, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(banner_h),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(f, head, app, theme);
    main(f, body, app, theme);
    if banner_h > 0 {
        footer::banner(f, banner, app, theme);
    }
    footer::keys(f, foot, app, theme);
    if let Some(sel) = app.strategies {
        overlays::strategies(f, area, &app.catalog, sel, theme);
    }
    if let Some(h) = &app.history {
        overlays::history(f, area, h, theme);
    }
    if app.help {
        overlays::help(f, area, app, theme);
    }
    if let Some(c) = app.confirm {
        overlays::confirm(f, area, c, app, theme);
    }
}

fn main(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let form_w = if area.width >= 110 { 42 } else { 30 };
    let [left, right] = Layout::horizontal([Constraint::Length(form_w), Constraint::Min(40)]).areas(area);
    form_panel::render(f, left, app, theme);
    let status_h = 8;
    if app.chart {
        let [status, chart] = Layout::vertical([Constraint::Length(status_h), Constraint::Min(6)]).areas(right);
        status_panel::render(f, status, app, theme);
        equity_panel::chart(f, chart, app, theme);
        return;
    }
    let spark_h = if right.height >= 30 { 7 } else { 4 };
    let [status, spark, lists] = Layout::vertical([
        Constraint::Length(status_h),
        Constraint::Length(spark_h),
        Constraint::Min(4),
    ])
    .areas(right);
    status_panel::render(f, status, app, theme);
    equity_panel::sparkline(f, spark, app, theme);
    if app.logs_open {
        tables::logs(f, lists, app, theme);
    } else if lists.width >= 100 {
        let [trades, orders] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(lists);
        tables::trades(f, trades, app, theme);
        tables::orders(f, orders, app, theme);
    } else {
        let [trades, orders] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(lists);
        tables::trades(f, trades, app, theme);
        tables::orders(f, orders, app, theme);
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
