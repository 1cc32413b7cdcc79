//! `report --chart FILE.svg|FILE.png`: draws a report's [`Table`] with plotters.
//!
//! Which chart, and which columns become lines (the *series rule*):
//! - **Time series** when the first column holds dates or timestamps (`daily`, `asn-trend`,
//!   `taxonomy`, `scans`, `services`); x is that column.
//!   - *Wide* tables (every time appears once, e.g. `daily`): one line per numeric column; text
//!     columns such as `weekday` are ignored.
//!   - *Long* tables (a time appears on several rows): the key is the run of non-numeric columns
//!     after the time (`taxonomy`: taxonomy/type/identifier, `services`: service), or the second
//!     column when that run is empty (`scans`: port). One line per distinct key (values joined with
//!     ` / `), y = the first numeric column after the key. Only the [`MAX_SERIES`] keys with the
//!     largest totals are drawn.
//!   - Per-day and per-hour series get a point for every day (hour) of their range and a broken
//!     axis across long empty stretches: the rules are in [`timeline`].
//! - **Horizontal bars** otherwise (top-N reports): label = first column, value = first numeric
//!   column after it, rows in the order the report gives them (first at the top), at most
//!   [`MAX_BARS`].
//!
//! - **World map** ([`map`]) for geo tables: a bubble per row on country outlines, sized by
//!   count and coloured by severity band (the rules are in that module's docs).
//!
//! `--chart-type` ([`ChartType`]) picks the kind; `auto` draws a map for geo reports — tables
//! with `latitude` and `longitude` columns (`cities`, `attackers`) or whose rows *are* countries
//! or continents (first column `country` / `continent`) — when at least one row can be placed,
//! else lines or bars as above. (`top-ips` has a `country` column but its rows are addresses:
//! bars; `--chart-type map` draws it on the map anyway.)
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/fonts/`), so no system fonts are
//! needed. An empty table is an error ("nothing to plot"), never an empty picture.

mod glyphs;
pub mod map;
pub mod timeline;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use ipscope_store::{Table, Value};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, SegmentValue, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor;

/// DejaVu Sans (see `assets/fonts/LICENSE-DejaVu.txt`), registered as plotters' `sans-serif`.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Lines drawn at most; more make the legend unreadable.
pub const MAX_SERIES: usize = 10;
/// Bars drawn at most; the picture grows with the bar count.
pub const MAX_BARS: usize = 60;
/// Bar labels longer than this are cut (an IPv6 address is 39 characters).
const MAX_LABEL: usize = 40;
const WIDTH: u32 = 1200;

/// `--chart-type`: which chart to draw.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChartType {
    /// A world map for tables with latitude/longitude columns or a country or continent column
    /// (when a row has a location), else lines when the first column holds dates or times, else bars
    #[default]
    Auto,
    /// World map, a bubble per row (at its latitude/longitude, country or continent)
    Map,
    /// Horizontal bars
    Bars,
    /// Lines over time
    Lines,
}

/// What to draw, decided from the table alone (no I/O, unit-tested).
#[derive(Debug, PartialEq)]
pub enum Plan {
    Lines {
        x_desc: String,
        y_desc: String,
        series: Vec<Series>,
        note: Option<String>,
        /// Zeros filled in and axis breaks, for per-day / per-hour tables ([`timeline`]).
        timeline: Option<timeline::Timeline>,
    },
    Bars {
        label_desc: String,
        value_desc: String,
        bars: Vec<(String, f64)>,
        note: Option<String>,
    },
    Map(map::MapPlan),
}

#[derive(Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(NaiveDateTime, f64)>,
}

fn time_of(v: &Value) -> Option<NaiveDateTime> {
    match v {
        Value::Timestamp(us) => DateTime::from_timestamp_micros(*us).map(|t| t.naive_utc()),
        Value::Date(d) => DateTime::from_timestamp(i64::from(*d) * 86_400, 0).map(|t| t.naive_utc()),
        _ => None,
    }
}

/// A column is numeric when it has a number and no text (NULLs do not count).
fn numeric(t: &Table, c: usize) -> bool {
    let cells = || t.rows.iter().filter_map(|r| r.get(c));
    cells().any(Value::is_numeric) && cells().all(|v| v.is_numeric() || matches!(v, Value::Null))
}

fn col_name(t: &Table, c: usize) -> String {
    t.columns.get(c).cloned().unwrap_or_default()
}

/// The plan for chart type `kind` (module docs).
pub fn plan_as(t: &Table, kind: ChartType) -> Result<Plan> {
    if t.rows.is_empty() || t.columns.is_empty() {
        bail!("nothing to plot: the report returned no rows");
    }
    let is_time = t.rows.iter().filter_map(|r| r.first()).find(|v| !matches!(v, Value::Null)).and_then(time_of);
    if kind == ChartType::Auto && map::is_geo_report(t) {
        // A geo table where no row has a location (no GeoIP data yet) falls back to lines/bars.
        if let Ok(m) = map::plan(t) {
            return Ok(Plan::Map(m));
        }
    }
    match kind {
        ChartType::Auto if is_time.is_some() => lines(t),
        ChartType::Auto | ChartType::Bars => bars(t),
        ChartType::Map => map::plan(t).map(Plan::Map),
        ChartType::Lines if is_time.is_some() => lines(t),
        ChartType::Lines => bail!("--chart-type lines: the first column ({}) holds no dates or times", col_name(t, 0)),
    }
}

fn lines(t: &Table) -> Result<Plan> {
    let ncols = t.columns.len();
    let rows: Vec<_> = t.rows.iter().filter_map(|r| Some((time_of(r.first()?)?, r))).collect();
    let mut seen = std::collections::HashSet::new();
    let long = !rows.iter().all(|(x, _)| seen.insert(*x));
    let mut note = None;
    let (y_desc, mut series) = if !long {
        let cols: Vec<usize> = (1..ncols).filter(|&c| numeric(t, c)).collect();
        if cols.is_empty() {
            bail!("nothing to plot: no numeric column after {}", col_name(t, 0));
        }
        let series = cols
            .iter()
            .map(|&c| Series {
                name: col_name(t, c),
                points: rows.iter().filter_map(|(x, r)| Some((*x, r.get(c)?.as_f64()?))).collect(),
            })
            .collect::<Vec<_>>();
        let desc = cols.iter().map(|&c| col_name(t, c)).collect::<Vec<_>>().join(", ");
        (desc, series)
    } else {
        let mut keys: Vec<usize> = (1..ncols).take_while(|&c| !numeric(t, c)).collect();
        if keys.is_empty() && ncols > 2 {
            keys.push(1);
        }
        let after = keys.last().map_or(1, |k| k + 1);
        let y = (after..ncols)
            .find(|&c| numeric(t, c))
            .ok_or_else(|| anyhow!("nothing to plot: no numeric column after the key columns"))?;
        let mut series: Vec<Series> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (x, r) in &rows {
            let Some(v) = r.get(y).and_then(Value::as_f64) else { continue };
            let key = keys.iter().map(|&k| key_part(r.get(k))).collect::<Vec<_>>().join(" / ");
            let i = *index.entry(key.clone()).or_insert_with(|| {
                series.push(Series { name: key, points: Vec::new() });
                series.len() - 1
            });
            if let Some(s) = series.get_mut(i) {
                s.points.push((*x, v));
            }
        }
        let total = |s: &Series| s.points.iter().map(|p| p.1).sum::<f64>();
        if series.len() > MAX_SERIES {
            note = Some(format!("{} largest of {} series", MAX_SERIES, series.len()));
            series.sort_by(|a, b| total(b).total_cmp(&total(a)));
            series.truncate(MAX_SERIES);
        }
        let key_desc = keys.iter().map(|&k| col_name(t, k)).collect::<Vec<_>>().join(" / ");
        (format!("{} by {key_desc}", col_name(t, y)), series)
    };
    for s in &mut series {
        s.points.sort_by_key(|p| p.0);
    }
    if series.iter().all(|s| s.points.is_empty()) {
        bail!("nothing to plot: no values");
    }
    let xs: std::collections::BTreeSet<NaiveDateTime> = rows.iter().map(|(x, _)| *x).collect();
    let timeline = timeline::complete(&mut series, &xs);
    let note = match (note, timeline.as_ref().and_then(timeline::Timeline::note)) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    Ok(Plan::Lines { x_desc: col_name(t, 0), y_desc, series, note, timeline })
}

/// One key column's text; empty values show as `-` so `a /  / b` stays readable.
fn key_part(v: Option<&Value>) -> String {
    match v.map(Value::render) {
        Some(s) if !s.is_empty() => s,
        _ => "-".to_string(),
    }
}

fn bars(t: &Table) -> Result<Plan> {
    let v = (1..t.columns.len())
        .find(|&c| numeric(t, c))
        .ok_or_else(|| anyhow!("nothing to plot: no numeric column after {}", col_name(t, 0)))?;
    let mut bars: Vec<(String, f64)> = t
        .rows
        .iter()
        .filter_map(|r| {
            let label = match r.first()?.render() {
                s if s.is_empty() => "(none)".to_string(),
                s if s.chars().count() > MAX_LABEL => format!("{}…", s.chars().take(MAX_LABEL - 1).collect::<String>()),
                s => s,
            };
            Some((label, r.get(v)?.as_f64()?))
        })
        .collect();
    if bars.is_empty() {
        bail!("nothing to plot: no values in {}", col_name(t, v));
    }
    let note = (bars.len() > MAX_BARS).then(|| format!("first {MAX_BARS} of {} rows", bars.len()));
    bars.truncate(MAX_BARS);
    Ok(Plan::Bars { label_desc: col_name(t, 0), value_desc: col_name(t, v), bars, note })
}

fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(anyhow!("embedded chart font is not a valid font")) }
}

/// An image format a chart is drawn in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    /// The format a file name asks for by its extension.
    pub fn of_path(path: &Path) -> Option<ImageFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => Some(ImageFormat::Svg),
            Some("png") => Some(ImageFormat::Png),
            _ => None,
        }
    }
}

/// Draws `t` into `path` as `kind`; the file name's extension (`svg` or `png`) picks the format.
/// `log_scale` applies to the value axis of lines and bars, not to maps.
pub fn write(t: &Table, title: &str, path: &Path, log_scale: bool, kind: ChartType) -> Result<()> {
    let Some(format) = ImageFormat::of_path(path) else {
        bail!("--chart {}: use a file name ending in .svg or .png", path.display());
    };
    let bytes = render(t, title, log_scale, kind, format)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write chart {}", path.display()))
}

/// Draws `t` as `kind` into the bytes of an SVG or PNG file (`report --chart`, and the API's
/// `chart=svg|png` for the dashboard's downloads and its map).
pub fn render(t: &Table, title: &str, log_scale: bool, kind: ChartType, format: ImageFormat) -> Result<Vec<u8>> {
    // Labels are attacker text (usernames, commands): shown escaped, never as controls.
    let plan = plan_as(&crate::output::escape::display_table(t), kind)?;
    register_font()?;
    let height = match &plan {
        Plan::Lines { .. } => 650,
        Plan::Bars { bars, .. } => 140 + 26 * u32::try_from(bars.len()).unwrap_or(u32::MAX / 64).max(6),
        Plan::Map(_) => map::Layout::new(WIDTH).height,
    };
    match format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            draw(SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area(), &plan, title, log_scale)?;
            Ok(svg.into_bytes())
        }
        ImageFormat::Png => {
            let mut rgb = vec![0u8; WIDTH as usize * height as usize * 3];
            {
                let font = ab_glyph::FontRef::try_from_slice(FONT).map_err(err)?;
                let png = glyphs::Glyphs::new(BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)), font);
                draw(png.into_drawing_area(), &plan, title, log_scale)?;
            }
            let mut out = Vec::new();
            {
                let mut enc = png::Encoder::new(&mut out, WIDTH, height);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                let mut w = enc.write_header().map_err(err)?;
                w.write_image_data(&rgb).map_err(err)?;
            }
            Ok(out)
        }
    }
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("{e:?}")
}

/// Value axis bounds: from 0 (linear) or just under the smallest positive value (log).
fn bounds(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if log {
        if !lo.is_finite() {
            return (1.0, 10.0);
        }
        (lo * 0.7, (hi * 1.5).max(lo * 10.0))
    } else {
        (0.0, if hi > 0.0 { hi * 1.08 } else { 1.0 })
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, plan: &Plan, title: &str, log: bool) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    match plan {
        Plan::Map(m) => map::draw(&root, m, title)?,
        Plan::Lines { series, note, timeline, .. } => {
            let (lo, hi) = bounds(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), log);
            let xs = || series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
            let (Some(x0), Some(x1)) = (xs().min(), xs().max()) else { bail!("nothing to plot: no values") };
            let panels = timeline.as_ref().map_or_else(|| vec![(x0, x1)], |t| t.panels.clone());
            let whole_days = xs().all(|x| x.time() == chrono::NaiveTime::MIN);
            // The caption once over all panels; panels side by side, as wide as their time
            // (at least a sixth of the width each), the first with the value axis.
            let cap = caption(title, note, log);
            let size = if cap.chars().count() > 90 { 17 } else { 24 };
            let area = root.margin(14, 0, 0, 0).titled(&cap, ("sans-serif", size)).map_err(err)?;
            let (w, _) = area.dim_in_pixel();
            let weights: Vec<f64> = panels.iter().map(|&(a, b)| ((b - a).num_hours() as f64 + 24.0).max(1.0)).collect();
            let total: f64 = weights.iter().sum();
            let min_share = 1.0 / 6.0;
            let mut rest = area;
            for (i, &(p0, p1)) in panels.iter().enumerate() {
                let last = i + 1 == panels.len();
                let share = (weights[i] / total).max(min_share);
                let width = if last { w } else { (f64::from(w) * share) as u32 + if i == 0 { 80 } else { 0 } };
                let (here, next) = if last { (rest.clone(), rest.clone()) } else { rest.split_horizontally(width) };
                // About one date label per 130 pixels, so narrow panels do not overlap them.
                let labels = (here.dim_in_pixel().0 / 130).clamp(1, 8) as usize;
                let p = Panel { first: i == 0, break_before: i > 0, range: (p0, p1), labels };
                if whole_days {
                    let (d0, d1) = (p0.date(), p1.date());
                    // A single day gets a day of room either side, and only its own label.
                    let only = (d0 == d1).then_some(d0);
                    let (d0, d1) =
                        if d0 == d1 { (d0 - chrono::Days::new(1), d1 + chrono::Days::new(1)) } else { (d0, d1) };
                    let x = RangedDate::from(d0..d1);
                    let to_x: fn(NaiveDateTime) -> NaiveDate = |t| t.date();
                    let fmt = move |d: &NaiveDate| {
                        if only.is_none_or(|o| o == *d) { d.format("%Y-%m-%d").to_string() } else { String::new() }
                    };
                    let fmt = &fmt;
                    if log {
                        draw_lines(&here, plan, p, log, x, to_x, fmt, LogCoord::from((lo..hi).log_scale()))?;
                    } else {
                        draw_lines(&here, plan, p, log, x, to_x, fmt, RangedCoordf64::from(lo..hi))?;
                    }
                } else {
                    let pad = if p0 == p1 { chrono::Duration::hours(1) } else { chrono::Duration::zero() };
                    let x = RangedDateTime::from(p0 - pad..p1 + pad);
                    let to_x: fn(NaiveDateTime) -> NaiveDateTime = |t| t;
                    let fmt = &|t: &NaiveDateTime| t.format("%m-%d %H:%M").to_string();
                    if log {
                        draw_lines(&here, plan, p, log, x, to_x, fmt, LogCoord::from((lo..hi).log_scale()))?;
                    } else {
                        draw_lines(&here, plan, p, log, x, to_x, fmt, RangedCoordf64::from(lo..hi))?;
                    }
                }
                rest = next;
            }
        }
        Plan::Bars { bars, .. } => {
            let (lo, hi) = bounds(bars.iter().map(|b| b.1), log);
            if log {
                draw_bars(&root, plan, title, lo, LogCoord::from((lo..hi).log_scale()))?;
            } else {
                draw_bars(&root, plan, title, lo, RangedCoordf64::from(lo..hi))?;
            }
        }
    }
    root.present().map_err(err)
}

fn caption(title: &str, note: &Option<String>, log: bool) -> String {
    let mut s = title.to_string();
    if let Some(n) = note {
        s.push_str(&format!(" ({n})"));
    }
    if log {
        s.push_str(" [log scale]");
    }
    s
}

fn axis_number(v: f64) -> String {
    match v.abs() {
        a if a >= 1e9 => format!("{:.1}G", v / 1e9),
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e4 => format!("{:.0}k", v / 1e3),
        // 1.5 is not "2": small values keep their fraction (two ticks never read the same).
        a if a < 100.0 && v.fract() != 0.0 && a >= 1.0 => format!("{v:.1}"),
        a if a >= 1.0 || a == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    }
}

/// Where a panel of a line chart sits: the first carries the value axis and the legend; the
/// others start with a break mark.
#[derive(Clone, Copy)]
struct Panel {
    first: bool,
    break_before: bool,
    /// The stretch of time drawn: points outside it belong to another panel.
    range: (NaiveDateTime, NaiveDateTime),
    /// How many x labels fit.
    labels: usize,
}

#[allow(clippy::too_many_arguments)]
fn draw_lines<DB, X, T, Y>(
    root: &DrawingArea<DB, Shift>,
    plan: &Plan,
    panel: Panel,
    log: bool,
    x: X,
    to_x: fn(NaiveDateTime) -> T,
    fmt: &dyn Fn(&T) -> String,
    y: Y,
) -> Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = T> + ValueFormatter<T>,
    T: Clone + 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let Plan::Lines { x_desc, y_desc, series, timeline, .. } = plan else { return Ok(()) };
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .margin_left(if panel.first { 20 } else { 6 })
        // Room for the last date label, which is centred on the right edge.
        .margin_right(60)
        .x_label_area_size(60)
        .y_label_area_size(if panel.first { 80 } else { 0 })
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc.as_str())
        .x_labels(panel.labels)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|v| axis_number(*v))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0));
    if panel.first {
        mesh.y_desc(y_desc.as_str());
    } else {
        mesh.y_labels(0);
    }
    mesh.draw().map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let (p0, p1) = panel.range;
        let visible: Vec<(NaiveDateTime, f64)> =
            s.points.iter().copied().filter(|p| (!log || p.1 > 0.0) && p0 <= p.0 && p.0 <= p1).collect();
        let mut first_run = true;
        for run in timeline::runs(&visible, timeline.as_ref()) {
            let pts: Vec<_> = run.iter().map(|p| (to_x(p.0), p.1)).collect();
            let drawn =
                chart.draw_series(std::iter::once(PathElement::new(pts, color.stroke_width(2)))).map_err(err)?;
            if first_run && panel.first {
                drawn
                    .label(if s.name.is_empty() { "(none)" } else { s.name.as_str() })
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
                first_run = false;
            }
        }
        let pts: Vec<_> = visible.iter().map(|p| (to_x(p.0), p.1)).collect();
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled()))).map_err(err)?;
    }
    if panel.break_before {
        // Two slanted strokes across the x axis at the panel's left edge: the axis is broken.
        let (px, py) = chart.plotting_area().get_pixel_range();
        let (bx, by) = root.get_base_pixel();
        let (x0, y0) = (px.start - bx, py.end - by);
        for dx in [-4, 4] {
            root.draw(&PathElement::new(vec![(x0 + dx - 5, y0 + 8), (x0 + dx + 5, y0 - 8)], BLACK.stroke_width(2)))
                .map_err(err)?;
        }
    }
    if panel.first {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

fn draw_bars<DB, X>(root: &DrawingArea<DB, Shift>, plan: &Plan, title: &str, x0: f64, x: X) -> Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let Plan::Bars { label_desc, value_desc, bars, note } = plan else { return Ok(()) };
    let log = x0 > 0.0;
    let n = bars.len();
    let widest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0);
    let label_area = u32::try_from(widest * 9 + 24).unwrap_or(400).clamp(60, 400);
    // Row 0 of the table is drawn at the top: bar i sits in segment n-1-i.
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
            n.checked_sub(i + 1).and_then(|r| bars.get(r)).map(|b| b.0.clone()).unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    };
    let mut chart = ChartBuilder::on(root)
        .caption(caption(title, note, log), ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(label_area)
        .build_cartesian_2d(x, (0..n.saturating_sub(1)).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(value_desc.as_str())
        .y_desc(label_desc.as_str())
        .y_labels(n)
        .y_label_formatter(&label_of)
        .x_label_formatter(&|v| axis_number(*v))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 17))
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let color = Palette99::pick(0).to_rgba();
    chart
        .draw_series(bars.iter().enumerate().filter(|(_, b)| !log || b.1 > 0.0).map(|(r, b)| {
            let i = n - 1 - r;
            let mut bar =
                Rectangle::new([(x0, SegmentValue::Exact(i)), (b.1, SegmentValue::Exact(i + 1))], color.filled());
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().filter(|(_, b)| !log || b.1 > 0.0).map(|(r, b)| {
            let style = TextStyle::from(("sans-serif", 13))
                .pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
            Text::new(
                format!(" {}", if b.1.fract() == 0.0 { format!("{:.0}", b.1) } else { format!("{:.2}", b.1) }),
                (b.1, SegmentValue::CenterOf(n - 1 - r)),
                style,
            )
        }))
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests;
