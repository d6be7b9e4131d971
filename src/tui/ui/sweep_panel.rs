//! A finished optimize run in place of the trade and order lists: for two swept parameters a heatmap
//! of the objective (best cell in brackets, the selected one reversed: readable without colour), for
//! one a line of the objective over the parameter; then the selected combination's numbers and the
//! ranked table. Enter runs the selected combination as a plain backtest.

use super::{fmt, focused, muted, panel};
use crate::run::sweep::{Combination, SweepReport};
use crate::tui::app::{App, Focus};
use crate::tui::theme::{Role, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;
use serde_json::Value;

fn shown(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

pub fn render(f: &mut Frame, area: Rect, app: &App, report: &SweepReport, theme: &Theme) {
    let title = format!(
        "Sweep: {} over {} combinations ({} run, {} skipped){} — ↑↓ select, Enter runs it",
        report.objective.as_str(),
        report.combinations,
        report.completed,
        report.skipped,
        if report.stopped { ", stopped" } else { "" }
    );
    let block = panel(title, focused(app, Focus::Trades) || focused(app, Focus::Orders), theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if report.results.is_empty() {
        f.render_widget(Paragraph::new("no combination finished").style(muted(theme)), inner);
        return;
    }
    let sel = app.sweep_sel.min(report.results.len() - 1);
    let picture_h = match report.axes.len() {
        2 => (report.axes[0].values.len() as u16 + 1).min(inner.height / 2),
        1 => (inner.height / 2).max(4),
        _ => 0,
    };
    let [picture, detail, table] =
        Layout::vertical([Constraint::Length(picture_h), Constraint::Length(1), Constraint::Min(2)]).areas(inner);
    match report.axes.len() {
        2 => heatmap(f, picture, report, sel, theme),
        1 => line(f, picture, report, theme),
        _ => {}
    }
    let c = &report.results[sel];
    f.render_widget(
        Paragraph::new(describe(sel, c, report)).style(Style::new().fg(theme.c(Role::Accent))),
        detail,
    );
    ranked(f, table, report, sel, theme);
}

/// `#3 fast_period=10 slow_period=30 · sharpe -2.502 · return -27.61% · max dd 29.35% · 40 trips · final 7239.33`
fn describe(sel: usize, c: &Combination, r: &SweepReport) -> String {
    let params: Vec<String> = r
        .axes
        .iter()
        .map(|a| format!("{}={}", a.name, c.params.get(&a.name).map(shown).unwrap_or_default()))
        .collect();
    format!(
        "#{} {} · {} {} · return {} · max dd {:.2}% · {} trips · final {}",
        sel + 1,
        params.join(" "),
        r.objective.as_str(),
        score(c.score),
        fmt::pct(c.metrics.total_return),
        c.metrics.max_drawdown * 100.0,
        c.trades,
        fmt::money(c.final_value)
    )
}

fn find<'a>(r: &'a SweepReport, x: &Value, y: &Value) -> Option<(usize, &'a Combination)> {
    let (a, b) = (&r.axes[0].name, &r.axes[1].name);
    r.results
        .iter()
        .enumerate()
        .find(|(_, c)| c.params.get(a) == Some(x) && c.params.get(b) == Some(y))
}

fn heatmap(f: &mut Frame, area: Rect, r: &SweepReport, sel: usize, theme: &Theme) {
    const W: usize = 9;
    let (rows, cols) = (&r.axes[0], &r.axes[1]);
    let scores: Vec<f64> = r.results.iter().filter_map(|c| c.score).collect();
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &s| (l.min(s), h.max(s)));
    let label_w = rows.name.len().max(6);
    let mut head = vec![Span::styled(
        format!("{:>label_w$} ", format!("{}↓", rows.name)),
        muted(theme),
    )];
    for v in &cols.values {
        head.push(Span::styled(format!("{:>W$}", shown(v)), muted(theme)));
    }
    let mut lines = vec![Line::from(head)];
    for y in &rows.values {
        let mut spans = vec![Span::styled(format!("{:>label_w$} ", shown(y)), muted(theme))];
        for x in &cols.values {
            let cell = find(r, y, x);
            let (text, mut style) = match cell {
                None => ("·".to_string(), muted(theme)),
                Some((i, c)) => {
                    let t = match c.score {
                        Some(s) if i == 0 => format!("[{s:.2}]"),
                        Some(s) => format!("{s:.2}"),
                        None => "-".into(),
                    };
                    // Upper third in the profit colour, lower third in the loss colour.
                    let role = match c.score {
                        Some(s) if hi > lo && s >= lo + (hi - lo) * 2.0 / 3.0 => Role::Profit,
                        Some(s) if hi > lo && s <= lo + (hi - lo) / 3.0 => Role::Loss,
                        _ => Role::Text,
                    };
                    (t, Style::new().fg(theme.c(role)))
                }
            };
            if cell.is_some_and(|(i, _)| i == sel) {
                style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
            }
            spans.push(Span::styled(format!("{text:>W$}"), style));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn line(f: &mut Frame, area: Rect, r: &SweepReport, theme: &Theme) {
    let axis = &r.axes[0];
    let points: Vec<(f64, f64)> = axis
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let c = r.results.iter().find(|c| c.params.get(&axis.name) == Some(v))?;
            Some((v.as_f64().unwrap_or(i as f64), c.score?))
        })
        .collect();
    if points.len() < 2 {
        return;
    }
    let (x0, x1) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.0), h.max(p.0)));
    let (y0, y1) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.1), h.max(p.1)));
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    let axis_style = Style::new().fg(theme.c(Role::ChartAxis));
    let chart = Chart::new(vec![Dataset::default()
        .name(r.objective.as_str())
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(theme.c(Role::ChartEquity)))
        .data(&points)])
    .x_axis(
        Axis::default()
            .title(axis.name.clone())
            .style(axis_style)
            .bounds([x0, x1])
            .labels(vec![Span::raw(format!("{x0}")), Span::raw(format!("{x1}"))]),
    )
    .y_axis(
        Axis::default()
            .style(axis_style)
            .bounds([y0 - pad, y1 + pad])
            .labels(vec![Span::raw(format!("{y0:.2}")), Span::raw(format!("{y1:.2}"))]),
    );
    f.render_widget(chart, area);
}

