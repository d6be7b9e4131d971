//! Things drawn over the dashboard: help, confirmations, and the too-small screen.

use super::{muted, panel};
use crate::tui::app::{App, Confirm, History};
use crate::tui::filter::FilterTarget;
use crate::tui::palette::Palette;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::layout::centered;

pub fn too_small(f: &mut Frame, area: Rect, theme: &Theme) {
    let text = vec![
        Line::from(Span::styled(
            "Terminal too small",
            Style::new().fg(theme.c(Role::Warning)).add_modifier(Modifier::BOLD),
        )),
        Line::from(format!(
            "{}x{} — the dashboard needs at least 80x24",
            area.width, area.height
        )),
        Line::from(Span::styled("resize the window, or q to quit", muted(theme))),
    ];
    let r = centered(area, area.width, 3);
    f.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// The strategy list: every strategy, where it comes from, and scripts that do not load with why.
pub fn strategies(
    f: &mut Frame,
    area: Rect,
    entries: &[crate::tui::action::StrategyEntry],
    selected: usize,
    theme: &Theme,
) {
    let r = crate::tui::layout::list_overlay(area);
    f.render_widget(Clear, r);
    let block = panel(
        "Strategies — ↑↓ select, Enter or e edit the script, Esc close",
        true,
        theme,
    );
    let inner = block.inner(r);
    f.render_widget(block, r);
    let rows = inner.height as usize;
    let first = selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, e)| {
            let status = match &e.error {
                None => Span::styled("ok   ", Style::new().fg(theme.c(Role::Profit))),
                Some(_) => Span::styled(
                    "error",
                    Style::new().fg(theme.c(Role::Error)).add_modifier(Modifier::BOLD),
                ),
            };
            let base = super::row_style(i == selected, theme);
            let mut spans = vec![Span::styled(format!("{:<24} {:<22} ", e.name, e.from), base), status];
            if let Some(err) = &e.error {
                spans.push(Span::styled(format!("  {err}"), Style::new().fg(theme.c(Role::Error))));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );
}

pub fn history(f: &mut Frame, area: Rect, h: &History, app: &App, theme: &Theme) {
    let r = crate::tui::layout::list_overlay(area);
    f.render_widget(Clear, r);
    let query = &app.filters.history;
    let typing = app.filters.editing == Some(FilterTarget::History);
    let title = if query.is_empty() && !typing {
        "Run history — ↑↓ select, Enter open, / filter, Esc close".to_string()
    } else {
        format!("Run history — filter /{query}{}", if typing { "▏" } else { "" })
    };
    let block = panel(title, true, theme);
    let inner = block.inner(r);
    f.render_widget(block, r);
    if h.loading {
        f.render_widget(Paragraph::new("loading...").style(muted(theme)), inner);
        return;
    }
    if h.runs.is_empty() {
        f.render_widget(Paragraph::new("no stored runs yet").style(muted(theme)), inner);
        return;
    }
    let hits = app.history_hits();
    let rows = inner.height.saturating_sub(1) as usize;
    let first = crate::tui::layout::first_row(h.selected, rows);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<25} {:<8} {:<9} {:<16} {:<12} {:<3} {:<16} {:>6} {:>8}",
            "run", "mode", "status", "strategy", "symbols", "tf", "started", "fills", "return"
        ),
        Style::new().fg(theme.c(Role::Title)).add_modifier(Modifier::BOLD),
    ))];
    if hits.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("no run matches /{query} (Esc clears the filter)"),
            muted(theme),
        )));
    }
    for (pos, run) in hits
        .iter()
        .filter_map(|&i| h.runs.get(i))
        .enumerate()
        .skip(first)
        .take(rows)
    {
        let ret = match (run.final_value, run.initial_cash) {
            (Some(v), Some(c)) if c > 0.0 => format!("{:+.2}%", (v / c - 1.0) * 100.0),
            _ => "-".into(),
        };
        let mut symbols = run.symbols.join(",");
        symbols.truncate(12);
        let mut strategy = run.strategy.clone();
        strategy.truncate(16);
        let text = format!(
            "{:<25} {:<8} {:<9} {:<16} {:<12} {:<3} {:<16} {:>6} {:>8}",
            run.run_id,
            run.mode,
            run.status,
            strategy,
            symbols,
            run.timeframe,
            run.start_time.get(..16).unwrap_or(&run.start_time).replace('T', " "),
            run.trade_count,
            ret
        );
        let style = super::row_style(pos == h.selected, theme);
        lines.push(Line::from(Span::styled(text, style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The command palette: the query, then the matching actions with their keys.
pub fn palette(f: &mut Frame, area: Rect, p: &Palette, app: &App, theme: &Theme) {
    let r = crate::tui::layout::palette(area);
    f.render_widget(Clear, r);
    let block = panel(
        "Commands — type to search, ↑↓ select, Enter run, Esc close",
        true,
        theme,
    );
    let inner = block.inner(r);
    f.render_widget(block, r);
    let accent = Style::new().fg(theme.c(Role::Accent)).add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(": ", accent),
            Span::raw(p.query.clone()),
            Span::raw("▏"),
        ]),
        Line::from(""),
    ];
    let list = crate::tui::mouse::palette_rows(area);
    let matches = app.palette_matches();
    if matches.is_empty() {
        lines.push(Line::from(Span::styled("no command matches", muted(theme))));
    }
    let first = crate::tui::layout::first_row(p.selected, list.height as usize);
    let width = inner.width as usize;
    for (i, e) in matches.iter().enumerate().skip(first).take(list.height as usize) {
        let selected = i == p.selected;
        let base = super::row_style(selected, theme);
        let spans = vec![
            Span::styled(format!("{:<15}", e.name), base),
            Span::styled(format!("{:>14}  ", e.key), if selected { base } else { accent }),
            Span::styled(e.what.clone(), if selected { base } else { muted(theme) }),
        ];
        lines.push(super::tables::fit(spans, width));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn help(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = |c: &str| app.keys.key(c).to_string();
    let mut rows: Vec<(String, &str)> = vec![
        ("Tab / Shift-Tab".into(), "move focus between form, trades and orders"),
        ("↑ ↓ / j k".into(), "move in the form; scroll trades and orders"),
        (
            "← → / h l".into(),
            "change a choice (strategy, timeframe, exchange, mode)",
        ),
        ("PgUp / PgDn".into(), "page through trades and orders"),
        (
            "g G / Home End".into(),
            "to the top or bottom of the form, a list or the history",
        ),
        (
            "Enter".into(),
            "edit a text field (Enter again to finish); on a choice, next option",
        ),
        (
            "Esc".into(),
            "finish editing, close this help or the chart, dismiss a message",
        ),
    ];
    rows.push((
        "mouse".into(),
        "click a panel, a field or a history row; the wheel scrolls (off: --no-mouse)",
    ));
    for (cmd, what) in crate::tui::keys::DESCRIPTIONS {
        let key = if *cmd == "quit" {
            format!("{} / Ctrl-C", k(cmd))
        } else {
            k(cmd)
        };
        rows.push((key, what));
    }
    // As wide as the longest line needs (never wider than the terminal), lines wrapped below that,
    // and scrolled with the arrows when the terminal is shorter than the help.
    const KEY_W: usize = 18;
    let title = format!("Keys — theme {} — ? or Esc closes, ↑↓ scroll", app.theme_name());
    let longest = rows.iter().map(|(_, b)| KEY_W + b.chars().count()).max().unwrap_or(0);
    let want_w = (longest.max(title.chars().count() + 2) + 2) as u16;
    let w = want_w.min(area.width.saturating_sub(2)).max(20);
    let text_w = w.saturating_sub(2).max(1) as usize;
    let height: usize = rows
        .iter()
        .map(|(_, b)| (KEY_W + b.chars().count()).div_ceil(text_w).max(1))
        .sum();
    let h = (height as u16 + 2).min(area.height.saturating_sub(2)).max(3);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    let block = panel(title, true, theme);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let key = Style::new().fg(theme.c(Role::Accent)).add_modifier(Modifier::BOLD);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(a, b)| Line::from(vec![Span::styled(format!("{a:<KEY_W$}"), key), Span::raw(b)]))
        .collect();
    let max_scroll = (height as u16).saturating_sub(inner.height);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.help_scroll.min(max_scroll), 0)),
        inner,
    );
}

