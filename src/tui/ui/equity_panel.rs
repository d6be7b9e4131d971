//! The equity curve: a sparkline in the dashboard, a braille line chart with axes and the buy-and-hold
//! line on `c`.

use super::{fmt, muted, panel};
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline};
use ratatui::Frame;

fn title(app: &App) -> String {
    match (app.equity.first, app.equity.last) {
        (Some(a), Some(b)) if a != 0.0 => format!("Equity {} ({})", fmt::money(b), fmt::pct(b / a - 1.0)),
        _ => "Equity".to_string(),
    }
}

pub fn sparkline(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = panel(title(app), false, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let pts = &app.equity.points;
    if pts.is_empty() {
        f.render_widget(
            Paragraph::new("no equity yet: launch a run (b backtest, p paper)").style(muted(theme)),
            inner,
        );
        return;
    }
    let w = inner.width as usize;
    let (lo, hi) = app.equity.y;
    let span = (hi - lo).max(1e-12);
    // One value per column: the last point falling into each column's time slice.
    let (x0, x1) = app.equity.x;
    let mut cols = vec![None; w.max(1)];
    for p in pts {
        let c = (((p.0 - x0) / (x1 - x0).max(1e-9)) * (w.saturating_sub(1)) as f64).round() as usize;
        cols[c.min(w.saturating_sub(1))] = Some(p.1);
    }
    let mut last = pts[0].1;
    let data: Vec<u64> = cols
        .into_iter()
        .map(|v| {
            last = v.unwrap_or(last);
            (((last - lo) / span) * 1000.0) as u64 + 1
        })
        .collect();
    let up = app.equity.last >= app.equity.first;
    let color = if up { theme.c(Role::Profit) } else { theme.c(Role::Loss) };
    f.render_widget(
        Sparkline::default().data(&data).max(1001).style(Style::new().fg(color)),
        inner,
    );
}

pub fn chart(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let e = &app.equity;
    let mut datasets = vec![Dataset::default()
        .name("strategy")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(theme.c(Role::ChartEquity)))
        .data(&e.points)];
    if !e.benchmark.is_empty() {
        datasets.push(
            Dataset::default()
                .name("buy & hold")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(theme.c(Role::ChartBenchmark)))
                .data(&e.benchmark),
        );
    }
    let t = |s: f64| {
        chrono::DateTime::from_timestamp(s as i64, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let axis = Style::new().fg(theme.c(Role::ChartAxis));
    let x_labels = vec![
        Span::raw(t(e.x.0)),
        Span::raw(t((e.x.0 + e.x.1) / 2.0)),
        Span::raw(t(e.x.1)),
    ];
    let y_labels = vec![
        Span::raw(fmt::money(e.y.0)),
        Span::raw(fmt::money((e.y.0 + e.y.1) / 2.0)),
        Span::raw(fmt::money(e.y.1)),
    ];
    let chart = Chart::new(datasets)
        .block(panel(format!("{} — c closes", title(app)), true, theme))
        .x_axis(
            Axis::default()
                .title("time (UTC)")
                .style(axis)
                .bounds([e.x.0, e.x.1])
                .labels(x_labels),
        )
        .y_axis(
            Axis::default()
                .title("value")
                .style(axis)
                .bounds([e.y.0, e.y.1])
                .labels(y_labels),
        );
    f.render_widget(chart, area);
}
