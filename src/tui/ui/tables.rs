//! The trade log and the order stream. Both are virtualised: only the rows on screen are built, so
//! 100,000 fills cost what twenty do.

use super::status_panel::signed_style;
use super::{fmt, focused, muted, panel};
use crate::tui::app::{App, Focus};
use crate::tui::filter::FilterTarget;
use crate::tui::theme::{Role, Theme};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// ` /query` for a list's title while it is filtered or the filter is being typed.
fn filter_tag(app: &App, target: FilterTarget) -> String {
    let q = app.filters.get(target);
    let typing = app.filters.editing == Some(target);
    if q.is_empty() && !typing {
        String::new()
    } else {
        format!(" /{q}{}", if typing { "▏" } else { "" })
    }
}

pub fn trades(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let hits = app.trade_hits();
    let n = hits.as_ref().map_or(app.trades.len(), Vec::len);
    let tag = filter_tag(app, FilterTarget::Trades);
    let title = if n == 0 {
        format!("Trades{tag}")
    } else {
        format!("Trades {}/{n}{tag}", (app.trade_scroll + 1).min(n))
    };
    let block = panel(&title, focused(app, Focus::Trades), theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if n == 0 {
        let text = if app.trades.is_empty() {
            "no fills yet".to_string()
        } else {
            format!("no fill matches /{} (/ then Esc clears)", app.filters.trades)
        };
        f.render_widget(Paragraph::new(text).style(muted(theme)), inner);
        return;
    }
    let wide = inner.width >= 90;
    let compact = inner.width < 60;
    let (mut head, mut widths) = if compact {
        (
            vec!["time", "side", "size", "price"],
            vec![
                Constraint::Length(11),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(10),
            ],
        )
    } else {
        (
            vec!["time", "symbol", "side", "size", "price"],
            vec![
                Constraint::Length(16),
                Constraint::Length(10),
                Constraint::Length(4),
                Constraint::Length(11),
                Constraint::Length(12),
            ],
        )
    };
    if wide {
        head.push("value");
        widths.push(Constraint::Length(11));
    }
    head.push("pnl");
    widths.push(Constraint::Length(11));
    if wide {
        head.push("fee");
        widths.push(Constraint::Length(16));
    }
    let rows_fit = inner.height.saturating_sub(1) as usize;
    let start = app.trade_scroll.min(n - 1);
    let rows: Vec<Row> = (start..n.min(start + rows_fit))
        .filter_map(|k| app.trades.get(hits.as_ref().map_or(n - 1 - k, |h| h[k])))
        .map(|t| {
            let side = Style::new().fg(theme.c(if t.side == "buy" { Role::Info } else { Role::Warning }));
            let time = fmt::short_time(&t.timestamp);
            let mut cells = if compact {
                vec![
                    Cell::from(time.get(5..).unwrap_or(&time).to_string()),
                    Cell::from(Span::styled(t.side.clone(), side)),
                    Cell::from(format!("{:.4}", t.size)),
                    Cell::from(fmt::price(t.price)),
                ]
            } else {
                vec![
                    Cell::from(time),
                    Cell::from(t.symbol.clone()),
                    Cell::from(Span::styled(t.side.clone(), side)),
                    Cell::from(fmt::size(t.size)),
                    Cell::from(fmt::price(t.price)),
                ]
            };
            if wide {
                cells.push(Cell::from(fmt::money(t.value)));
            }
            cells.push(match t.pnl {
                Some(p) => Cell::from(Span::styled(fmt::signed_money(p), signed_style(p, theme))),
                None => Cell::from(Span::styled("-", muted(theme))),
            });
            if wide {
                cells.push(Cell::from(fee_text(t.fee, &t.fee_asset, t.commission, &t.symbol)));
            }
            Row::new(cells)
        })
        .collect();
    let header = Row::new(head).style(Style::new().fg(theme.c(Role::Title)).add_modifier(Modifier::BOLD));
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
}

/// A fee as charged: in the quote asset as money, in any other asset with its amount and name.
fn fee_text(fee: f64, asset: &str, value: f64, symbol: &str) -> String {
    let quote = symbol.split_once('/').map_or("", |(_, q)| q);
    if asset.is_empty() || asset == quote {
        fmt::money(value)
    } else {
        let amount = format!("{fee:.8}");
        format!("{} {asset}", amount.trim_end_matches('0').trim_end_matches('.'))
    }
}

pub fn orders(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let hits = app.order_hits();
    let title = format!("Orders{}", filter_tag(app, FilterTarget::Orders));
    let block = panel(title, focused(app, Focus::Orders), theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.orders.is_empty() || hits.as_ref().is_some_and(Vec::is_empty) {
        let text = if app.orders.is_empty() {
            "no order events yet".to_string()
        } else {
            format!("no order matches /{}", app.filters.orders)
        };
        f.render_widget(Paragraph::new(text).style(muted(theme)), inner);
        return;
    }
    let rows = inner.height as usize;
    let n = hits.as_ref().map_or(app.orders.len(), Vec::len);
    let lines: Vec<Line> = (app.order_scroll..n)
        .filter_map(|k| app.orders.get(hits.as_ref().map_or(k, |h| h[k])))
        .take(rows)
        .map(|o| {
            let role = match o.status.as_str() {
                "filled" => Role::Profit,
                "rejected" => Role::Error,
                "cancelled" => Role::Muted,
                _ => Role::Text,
            };
            let time = chrono::DateTime::from_timestamp_millis(o.timestamp)
                .map(|d| d.format("%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let price = o.price.map(fmt::price).unwrap_or_else(|| "mkt".into());
            let mut spans = vec![
                Span::styled(format!("{time} #{:<4} ", o.order_id), muted(theme)),
                Span::raw(format!("{} {} {} @ {} ", o.side, fmt::size(o.amount), o.symbol, price)),
                Span::styled(
                    o.status.clone(),
                    Style::new().fg(theme.c(role)).add_modifier(Modifier::BOLD),
                ),
            ];
            if let (true, Some(asset)) = (o.fee > 0.0, &o.fee_asset) {
                // Orders carry the fee's quote value; name the asset when it was charged in another.
                let quote = o.symbol.split_once('/').map_or("", |(_, q)| q);
                let paid_in = if asset == quote {
                    String::new()
                } else {
                    format!(" in {asset}")
                };
                spans.push(Span::styled(
                    format!(" fee {}{paid_in}", fmt::money(o.fee)),
                    muted(theme),
                ));
            }
            if let Some(r) = &o.reason {
                spans.push(Span::styled(format!(" ({r})"), muted(theme)));
            }
            fit(spans, inner.width as usize)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// The run's log, newest at the bottom, long lines wrapped.
pub fn logs(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = panel("Log — L or Esc closes", true, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.logs.is_empty() {
        f.render_widget(
            Paragraph::new("nothing logged for this run yet").style(muted(theme)),
            inner,
        );
        return;
    }
    let lines: Vec<Line> = app
        .logs
        .iter()
        .rev()
        .take(inner.height as usize)
        .rev()
        .map(|l| {
            let role = match l.level.as_str() {
                "error" => Role::Error,
                "warning" => Role::Warning,
                _ => Role::Text,
            };
            let time = l.timestamp.get(11..19).unwrap_or(&l.timestamp).to_string();
            Line::from(vec![
                Span::styled(format!("{time} "), muted(theme)),
                Span::styled(format!("{:<7} ", l.level), Style::new().fg(theme.c(role))),
                Span::raw(l.message.clone()),
            ])
        })
        .collect();
    // Wrapped lines can overflow the bottom: show the newest, scrolled to the end.
    let text_w = inner.width.max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(text_w).max(1)).sum();
    let scroll = rows.saturating_sub(inner.height as usize) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// A line cut to `width` columns ending in an ellipsis, so a cut shows as one.
pub fn fit(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    if spans.iter().map(Span::width).sum::<usize>() <= width {
        return Line::from(spans);
    }
    let mut room = width.saturating_sub(1);
    let mut out = Vec::new();
    for s in spans {
        if room == 0 {
            break;
        }
        let w = s.width();
        if w <= room {
            room -= w;
            out.push(s);
        } else {
            let text: String = s.content.chars().take(room).collect();
            room = 0;
            out.push(Span::styled(text, s.style));
        }
    }
    out.push(Span::raw("…"));
    Line::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_end_in_an_ellipsis_and_short_ones_are_kept() {
        let spans = || {
            vec![
                Span::raw("01-04 21:13 #7 "),
                Span::raw("buy 0.25 BTC/USDT @ 40000.00 filled"),
            ]
        };
        let text = |l: &Line| l.spans.iter().map(|s| s.content.to_string()).collect::<String>();
        let cut = fit(spans(), 20);
        assert_eq!(cut.width(), 20);
        assert!(text(&cut).ends_with('…'), "{}", text(&cut));
        let whole = fit(spans(), 200);
        assert_eq!(text(&whole), "01-04 21:13 #7 buy 0.25 BTC/USDT @ 40000.00 filled");
    }
}
