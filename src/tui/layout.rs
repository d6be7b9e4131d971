//! Where each panel sits: one function for drawing and for mouse clicks, so a click lands on what
//! the user sees.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

/// The main screen's areas (the too-small screen has none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    pub head: Rect,
    pub form: Rect,
    pub status: Rect,
    /// The full equity chart (when open) or the sparkline.
    pub chart: Rect,
    pub trades: Option<Rect>,
    pub orders: Option<Rect>,
    pub logs: Option<Rect>,
    /// A finished optimize run's table and heatmap, in place of the lists.
    pub sweep: Option<Rect>,
    pub banner: Rect,
    pub foot: Rect,
}

/// The status panel's height.
const STATUS_H: u16 = 8;

pub fn screen(area: Rect, chart: bool, logs: bool, banner: bool, sweep: bool) -> Screen {
    let banner_h = u16::from(banner);
    let [head, body, banner, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(banner_h),
        Constraint::Length(1),
    ])
    .areas(area);
    let form_w = if body.width >= 110 { 42 } else { 30 };
    let [form, right] = Layout::horizontal([Constraint::Length(form_w), Constraint::Min(40)]).areas(body);
    let mut s = Screen {
        head,
        form,
        banner,
        foot,
        ..Screen::default()
    };
    if chart {
        let [status, chart] = Layout::vertical([Constraint::Length(STATUS_H), Constraint::Min(6)]).areas(right);
        s.status = status;
        s.chart = chart;
        return s;
    }
    let spark_h = if right.height >= 30 { 7 } else { 4 };
    let [status, spark, lists] = Layout::vertical([
        Constraint::Length(STATUS_H),
        Constraint::Length(spark_h),
        Constraint::Min(4),
    ])
    .areas(right);
    s.status = status;
    s.chart = spark;
    if logs {
        s.logs = Some(lists);
    } else if sweep {
        s.sweep = Some(lists);
    } else if lists.width >= 100 {
        let [t, o] = Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(lists);
        (s.trades, s.orders) = (Some(t), Some(o));
    } else {
        let [t, o] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(lists);
        (s.trades, s.orders) = (Some(t), Some(o));
    }
    s
}

/// A `w` x `h` box in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [c] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    c
}

/// The history and strategy list overlays.
pub fn list_overlay(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(6).min(118),
        area.height.saturating_sub(4).min(24),
    )
}

/// The command palette.
pub fn palette(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(10).min(72),
        area.height.saturating_sub(6).min(20),
    )
}

/// Inside a bordered panel.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// The form's field rows (the panel minus its border and the three hint lines).
pub fn form_rows(form: Rect) -> Rect {
    let [list, _hint] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(inner(form));
    list
}

/// The first of `len` rows shown when `rows` fit and row `selected` must be visible.
pub fn first_row(selected: usize, rows: usize) -> usize {
    selected.saturating_sub(rows.saturating_sub(1))
}

pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && col < r.x.saturating_add(r.width) && row >= r.y && row < r.y.saturating_add(r.height)
}
