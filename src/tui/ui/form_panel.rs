//! The run form: one line per field, the selected one highlighted; its hint or error underneath.

use super::{focused, muted, panel};
use crate::tui::app::{App, Focus};
use crate::tui::form::FieldKind;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let has_focus = focused(app, Focus::Form);
    let title = if app.form.editing {
        "Run form (editing)"
    } else {
        "Run form"
    };
    let block = panel(title, has_focus, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [list, hint] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(inner);
    let label_w = if list.width >= 36 { 12usize } else { 11 };
    let value_w = (list.width as usize).saturating_sub(label_w + 1);
    let visible = app.form.visible();
    let sel_pos = visible.iter().position(|&i| i == app.form.selected).unwrap_or(0);
    let rows = list.height as usize;
    let first = sel_pos.saturating_sub(rows.saturating_sub(1));
    let mut lines = Vec::new();
    for &i in visible.iter().skip(first).take(rows) {
        let field = &app.form.fields[i];
        let selected = i == app.form.selected && has_focus;
        let mut label = field.label.clone();
        label.truncate(label_w);
        let label_style = if field.error.is_some() {
            Style::new().fg(theme.c(Role::Error))
        } else {
            muted(theme)
        };
        let mut value = field.display();
        if value.chars().count() > value_w {
            value = value.chars().take(value_w.saturating_sub(1)).collect::<String>() + "…";
        }
        let value_style = super::row_style(selected, theme);
        let marker = if field.error.is_some() { "!" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<label_w$}"), label_style),
            Span::styled(marker, Style::new().fg(theme.c(Role::Error))),
            Span::styled(format!("{value:<value_w$}"), value_style),
        ]));
        if selected && app.form.editing {
            if let FieldKind::Text(input) | FieldKind::Secret(input) = &field.kind {
                let row = list.y + (lines.len() as u16 - 1);
                let col = list.x + label_w as u16 + 1 + (input.visual_cursor().min(value_w) as u16);
                f.set_cursor_position(Position::new(col, row));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), list);
    let (text, style) = match app.form.selected_field() {
        Some(fld) => match &fld.error {
            Some(e) => (e.clone(), Style::new().fg(theme.c(Role::Error))),
            None => (fld.hint.clone(), muted(theme)),
        },
        None => (String::new(), muted(theme)),
    };
    f.render_widget(Paragraph::new(text).style(style).wrap(Wrap { trim: true }), hint);
}