pub fn confirm(f: &mut Frame, area: Rect, c: Confirm, app: &App, theme: &Theme) {
    let mode = app.view.status.mode.map(|m| m.as_str()).unwrap_or("the");
    if c == Confirm::RealMoney {
        let r = centered(area, 70, 6);
        f.render_widget(Clear, r);
        let block = panel("Real money", true, theme);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let lines = vec![
            Line::from(Span::styled(
                "Live trading with real money on the exchange.",
                Style::new().fg(theme.c(Role::Error)).add_modifier(Modifier::BOLD),
            )),
            Line::from("Type LIVE and press Enter to confirm; Esc cancels."),
            Line::from(vec![
                Span::styled("> ", Style::new().fg(theme.c(Role::Accent))),
                Span::raw(app.typed.clone()),
            ]),
        ];
        f.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
        return;
    }
    let question = match c {
        Confirm::Quit => format!("A {mode} run is active. Stop it and quit?"),
        Confirm::StopLive => "Stop the LIVE run? Working orders are cancelled on the exchange.".to_string(),
        Confirm::RealMoney => String::new(),
    };
    let r = centered(area, 64, 5);
    f.render_widget(Clear, r);
    let block = panel("Confirm", true, theme);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let lines = vec![
        Line::from(Span::styled(
            question,
            Style::new().fg(theme.c(Role::Warning)).add_modifier(Modifier::BOLD),
        )),
        Line::from(vec![
            Span::styled("y", Style::new().fg(theme.c(Role::Accent))),
            Span::raw(" yes   "),
            Span::styled("n / Esc", Style::new().fg(theme.c(Role::Accent))),
            Span::raw(" no"),
        ]),
    ];
    f.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
}
