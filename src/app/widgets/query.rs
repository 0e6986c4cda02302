//! A live query block's answer, as lines the step pane puts right under
//! the block: one row per series (labels trimmed to those that differ,
//! values in the unit the metric's name says, a sparkline of the window),
//! a line chart when there is room, or the newest log lines with the
//! count. Failures, missing values and slow answers say so in place.
//!
//! The chart is ratatui's `Chart` drawn into an off-screen buffer and
//! turned into lines, so it scrolls with the step like the text around it.

use crate::app::evidence::QueryView;
use crate::app::widgets::kit::s;
use crate::status::parse::promql::{self, Series};
use crate::status::query::Found;
use crate::ui::theme::Theme;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

/// At most this many series get a row.
pub const ROWS: usize = 8;
/// At most this many series are drawn in the chart.
pub const CHART_SERIES: usize = 6;
/// The chart's height in rows.
pub const CHART_HEIGHT: u16 = 10;

/// How much room the pane has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// Rows with sparklines only (80×24 and the like).
    Compact,
    /// Rows and a chart.
    Full,
}

/// The lines shown under a query block (none for a block no source
/// answers: it stays plain text).
pub fn lines(
    v: &QueryView,
    width: u16,
    room: Room,
    now: Timestamp,
    tz: &TimeZone,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let muted = theme.style("ui.muted");
    if let Some(why) = &v.blocked {
        out.push(Line::styled(
            format!("  ⚠ {}", s(why)),
            theme.style("status.degraded"),
        ));
        return out;
    }
    let Some(source) = &v.source else {
        return out;
    };
    let window = crate::util::duration::format(v.window);
    let hhmmss = |t: Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%H:%M:%S")
            .to_string()
    };
    if let Some(e) = &v.error {
        out.push(Line::styled(
            format!("  ✖ {}: {}", s(source), s(e)),
            theme.style("status.down"),
        ));
        if v.answer.is_some() {
            out.push(Line::styled(
                "    (below: the last answer that came)".to_owned(),
                muted,
            ));
        }
    }
    let Some(answer) = &v.answer else {
        if v.error.is_none() {
            out.push(Line::styled(
                format!("  ⋯ asking {} ({window})…", s(source)),
                muted,
            ));
        }
        return out;
    };
    let age = v
        .answered_at
        .map(|t| format!("as of {}", hhmmss(t)))
        .unwrap_or_default();
    let stale = v
        .answered_at
        .is_some_and(|t| (now - t).as_secs() > (v.every.as_secs() as i64) * 3 + 5);
    let head_style = if stale {
        theme.style("status.degraded")
    } else {
        muted
    };
    match &answer.found {
        Found::Numbers(r) => {
            out.push(Line::styled(
                format!(
                    "  ◆ {} · {} series · {window} · {age}{}",
                    s(source),
                    r.series.len(),
                    if stale { " (stale)" } else { "" }
                ),
                head_style,
            ));
            for w in r.warnings.iter().take(2) {
                out.push(Line::styled(
                    format!("    ⚠ {w}"),
                    theme.style("status.degraded"),
                ));
            }
            if r.series.is_empty() {
                out.push(Line::styled(
                    format!("    no data: the query matched nothing in the last {window}"),
                    muted,
                ));
                return out;
            }
            let unit = v.expr.as_deref().and_then(promql::metric_of).unwrap_or("");
            rows(&mut out, &r.series, answer.end, unit, width, theme);
            if room == Room::Full {
                out.extend(chart(
                    &r.series,
                    answer.start,
                    answer.end,
                    width,
                    unit,
                    tz,
                    theme,
                ));
            }
        }
        Found::Lines { lines, count } => {
            let n = count.map_or_else(|| format!("≥ {}", lines.len()), |c| c.to_string());
            out.push(Line::styled(
                format!(
                    "  ◆ {} · {n} line{} in {window} · {age}{}",
                    s(source),
                    if *count == Some(1) { "" } else { "s" },
                    if stale { " (stale)" } else { "" }
                ),
                head_style,
            ));
            let shown = if room == Room::Full { 8 } else { 3 };
            for l in lines.iter().take(shown) {
                let text = format!("    {} {}", hhmmss(l.at), l.line);
                out.push(Line::styled(
                    cut(&text, usize::from(width)),
                    theme.style("output"),
                ));
            }
            if lines.is_empty() {
                out.push(Line::styled(
                    format!("    no lines matched in the last {window}"),
                    muted,
                ));
            }
        }
    }
    out
}

