//! The mouse: a click focuses the panel (or picks the form field, history row, palette entry) under
//! it; the wheel scrolls whatever it is over. Hit-testing uses the same layout as drawing.

use super::app::{App, Effect, Focus};
use super::layout::{self, contains};
use ratatui::layout::Rect;

impl App {
    /// Where each panel is for what the app shows now: what `render` draws and clicks land on.
    pub fn screen(&self, area: Rect) -> layout::Screen {
        layout::screen(
            area,
            self.chart,
            self.logs_open,
            self.banner.is_some(),
            self.sweep().is_some(),
        )
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// A left click at (`col`, `row`).
    pub(super) fn click(&mut self, col: u16, row: u16) -> Vec<Effect> {
        if self.confirm.is_some() {
            return Vec::new();
        }
        let area = self.area();
        if self.palette.is_some() {
            let list = palette_rows(area);
            if contains(list, col, row) {
                let sel = self.palette.as_ref().map_or(0, |p| p.selected);
                let pos = layout::first_row(sel, list.height as usize) + (row - list.y) as usize;
                if pos >= self.palette_matches().len() {
                    return Vec::new();
                }
                if let Some(p) = self.palette.as_mut() {
                    p.selected = pos;
                }
                return self.run_palette_entry();
            }
            return Vec::new();
        }
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if self.strategies.is_some() {
            let inner = layout::inner(layout::list_overlay(area));
            if contains(inner, col, row) {
                let sel = self.strategies.unwrap_or(0);
                let i = layout::first_row(sel, inner.height as usize) + (row - inner.y) as usize;
                if i < self.catalog.len() {
                    self.strategies = Some(i);
                }
            }
            return Vec::new();
        }
        if let Some(h) = &self.history {
            let inner = layout::inner(layout::list_overlay(area));
            // The first line is the header.
            if !contains(inner, col, row) || row == inner.y {
                return Vec::new();
            }
            let rows = inner.height.saturating_sub(1) as usize;
            let pos = layout::first_row(h.selected, rows) + (row - inner.y - 1) as usize;
            let hits = self.history_hits();
            let Some(&i) = hits.get(pos) else {
                return Vec::new();
            };
            let id = self
                .history
                .as_ref()
                .and_then(|h| h.runs.get(i))
                .map(|r| r.run_id.clone());
            if let Some(h) = self.history.as_mut() {
                h.selected = pos;
            }
            return id.map(|id| vec![Effect::OpenRun(id)]).unwrap_or_default();
        }
        let s = self.screen(area);
        if contains(s.form, col, row) {
            let was = (self.focus, self.form.selected);
            self.focus = Focus::Form;
            let rows = layout::form_rows(s.form);
            if contains(rows, col, row) {
                let visible = self.form.visible();
                let sel_pos = visible.iter().position(|&i| i == self.form.selected).unwrap_or(0);
                let pos = layout::first_row(sel_pos, rows.height as usize) + (row - rows.y) as usize;
                if let Some(&i) = visible.get(pos) {
                    if self.form.editing && i != self.form.selected {
                        self.form.editing = false;
                        self.form.validate_selected();
                    }
                    self.form.selected = i;
                    // A second click on a text field edits it, as Enter does.
                    if was == (Focus::Form, i) && self.form.selected_field().is_some_and(|f| f.is_text()) {
                        self.form.editing = true;
                    }
                }
            }
            return Vec::new();
        }
        self.form.editing = false;
        if s.trades.or(s.sweep).is_some_and(|r| contains(r, col, row)) {
            self.focus = Focus::Trades;
        } else if s.orders.is_some_and(|r| contains(r, col, row)) {
            self.focus = Focus::Orders;
        }
        Vec::new()
    }

    /// The wheel turned `lines` (down positive) over (`col`, `row`).
    pub(super) fn wheel(&mut self, col: u16, row: u16, lines: i32) -> Vec<Effect> {
        if self.confirm.is_some() {
            return Vec::new();
        }
        let area = self.area();
        if let Some(p) = self.palette.as_mut() {
            p.selected = (p.selected as i64 + lines.signum() as i64).max(0) as usize;
            let n = self.palette_matches().len();
            if let Some(p) = self.palette.as_mut() {
                p.selected = p.selected.min(n.saturating_sub(1));
            }
            return Vec::new();
        }
        if self.help {
            self.help_scroll = (self.help_scroll as i32 + lines).clamp(0, u16::MAX as i32) as u16;
            return Vec::new();
        }
        if let Some(sel) = self.strategies {
            let last = self.catalog.len().saturating_sub(1) as i64;
            self.strategies = Some((sel as i64 + lines.signum() as i64).clamp(0, last.max(0)) as usize);
            return Vec::new();
        }
        if self.history.is_some() {
            let n = self.history_hits().len();
            if let Some(h) = self.history.as_mut() {
                let last = n.saturating_sub(1) as i64;
                h.selected = (h.selected as i64 + lines as i64).clamp(0, last.max(0)) as usize;
            }
            return Vec::new();
        }
        let s = self.screen(area);
        if contains(s.form, col, row) && !self.form.editing {
            self.form.move_by(lines.signum());
        } else if s.trades.or(s.sweep).is_some_and(|r| contains(r, col, row)) {
            self.scroll_list(Focus::Trades, lines as i64);
        } else if s.orders.is_some_and(|r| contains(r, col, row)) {
            self.scroll_list(Focus::Orders, lines as i64);
        }
        Vec::new()
    }
}

/// The palette's entry rows (below its query line).
pub fn palette_rows(area: Rect) -> Rect {
    let inner = layout::inner(layout::palette(area));
    Rect {
        y: inner.y.saturating_add(2),
        height: inner.height.saturating_sub(2),
        ..inner
    }
}