fn ranked(f: &mut Frame, area: Rect, r: &SweepReport, sel: usize, theme: &Theme) {
    let names: Vec<&str> = r.axes.iter().map(|a| a.name.as_str()).collect();
    let mut head = format!("{:>4}", "rank");
    for n in &names {
        head.push_str(&format!(" {n:>12}"));
    }
    head.push_str(&format!(
        " {:>9} {:>9} {:>7} {:>6} {:>12}",
        "score", "return", "max_dd", "trips", "final"
    ));
    let mut lines = vec![Line::from(Span::styled(
        head,
        Style::new().fg(theme.c(Role::Title)).add_modifier(Modifier::BOLD),
    ))];
    let rows = area.height.saturating_sub(1) as usize;
    let first = crate::tui::layout::first_row(sel, rows);
    for (i, c) in r.results.iter().enumerate().skip(first).take(rows) {
        let mut t = format!("{:>4}", i + 1);
        for n in &names {
            t.push_str(&format!(" {:>12}", c.params.get(*n).map(shown).unwrap_or_default()));
        }
        t.push_str(&format!(
            " {:>9} {:>9} {:>6.2}% {:>6} {:>12}",
            score(c.score),
            fmt::pct(c.metrics.total_return),
            c.metrics.max_drawdown * 100.0,
            c.trades,
            fmt::money(c.final_value)
        ));
        lines.push(Line::from(Span::styled(t, super::row_style(i == sel, theme))));
    }
    f.render_widget(Paragraph::new(lines), area);
}
