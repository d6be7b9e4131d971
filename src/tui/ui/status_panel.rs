//! Live status: cash, value, pnl coloured by sign, trades, runtime, progress, positions, and the key
//! metrics once the run has finished.

use super::header::status_role;
use super::{fmt, muted, panel};
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};
use ratatui::Frame;

pub fn signed_style(v: f64, theme: &Theme) -> Style {
    let role = if v > 0.0 {
        Role::Profit
    } else if v < 0.0 {
        Role::Loss
    } else {
        Role::Text
    };
    Style::new().fg(theme.c(role))
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Connected to a server that is gone: what is shown is as of then, and says so.
    let title = match app.stale_since {
        Some(t) => format!("Status — stale since {}", t.format("%H:%M:%S")),
        None => "Status".to_string(),
    };
    let block = panel(title, false, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let s = &app.view.status;
    let label = |t: &'static str| Span::styled(t, muted(theme));
    let num = |v: Option<f64>| v.map(fmt::money).unwrap_or_else(|| "-".into());
    let narrow = inner.width < 64;
    let mut lines = Vec::new();
    let status = Span::styled(
        s.status.as_str().to_uppercase(),
        Style::new()
            .fg(theme.c(status_role(s.status)))
            .add_modifier(Modifier::BOLD),
    );
    lines.push(Line::from(vec![
        status,
        Span::raw(format!("  {}", s.mode.map(|m| m.as_str()).unwrap_or("-"))),
        label("  runtime "),
        Span::raw(runtime(app).map(fmt::duration).unwrap_or_else(|| "-".into())),
        // Fills, not round trips: the Win figure below counts round trips and says so.
        label("  fills "),
        Span::raw(s.trade_count.to_string()),
    ]));
    let pnl_pct = match (s.pnl, s.value) {
        (Some(p), Some(v)) if v - p != 0.0 => format!(" ({})", fmt::pct(p / (v - p))),
        _ => String::new(),
    };
    let pnl = vec![
        label("PnL "),
        Span::styled(
            s.pnl
                .map(|p| format!("{}{pnl_pct}", fmt::signed_money(p)))
                .unwrap_or_else(|| "-".into()),
            signed_style(s.pnl.unwrap_or(0.0), theme).add_modifier(Modifier::BOLD),
        ),
    ];
    let mut money = vec![
        label("Cash "),
        Span::raw(num(s.cash)),
        label("  Value "),
        Span::raw(num(s.value)),
    ];
    if narrow {
        lines.push(Line::from(money));
        lines.push(Line::from(pnl));
    } else {
        money.push(Span::raw("  "));
        money.extend(pnl);
        lines.push(Line::from(money));
    }
    let positions: Vec<String> = app
        .view
        .positions
        .iter()
        .map(|p| format!("{} {} @ {}", fmt::size(p.size), p.symbol, fmt::price(p.avg_price)))
        .collect();
    lines.push(Line::from(vec![
        label("Holding "),
        Span::raw(if positions.is_empty() {
            "flat".to_string()
        } else {
            positions.join(", ")
        }),
    ]));
    // A paper or live run between bars still shows it is alive: the last candle and how long ago it came.
    use crate::run::config::Mode;
    if s.status.is_active() && matches!(s.mode, Some(Mode::Paper | Mode::Live)) {
        let ago = app
            .last_ticker_at
            .map(|t| format!(" · {}s ago", (app.now - t).num_seconds().max(0)))
            .unwrap_or_default();
        let last: Vec<String> = app
            .tickers
            .values()
            .take(3)
            .map(|t| {
                let at = chrono::DateTime::from_timestamp_millis(t.timestamp)
                    .map(|d| d.format("%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                format!("{} {} (bar {at})", t.symbol, fmt::price(t.close))
            })
            .collect();
        let next = s
            .next_bar_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                let secs = (t.with_timezone(&chrono::Utc) - app.now).num_seconds();
                if secs > 0 {
                    format!(" · next in {}", fmt::countdown(secs))
                } else {
                    " · next due now".to_string()
                }
            })
            .unwrap_or_default();
        let mut spans = vec![
            label("Last "),
            Span::raw(if last.is_empty() {
                format!("waiting for the first candle{next}")
            } else {
                format!("{}{ago}{next}", last.join(", "))
            }),
        ];
        if let (Some(need), Some(seen)) = (s.warmup_bars, s.bars_seen) {
            if seen < need {
                spans.push(Span::styled(
                    format!(" · warm-up {seen} of {need} bars"),
                    Style::new().fg(theme.c(Role::Warning)),
                ));
            }
        }
        lines.push(Line::from(spans));
    }
    if s.trading_paused {
        let why = s.pause_reason.clone().unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                "PAUSED ",
                Style::new().fg(theme.c(Role::Warning)).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "{why} ({} resumes)",
                    app.keys.keys.get("resume").copied().unwrap_or('u')
                ),
                Style::new().fg(theme.c(Role::Warning)),
            ),
        ]));
    }
    if let Some(code) = &s.stop_reason {
        lines.push(Line::from(vec![
            label("Stopped by "),
            Span::styled(code.clone(), Style::new().fg(theme.c(Role::Warning))),
        ]));
    }
    if let Some(r) = app.view.risk_events.last() {
        lines.push(Line::from(vec![
            label("Risk "),
            Span::styled(r.message.clone(), Style::new().fg(theme.c(Role::Warning))),
        ]));
    }
    if let Some(e) = &s.error {
        lines.push(Line::from(vec![
            label("Error "),
            Span::styled(e.clone(), Style::new().fg(theme.c(Role::Error))),
        ]));
    }
    if let Some(m) = &app.view.performance_metrics {
        let first = vec![
            label("Return "),
            Span::styled(fmt::pct(m.total_return), signed_style(m.total_return, theme)),
            label("  Max DD "),
            Span::styled(fmt::pct(-m.max_drawdown), signed_style(-m.max_drawdown, theme)),
        ];
        let second = vec![
            label("Sharpe "),
            Span::raw(m.sharpe_ratio.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())),
            label("  Win "),
            Span::raw(
                m.win_rate
                    .map(|w| format!("{:.1}% of {} trips", w * 100.0, m.total_trades))
                    .unwrap_or_else(|| "-".into()),
            ),
            label("  B&H "),
            Span::raw(m.buy_and_hold_return.map(fmt::pct).unwrap_or_else(|| "-".into())),
        ];
        if narrow {
            lines.push(Line::from(first));
            lines.push(Line::from(second));
        } else {
            let mut all = first;
            all.push(Span::raw("  "));
            all.extend(second);
            lines.push(Line::from(all));
        }
    }
    // An optimize run (started here, over the API or with the CLI's peer): its sweep and best so far.
    if let Some(o) = &s.optimize {
        let mut spans = vec![
            label("Sweep "),
            Span::raw(format!("{}/{} combinations", o.completed, o.combinations)),
        ];
        if let Some(b) = &o.best {
            let params: Vec<String> = b
                .params
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), String::from)))
                .collect();
            let score = b.score.map_or_else(|| "-".into(), |x| format!("{x:.3}"));
            spans.push(Span::raw(format!(" · best {} (score {score})", params.join(" "))));
        }
        lines.push(Line::from(spans));
    }
    let gauge_h = u16::from(s.progress.is_some() && s.status.is_active());
    let [text, gauge] = Layout::vertical([Constraint::Min(1), Constraint::Length(gauge_h)]).areas(inner);
    // Long lines (an error with its hint) wrap instead of stopping at the panel edge.
    let mut para = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
    if app.stale_since.is_some() {
        para = para.style(muted(theme).add_modifier(Modifier::DIM));
    }
    f.render_widget(para, text);
    if gauge_h > 0 {
        let p = s.progress.unwrap_or(0.0).clamp(0.0, 1.0);
        f.render_widget(
            Gauge::default()
                .ratio(p)
                .label(if s.optimize.is_some() {
                    format!("swept {:.0}%", p * 100.0)
                } else {
                    format!("replayed {:.0}%", p * 100.0)
                })
                .gauge_style(Style::new().fg(theme.c(Role::Accent)).bg(theme.c(Role::Surface))),
            gauge,
        );
    }
}

/// How long the run on screen has been going: counted on from its start time each second while it is
/// active (the server's figure only changes with its snapshots), the server's own figure once it ended.
pub fn runtime(app: &App) -> Option<f64> {
    let s = &app.view.status;
    if !s.status.is_active() {
        return s.runtime_seconds;
    }
    let started = s
        .start_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())?;
    let live = (app.now - started.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0;
    Some(live.max(s.runtime_seconds.unwrap_or(0.0)))
}