/// One row per series: its distinguishing labels, the newest value, a
/// sparkline over the window.
fn rows(
    out: &mut Vec<Line<'static>>,
    series: &[Series],
    end: Timestamp,
    unit: &str,
    width: u16,
    theme: &Theme,
) {
    let keys = promql::distinct_labels(series);
    let name = |sr: &Series| promql::series_label(&sr.labels, &keys, " ");
    let w = usize::from(width);
    let spark_w = if w >= 70 { 24 } else { 12 };
    let label_w = w.saturating_sub(4 + 12 + 1 + spark_w).clamp(8, 48);
    for (i, sr) in series.iter().take(ROWS).enumerate() {
        let metric = sr.labels.get("__name__").map_or(unit, String::as_str);
        let value = match sr.samples.last() {
            // The newest sample is at the window's end; an older one means
            // the series stopped.
            Some((t, v)) if (end - *t).as_secs() <= 300 => promql::humanise(metric, *v),
            Some(_) => "gone".to_owned(),
            None => "—".to_owned(),
        };
        let label = cut(&name(sr), label_w);
        out.push(Line::from(vec![
            Span::styled(format!("    {label:<label_w$}"), theme.style("ui")),
            Span::styled(format!(" {value:>11} "), theme.style("md.heading")),
            Span::styled(
                sparkline(&sr.samples, spark_w),
                theme.style(&format!("chart.{}", i % CHART_SERIES + 1)),
            ),
        ]));
    }
    if series.len() > ROWS {
        out.push(Line::styled(
            format!("    … and {} more series", series.len() - ROWS),
            theme.style("ui.muted"),
        ));
    }
}

/// Unicode blocks, the newest samples on the right.
pub fn sparkline(samples: &[(Timestamp, f64)], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if width == 0 || samples.is_empty() {
        return String::new();
    }
    // Average into at most `width` buckets.
    let per = samples.len().div_ceil(width);
    let buckets: Vec<Option<f64>> = samples
        .chunks(per)
        .map(|c| {
            let finite: Vec<f64> = c
                .iter()
                .map(|(_, v)| *v)
                .filter(|v| v.is_finite())
                .collect();
            (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
        })
        .collect();
    let (lo, hi) = buckets
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    buckets
        .iter()
        .map(|b| match b {
            None => ' ',
            Some(_) if hi - lo <= f64::EPSILON * hi.abs().max(1.0) => BARS[3],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

/// A braille line chart of the first series, as lines.
fn chart(
    series: &[Series],
    start: Timestamp,
    end: Timestamp,
    width: u16,
    unit: &str,
    tz: &TimeZone,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let w = width.saturating_sub(4);
    if w < 30 {
        return Vec::new();
    }
    let t0 = start.as_second() as f64;
    let data: Vec<Vec<(f64, f64)>> = series
        .iter()
        .take(CHART_SERIES)
        .map(|s| {
            s.samples
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(t, v)| (t.as_second() as f64 - t0, *v))
                .collect()
        })
        .collect();
    let (lo, hi) = data
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    if !lo.is_finite() {
        return Vec::new();
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 0.05).max(1e-9);
    let (lo, hi) = (
        if lo >= 0.0 {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    );
    let span = (end.as_second() - start.as_second()).max(1) as f64;
    let hhmm = |t: Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%H:%M")
            .to_string()
    };
    let mid = start
        .checked_add(jiff::SignedDuration::from_secs((span / 2.0) as i64))
        .unwrap_or(start);
    let datasets: Vec<Dataset> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Dataset::default()
                .marker(symbols::Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.style(&format!("chart.{}", i + 1)))
                .data(d)
        })
        .collect();
    let muted = theme.style("ui.muted");
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([0.0, span]).style(muted).labels([
            hhmm(start),
            hhmm(mid),
            hhmm(end),
        ]))
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .style(muted)
                .labels([promql::humanise(unit, lo), promql::humanise(unit, hi)]),
        );
    let area = Rect::new(0, 0, w, CHART_HEIGHT);
    let mut buf = Buffer::empty(area);
    chart.render(area, &mut buf);
    to_lines(&buf, "    ")
}

/// A buffer's rows as lines (runs of one style are one span).
fn to_lines(buf: &Buffer, indent: &'static str) -> Vec<Line<'static>> {
    let area = buf.area;
    (area.y..area.y + area.height)
        .map(|y| {
            let mut spans = vec![Span::raw(indent)];
            let mut run = String::new();
            let mut style = Style::default();
            for x in area.x..area.x + area.width {
                let cell = &buf[(x, y)];
                if cell.style() != style && !run.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut run), style));
                }
                style = cell.style();
                run.push_str(cell.symbol());
            }
            let run = run.trim_end().to_owned();
            if !run.is_empty() {
                spans.push(Span::styled(run, style));
            }
            Line::from(spans)
        })
        .collect()
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_window() {
        let t = |s| Timestamp::from_second(s).unwrap();
        let up: Vec<_> = (0..8).map(|i| (t(i), i as f64)).collect();
        assert_eq!(sparkline(&up, 8), "▁▂▃▄▅▆▇█");
        // More samples than room: averaged into buckets.
        let many: Vec<_> = (0..120).map(|i| (t(i), i as f64)).collect();
        assert_eq!(sparkline(&many, 12).chars().count(), 12);
        // Flat, NaN gaps, nothing.
        assert_eq!(sparkline(&[(t(0), 5.0), (t(1), 5.0)], 4), "▄▄");
        assert_eq!(
            sparkline(&[(t(0), 1.0), (t(1), f64::NAN), (t(2), 2.0)], 3),
            "▁ █"
        );
        assert_eq!(sparkline(&[], 4), "");
    }
}
