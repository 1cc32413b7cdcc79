//! Time series that tell the truth (issue 15): a per-day (per-hour) series has a point for every
//! day (hour) of its range, and an axis that would span far more than the data is broken.
//!
//! - **Step.** A table whose times are all midnights is per day; all whole hours, per hour;
//!   anything else has no step and is drawn as given.
//! - **Zeros.** A day (hour) between the first and the last on which the table has *no row at
//!   all* had no events: every series gets a 0 there (the reports write a row for every day that
//!   has events). A series missing on a day where *other* rows exist (a long table's key that is
//!   not in that day's top N, say) is not known to be 0: its line is interrupted there instead of
//!   being drawn straight across.
//! - **Breaks.** A run of empty steps longer than [`MIN_BREAK_STEPS`] and longer than a third of
//!   the whole span (a stray line a year away from the rest) breaks the axis: the chart is drawn
//!   as up to [`MAX_PANELS`] panels side by side, each over its own stretch of time, with a break
//!   mark between them; the caption says what was left out.
//!
//! The caption also says how many empty steps are drawn as 0.

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use super::Series;

/// A run of empty steps must be at least this long to break the axis.
pub const MIN_BREAK_STEPS: i64 = 14;
/// At most this many panels (two breaks, at the two longest empty runs).
pub const MAX_PANELS: usize = 3;
/// Zeros are filled in for at most this many steps over all panels (a series that would need
/// more is drawn as given): 10 years of days, ~1 year of hours.
pub const MAX_FILL_STEPS: i64 = 10_000;

/// The spacing of a regular series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Day,
    Hour,
}

impl Step {
    pub fn delta(self) -> TimeDelta {
        match self {
            Step::Day => TimeDelta::days(1),
            Step::Hour => TimeDelta::hours(1),
        }
    }

    fn noun(self, n: i64) -> &'static str {
        match (self, n) {
            (Step::Day, 1) => "day",
            (Step::Day, _) => "days",
            (Step::Hour, 1) => "hour",
            (Step::Hour, _) => "hours",
        }
    }

    fn show(self, t: NaiveDateTime) -> String {
        match self {
            Step::Day => t.format("%Y-%m-%d").to_string(),
            Step::Hour => t.format("%Y-%m-%d %H:00").to_string(),
        }
    }
}

/// What [`complete`] did to a set of series.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub step: Step,
    /// The stretches of time drawn, in order (one unless the axis is broken).
    pub panels: Vec<(NaiveDateTime, NaiveDateTime)>,
    /// Empty steps (no row in the table) drawn as 0, per series.
    pub zeros: i64,
    /// The empty runs left out: (first empty step, last empty step, steps).
    pub breaks: Vec<(NaiveDateTime, NaiveDateTime, i64)>,
}

impl Timeline {
    /// The caption's note: zeros and breaks.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.zeros > 0 {
            parts.push(format!("{} {} without events drawn as 0", self.zeros, self.step.noun(self.zeros)));
        }
        for &(a, b, n) in &self.breaks {
            parts.push(format!(
                "axis broken: no events {} to {} ({n} {})",
                self.step.show(a),
                self.step.show(b),
                self.step.noun(n)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The panel a time belongs to.
    pub fn panel_of(&self, t: NaiveDateTime) -> Option<usize> {
        self.panels.iter().position(|&(a, b)| a <= t && t <= b)
    }
}

/// The step of a set of times, if they are all midnights or all whole hours.
pub fn step_of(xs: &BTreeSet<NaiveDateTime>) -> Option<Step> {
    if xs.is_empty() {
        return None;
    }
    if xs.iter().all(|t| t.time() == NaiveTime::MIN) {
        Some(Step::Day)
    } else if xs.iter().all(|t| t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0) {
        Some(Step::Hour)
    } else {
        None
    }
}

/// Steps from `a` to `b` (`b` after `a`, both on the step).
fn steps(step: Step, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
    let d = b - a;
    match step {
        Step::Day => d.num_days(),
        Step::Hour => d.num_hours(),
    }
}

/// Fills zeros and finds breaks for series whose table has rows at the times `xs` (see the
/// module doc); `None` when the times have no step.
pub fn complete(series: &mut [Series], xs: &BTreeSet<NaiveDateTime>) -> Option<Timeline> {
    let step = step_of(xs)?;
    let (&first, &last) = (xs.first()?, xs.last()?);
    let span = steps(step, first, last);
    // Empty runs between consecutive rows: (after, before, empty steps).
    let times: Vec<NaiveDateTime> = xs.iter().copied().collect();
    let mut gaps: Vec<(NaiveDateTime, NaiveDateTime, i64)> =
        times.windows(2).map(|w| (w[0], w[1], steps(step, w[0], w[1]) - 1)).collect();
    gaps.retain(|&(_, _, empty)| empty >= MIN_BREAK_STEPS && empty * 3 > span);
    gaps.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    gaps.truncate(MAX_PANELS - 1);
    gaps.sort_by_key(|g| g.0);
    let mut panels = Vec::new();
    let mut start = first;
    for &(after, before, _) in &gaps {
        panels.push((start, after));
        start = before;
    }
    panels.push((start, last));
    let breaks = gaps.iter().map(|&(a, b, n)| (a + step.delta(), b - step.delta(), n)).collect();

    let total: i64 = panels.iter().map(|&(a, b)| steps(step, a, b) + 1).sum();
    let mut zeros = 0;
    if total <= MAX_FILL_STEPS {
        for &(a, b) in &panels {
            let mut t = a;
            while t <= b {
                if !xs.contains(&t) {
                    zeros += 1;
                    for s in series.iter_mut() {
                        s.points.push((t, 0.0));
                    }
                }
                t += step.delta();
            }
        }
        for s in series.iter_mut() {
            s.points.sort_by_key(|p| p.0);
        }
    }
    Some(Timeline { step, panels, zeros, breaks })
}

/// A series' points split into the runs a line may join: a point more than one step after the
/// previous (a day the series is missing while other rows exist) or in another panel starts a
/// new run. Without a timeline, one run.
pub fn runs<'a>(points: &'a [(NaiveDateTime, f64)], tl: Option<&Timeline>) -> Vec<&'a [(NaiveDateTime, f64)]> {
    let Some(tl) = tl else { return vec![points] };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        let (a, b) = (points[i - 1].0, points[i].0);
        if b - a > tl.step.delta() || tl.panel_of(a) != tl.panel_of(b) {
            out.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        out.push(&points[start..]);
    }
    out
}
