//! The series rule ([`super::plan_as`]) and rendering without panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn table(cols: &[&str], rows: Vec<Vec<Value>>) -> Table {
    Table { columns: cols.iter().map(|c| c.to_string()).collect(), rows }
}
fn names(p: &Plan) -> Vec<String> {
    match p {
        Plan::Lines { series, .. } => series.iter().map(|s| s.name.clone()).collect(),
        Plan::Bars { bars, .. } => bars.iter().map(|b| b.0.clone()).collect(),
        Plan::Map(m) => m.bubbles.iter().map(|b| b.label.clone()).collect(),
    }
}
use Value::{Date, Int, Text};

fn plan(t: &Table) -> Result<Plan> {
    plan_as(t, ChartType::Auto)
}

#[test]
fn wide_table_one_line_per_numeric_column_ignoring_text() {
    let t = table(
        &["day", "weekday", "events", "ips"],
        vec![
            vec![Date(20000), Text("Mon".into()), Int(5), Int(2)],
            vec![Date(20001), Text("Tue".into()), Int(7), Int(3)],
        ],
    );
    let p = plan(&t).unwrap();
    assert_eq!(names(&p), ["events", "ips"]);
    let Plan::Lines { series, y_desc, .. } = p else { panic!() };
    assert_eq!(series[0].points.len(), 2);
    assert_eq!(series[1].points[1].1, 3.0);
    assert_eq!(y_desc, "events, ips");
}

#[test]
fn long_table_keys_are_the_text_columns_after_the_time() {
    let t = table(
        &["day", "taxonomy", "type", "events", "ips"],
        vec![
            vec![Date(1), Text("abusive".into()), Text("spam".into()), Int(4), Int(1)],
            vec![Date(1), Text("vuln".into()), Text("scan".into()), Int(9), Int(1)],
            vec![Date(2), Text("abusive".into()), Text("spam".into()), Int(6), Int(1)],
        ],
    );
    let p = plan(&t).unwrap();
    assert_eq!(names(&p), ["abusive / spam", "vuln / scan"]);
    let Plan::Lines { series, y_desc, .. } = p else { panic!() };
    assert_eq!(series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(), [4.0, 6.0]);
    assert_eq!(y_desc, "events by taxonomy / type");
}

#[test]
fn long_table_without_text_key_uses_the_second_column() {
    // scans: day, port (numeric but a key), unanswered, ...
    let t = table(
        &["day", "port", "unanswered", "ips"],
        vec![
            vec![Date(1), Int(22), Int(10), Int(1)],
            vec![Date(1), Int(23), Int(3), Int(1)],
            vec![Date(2), Int(22), Int(12), Int(1)],
        ],
    );
    let p = plan(&t).unwrap();
    assert_eq!(names(&p), ["22", "23"]);
    let Plan::Lines { y_desc, .. } = p else { panic!() };
    assert_eq!(y_desc, "unanswered by port");
}

#[test]
fn too_many_series_keeps_the_largest() {
    let rows = (0..15).flat_map(|k| [1, 2].map(|d| vec![Date(d), Text(format!("k{k}")), Int(k)])).collect();
    let p = plan(&table(&["day", "key", "n"], rows)).unwrap();
    assert_eq!(names(&p).len(), MAX_SERIES);
    assert_eq!(names(&p)[0], "k14");
    let Plan::Lines { note, .. } = p else { panic!() };
    assert_eq!(note.as_deref(), Some("10 largest of 15 series"));
}

#[test]
fn top_list_is_bars_in_the_given_order() {
    let t = table(
        &["ip", "events", "users"],
        vec![vec![Text("198.51.100.7".into()), Int(30), Int(2)], vec![Text("2001:db8::1".into()), Int(10), Int(1)]],
    );
    let p = plan(&t).unwrap();
    assert_eq!(names(&p), ["198.51.100.7", "2001:db8::1"]);
    let Plan::Bars { value_desc, .. } = p else { panic!() };
    assert_eq!(value_desc, "events");
}

#[test]
fn empty_table_is_an_error_not_a_panic() {
    let e = plan(&table(&["day", "events"], vec![])).unwrap_err();
    assert!(e.to_string().contains("nothing to plot"), "{e}");
    assert!(plan(&table(&["ip", "name"], vec![vec![Text("x".into()), Text("y".into())]])).is_err());
    assert!(plan(&table(&[], vec![])).is_err());
}

#[test]
fn hourly_long_table_renders_svg_and_png() {
    // services --bucket hour: period (timestamp), service (text key), connections, ...
    let h = 3_600_000_000;
    let rows = (0..6)
        .flat_map(|i| {
            ["ssh", "http"].map(|s| vec![Value::Timestamp(1_763_800_000_000_000 + i * h), Text(s.into()), Int(i + 1)])
        })
        .collect();
    let t = table(&["period", "service", "connections"], rows);
    assert_eq!(names(&plan(&t).unwrap()), ["ssh", "http"]);
    let dir = tempfile::tempdir().unwrap();
    for (name, log) in [("a.svg", false), ("b.png", true)] {
        write(&t, "services", &dir.path().join(name), log, ChartType::Auto).unwrap();
    }
    let svg = std::fs::read_to_string(dir.path().join("a.svg")).unwrap();
    assert!(svg.contains("connections by service") && svg.contains("http"), "{svg}");
    // One row, one day: still a chart.
    let one = table(&["day", "events"], vec![vec![Date(20000), Int(0)]]);
    write(&one, "one", &dir.path().join("c.png"), true, ChartType::Auto).unwrap();
}

#[test]
fn unknown_extension_is_refused() {
    let t = table(&["ip", "events"], vec![vec![Text("x".into()), Int(1)]]);
    let e = write(&t, "t", Path::new("/nonexistent/chart.gif"), false, ChartType::Auto).unwrap_err();
    assert!(e.to_string().contains(".svg or .png"), "{e}");
}

// --- World map -------------------------------------------------------------------------------

use Value::{Float, Null};

fn map_plan(p: Plan) -> map::MapPlan {
    match p {
        Plan::Map(m) => m,
        other => panic!("not a map: {other:?}"),
    }
}
fn near(got: (f64, f64), want: (f64, f64), tol: f64) -> bool {
    (got.0 - want.0).abs() <= tol && (got.1 - want.1).abs() <= tol
}

#[test]
fn lat_lon_table_is_a_map_with_one_bubble_per_located_row() {
    let t = table(
        &["city", "latitude", "longitude", "events"],
        vec![
            vec![Text("Stockholm".into()), Float(59.3), Float(18.1), Int(40)],
            vec![Text("Sydney".into()), Float(-33.9), Float(151.2), Int(700)],
            vec![Text("nowhere".into()), Null, Null, Int(5)],
            vec![Text("half".into()), Float(10.0), Null, Int(5)],
            vec![Text("null island".into()), Float(0.0), Float(0.0), Int(5)],
        ],
    );
    let m = map_plan(plan(&t).unwrap());
    // Largest first; the label is the first text column.
    assert_eq!(names(&Plan::Map(map::plan(&t).unwrap())), ["Sydney", "Stockholm"]);
    assert_eq!((m.bubbles[0].lon, m.bubbles[0].lat, m.bubbles[0].value), (151.2, -33.9, 700.0));
    assert_eq!(m.value_desc, "events");
    assert_eq!(m.note.as_deref(), Some("3 rows without a location not drawn"));
}

#[test]
fn countries_table_bubbles_sit_at_country_label_points() {
    let t = table(
        &["country", "events", "ips"],
        vec![
            vec![Text("SE".into()), Int(10), Int(1)],
            vec![Text("us".into()), Int(9), Int(1)],
            vec![Text("NO".into()), Int(8), Int(1)],
            vec![Text("FR".into()), Int(7), Int(1)],
            vec![Text("SG".into()), Int(6), Int(1)],
            vec![Text("".into()), Int(5), Int(1)],
            vec![Null, Int(4), Int(1)],
            vec![Text("ZZ".into()), Int(3), Int(1)],
        ],
    );
    let m = map_plan(plan(&t).unwrap());
    let at = |code: &str| {
        let b = m.bubbles.iter().find(|b| b.label.eq_ignore_ascii_case(code)).unwrap();
        (b.lon, b.lat)
    };
    assert!(near(at("SE"), (15.0, 62.0), 3.0), "SE at {:?}", at("SE"));
    assert!(near(at("US"), (-98.0, 39.0), 3.0), "US at {:?}", at("US"));
    // Natural Earth gives Norway and France ISO_A2 -99; the asset still has them (mainland points).
    assert!(near(at("NO"), (9.0, 61.0), 3.0), "NO at {:?}", at("NO"));
    assert!(near(at("FR"), (2.5, 46.5), 3.0), "FR at {:?}", at("FR"));
    // Too small for 1:110m outlines, still placed.
    assert!(near(at("SG"), (103.8, 1.3), 0.5), "SG at {:?}", at("SG"));
    assert_eq!(m.bubbles.len(), 5);
    assert_eq!(m.note.as_deref(), Some("3 rows without a location not drawn"));
}

#[test]
fn continents_table_uses_fixed_points_and_first_numeric_column_for_size() {
    let t = table(
        &["continent", "attempts", "ips"],
        vec![vec![Text("EU".into()), Int(3), Int(1)], vec![Text("OC".into()), Int(600), Int(2)]],
    );
    let m = map_plan(plan(&t).unwrap());
    assert_eq!(m.value_desc, "attempts");
    assert_eq!(m.band_desc, "attempts");
    assert_eq!((m.bubbles[0].lon, m.bubbles[0].lat), map::continent_point("OC").unwrap());
    assert_eq!(m.bubbles[1].value, 3.0);
}

#[test]
fn size_is_events_else_first_numeric_column_that_is_not_a_coordinate() {
    let row = |a, e| vec![Text("x".into()), Float(1.0), Float(2.0), Int(a), Int(e)];
    let t = table(&["ip", "latitude", "longitude", "attempts", "events"], vec![row(1, 900)]);
    assert_eq!(map::plan(&t).unwrap().value_desc, "events");
    let t = table(&["ip", "latitude", "longitude", "attempts", "other"], vec![row(1, 900)]);
    let m = map::plan(&t).unwrap();
    assert_eq!((m.value_desc.as_str(), m.bubbles[0].value), ("attempts", 1.0));
}

#[test]
fn bubbles_are_named_by_city_else_the_first_text_column() {
    let row = vec![Text("SE".into()), Text("Uppsala".into()), Float(59.9), Float(17.6), Int(3)];
    let t = table(&["country", "city", "latitude", "longitude", "events"], vec![row.clone()]);
    assert_eq!(names(&plan(&t).unwrap()), ["Uppsala"]);
    let t = table(&["country", "town", "latitude", "longitude", "events"], vec![row]);
    assert_eq!(names(&plan(&t).unwrap()), ["SE"]);
}

#[test]
fn severity_comes_from_the_column_else_from_the_attackers_thresholds() {
    use map::Band::{High, Low, Medium};
    let t = table(
        &["ip", "attempts", "severity", "latitude", "longitude"],
        vec![
            vec![Text("a".into()), Int(1), Text("high".into()), Float(1.0), Float(0.0)],
            vec![Text("b".into()), Int(900), Text("low".into()), Float(1.0), Float(1.0)],
            vec![Text("c".into()), Int(700), Text("bogus".into()), Float(0.0), Float(2.0)],
        ],
    );
    let m = map::plan(&t).unwrap();
    let bands: Vec<_> = m.bubbles.iter().map(|b| (b.label.as_str(), b.band)).collect();
    assert_eq!(bands, [("b", Low), ("c", High), ("a", High)]);
    assert_eq!(m.band_desc, "severity");

    let rows = [0, 2, 3, 499, 500, 10_000]
        .iter()
        .map(|&v| vec![Text(v.to_string()), Float(1.0), Float(1.0), Int(v)])
        .collect();
    let m = map::plan(&table(&["ip", "latitude", "longitude", "events"], rows)).unwrap();
    let bands: Vec<_> = m.bubbles.iter().map(|b| (b.value, b.band)).collect();
    assert_eq!(bands, [(10_000.0, High), (500.0, High), (499.0, Medium), (3.0, Medium), (2.0, Low), (0.0, Low)]);
}

#[test]
fn no_located_row_is_an_error_for_map_and_falls_back_for_auto() {
    let t = table(
        &["ip", "events", "latitude", "longitude"],
        vec![vec![Text("a".into()), Int(1), Null, Null], vec![Text("b".into()), Int(2), Null, Null]],
    );
    let e = plan_as(&t, ChartType::Map).unwrap_err().to_string();
    assert!(e.contains("none of the 2 rows has a location"), "{e}");
    // Geo columns without GeoIP data yet: auto still draws today's bars.
    assert!(matches!(plan(&t).unwrap(), Plan::Bars { .. }));
}

#[test]
fn chart_type_overrides_auto() {
    let geo = table(&["country", "events"], vec![vec![Text("SE".into()), Int(1)]]);
    assert!(matches!(plan(&geo).unwrap(), Plan::Map(_)));
    assert!(matches!(plan_as(&geo, ChartType::Bars).unwrap(), Plan::Bars { .. }));
    let e = plan_as(&geo, ChartType::Lines).unwrap_err().to_string();
    assert!(e.contains("no dates or times"), "{e}");
    let top = table(&["ip", "events"], vec![vec![Text("x".into()), Int(1)]]);
    let e = plan_as(&top, ChartType::Map).unwrap_err().to_string();
    assert!(e.contains("no latitude/longitude, country or continent column"), "{e}");
    let daily = table(&["day", "events"], vec![vec![Date(1), Int(1)]]);
    assert!(matches!(plan_as(&daily, ChartType::Auto).unwrap(), Plan::Lines { .. }));
    assert!(matches!(plan_as(&daily, ChartType::Bars).unwrap(), Plan::Bars { .. }));
}

#[test]
fn world_asset_is_sane() {
    let w = map::world().unwrap();
    let outlined = w.countries.iter().filter(|c| !c.rings.is_empty()).count();
    assert!(outlined >= 170, "only {outlined} countries with outlines");
    assert_eq!(w.by_code.len(), w.countries.len(), "codes unique");
    for code in ["SE", "GB", "US", "BR", "AU", "JP", "FR", "NO", "RU", "CN", "IN", "ZA"] {
        assert!(!w.country(code).unwrap().rings.is_empty(), "{code} has no outline");
    }
    for (code, &i) in &w.by_code {
        assert!(code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()), "{code}");
        let c = &w.countries[i];
        assert!((-180.0..=180.0).contains(&c.label.0) && (-90.0..=90.0).contains(&c.label.1), "{code}");
        for r in &c.rings {
            assert!(r.len() >= 3, "{code}: ring of {} points", r.len());
            assert!(r.iter().all(|p| (-180.0..=180.0).contains(&p.0) && (-90.0..=90.0).contains(&p.1)), "{code}");
        }
    }
}

#[test]
fn broken_asset_lines_are_errors() {
    assert!(map::parse_world("C SE 1 2 Sweden\nR 1,2 3,4 5,6\n").is_ok());
    for bad in ["C SE 1 2 a\nC SE 3 4 b\n", "R 1,2 3,4 5,6\n", "C SE x 2 a\n", "C SE 1 2 a\nR 1;2\n", "Z\n"] {
        assert!(map::parse_world(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn bubble_area_is_proportional_to_the_value_within_bounds() {
    assert_eq!(map::radius(100.0, 100.0), map::R_MAX);
    assert!((map::radius(25.0, 100.0) - map::R_MAX / 2.0).abs() < 1e-9);
    assert_eq!(map::radius(0.0, 100.0), map::R_MIN);
    assert_eq!(map::radius(1.0, 1e9), map::R_MIN);
}

fn located(rows: &[(&str, f64, f64, i64)]) -> Table {
    table(
        &["ip", "latitude", "longitude", "events"],
        rows.iter().map(|&(ip, lat, lon, n)| vec![Text(ip.into()), Float(lat), Float(lon), Int(n)]).collect(),
    )
}

#[test]
fn map_svg_has_one_bubble_per_located_row_and_a_legend() {
    let mut t =
        located(&[("192.0.2.1", 59.3, 18.1, 2), ("192.0.2.2", -23.5, -46.6, 40), ("192.0.2.3", 35.7, 139.7, 900)]);
    t.rows.push(vec![Text("192.0.2.4".into()), Null, Null, Int(1)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.svg");
    write(&t, "ipscope report cities", &path, false, ChartType::Auto).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    // Filled bubbles carry BUBBLE_OPACITY; the legend adds one filled dot per band.
    let circles = svg.matches("<circle").count();
    let translucent = svg.split("<circle").skip(1).filter(|c| c.contains("opacity=\"0.75\"")).count();
    assert_eq!(translucent, 3 + map::Band::ALL.len(), "{circles} circles in all");
    for band in map::Band::ALL {
        let hex = format!("#{:02X}{:02X}{:02X}", band.color().0, band.color().1, band.color().2);
        assert!(svg.contains(&hex), "no {band:?} colour {hex}");
    }
    for text in
        ["band by events:", "medium (3–499)", "size (events):", "1 row without a location not drawn", "192.0.2.3"]
    {
        assert!(svg.contains(text), "no {text:?} in the SVG");
    }
    assert!(svg.contains("<polygon"), "no country outlines");
}

#[test]
fn map_png_shows_ocean_land_and_bubbles_where_projected() {
    // One high bubble in central Siberia (land), one low one in the South Pacific (ocean).
    let t = located(&[("a", 62.0, 99.0, 1000), ("b", -35.0, -140.0, 1)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.png");
    write(&t, "map", &path, false, ChartType::Map).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let lay = map::Layout::new(WIDTH);
    assert_eq!((info.width, info.height), (WIDTH, lay.height));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixel = |lon: f64, lat: f64| {
        let (x, y) = lay.px(lon, lat);
        let i = (y as usize * info.width as usize + x as usize) * 3;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    let rgb = |c: RGBColor| (c.0, c.1, c.2);
    let blend = |c: RGBColor, bg: RGBColor| {
        let m = |a: u8, b: u8| (f64::from(a) * map::BUBBLE_OPACITY + f64::from(b) * (1.0 - map::BUBBLE_OPACITY)) as i32;
        (m(c.0, bg.0), m(c.1, bg.1), m(c.2, bg.2))
    };
    let close = |got: (u8, u8, u8), want: (i32, i32, i32)| {
        (i32::from(got.0) - want.0).abs() <= 2
            && (i32::from(got.1) - want.1).abs() <= 2
            && (i32::from(got.2) - want.2).abs() <= 2
    };
    assert_eq!(pixel(-30.0, -20.0), rgb(map::OCEAN), "South Atlantic");
    assert_eq!(pixel(5.0, 26.0), rgb(map::LAND), "Sahara");
    assert_eq!(pixel(-100.0, 40.0), rgb(map::LAND), "Kansas");
    let high = pixel(99.0, 62.0);
    assert!(close(high, blend(map::Band::High.color(), map::LAND)), "Siberian bubble is {high:?}");
    let low = pixel(-140.0, -35.0);
    assert!(close(low, blend(map::Band::Low.color(), map::OCEAN)), "Pacific bubble is {low:?}");
    // Outside the globe's outline (top left corner of the map box) stays white.
    let (_, top) = lay.px(0.0, map::LAT_MAX);
    let i = ((top as usize + 3) * info.width as usize + 25) * 3;
    assert_eq!(&buf[i..i + 3], [255, 255, 255]);
}

// ---- issue 15: series that tell the truth ----

fn day(y: i32, m: u32, d: u32) -> Value {
    Date((NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32)
}

fn points(p: &Plan, i: usize) -> Vec<(String, f64)> {
    let Plan::Lines { series, .. } = p else { panic!() };
    series[i].points.iter().map(|(t, v)| (t.format("%m-%d").to_string(), *v)).collect()
}

#[test]
fn days_without_rows_are_zeros() {
    // daily with a quiet Wednesday and Thursday: no straight line from Tuesday to Friday.
    let t = table(
        &["day", "weekday", "events", "ips"],
        vec![
            vec![day(2026, 11, 23), Text("Mon".into()), Int(5), Int(2)],
            vec![day(2026, 11, 24), Text("Tue".into()), Int(7), Int(3)],
            vec![day(2026, 11, 27), Text("Fri".into()), Int(4), Int(1)],
        ],
    );
    let p = plan(&t).unwrap();
    assert_eq!(
        points(&p, 0),
        [
            ("11-23".into(), 5.0),
            ("11-24".into(), 7.0),
            ("11-25".into(), 0.0),
            ("11-26".into(), 0.0),
            ("11-27".into(), 4.0)
        ]
    );
    assert_eq!(points(&p, 1)[2], ("11-25".into(), 0.0));
    let Plan::Lines { note, timeline, .. } = &p else { panic!() };
    assert_eq!(note.as_deref(), Some("2 days without events drawn as 0"));
    let tl = timeline.as_ref().unwrap();
    assert_eq!((tl.step, tl.panels.len(), tl.zeros), (timeline::Step::Day, 1, 2));
}

#[test]
fn a_series_missing_where_others_have_rows_is_interrupted_not_zero() {
    // scans: port 23 is not in day 2's rows (not in its top N): unknown, so its line breaks.
    let t = table(
        &["day", "port", "unanswered", "ips"],
        vec![
            vec![day(2026, 1, 1), Int(22), Int(10), Int(1)],
            vec![day(2026, 1, 1), Int(23), Int(3), Int(1)],
            vec![day(2026, 1, 2), Int(22), Int(12), Int(1)],
            vec![day(2026, 1, 3), Int(22), Int(9), Int(1)],
            vec![day(2026, 1, 3), Int(23), Int(4), Int(1)],
        ],
    );
    let p = plan(&t).unwrap();
    assert_eq!(names(&p), ["22", "23"]);
    assert_eq!(points(&p, 1), [("01-01".into(), 3.0), ("01-03".into(), 4.0)]);
    let Plan::Lines { series, timeline, .. } = &p else { panic!() };
    let runs = timeline::runs(&series[1].points, timeline.as_ref());
    assert_eq!(runs.len(), 2, "the line is interrupted at 01-02");
    assert_eq!(timeline::runs(&series[0].points, timeline.as_ref()).len(), 1);
}

#[test]
fn a_stray_far_day_breaks_the_axis() {
    // The shape: a week in November 2026 and one stray line from December 2025.
    let mut rows = vec![vec![day(2025, 12, 1), Int(1)]];
    for d in 23..=29 {
        rows.push(vec![day(2026, 11, d), Int(100 + i64::from(d))]);
    }
    let p = plan(&table(&["day", "events"], rows)).unwrap();
    let Plan::Lines { note, timeline, series, .. } = &p else { panic!() };
    let tl = timeline.as_ref().unwrap();
    assert_eq!(tl.panels.len(), 2);
    assert_eq!(tl.zeros, 0, "the empty year is left out, not filled");
    assert_eq!(series[0].points.len(), 8);
    assert_eq!(note.as_deref(), Some("axis broken: no events 2025-12-02 to 2026-11-22 (356 days)"));
    // A quiet fortnight in a 3-month range is not a break: it is drawn as zeros.
    let mut rows = Vec::new();
    for d in 0..90 {
        if !(30..44).contains(&d) {
            rows.push(vec![Date(20_000 + d), Int(5)]);
        }
    }
    let p = plan(&table(&["day", "events"], rows)).unwrap();
    let Plan::Lines { timeline, .. } = &p else { panic!() };
    let tl = timeline.as_ref().unwrap();
    assert_eq!((tl.panels.len(), tl.zeros), (1, 14));
}

#[test]
fn hours_without_rows_are_zeros_and_irregular_times_are_left_alone() {
    let h = 3_600_000_000;
    let base = 1_763_800_000_000_000 - 1_763_800_000_000_000 % h;
    let rows = [0, 1, 4].map(|i| vec![Value::Timestamp(base + i * h), Int(2)]).to_vec();
    let p = plan(&table(&["period", "connections"], rows)).unwrap();
    assert_eq!(points(&p, 0).iter().map(|p| p.1).collect::<Vec<_>>(), [2.0, 2.0, 0.0, 0.0, 2.0]);
    let Plan::Lines { note, .. } = &p else { panic!() };
    assert_eq!(note.as_deref(), Some("2 hours without events drawn as 0"));
    // Times that are not on a day or an hour: drawn as given.
    let rows = [0, 7, 900].map(|s| vec![Value::Timestamp(base + s * 1_000_000), Int(1)]).to_vec();
    let p = plan(&table(&["ts", "n"], rows)).unwrap();
    let Plan::Lines { timeline, .. } = &p else { panic!() };
    assert!(timeline.is_none());
}

#[test]
fn broken_axis_renders_svg_and_png() {
    let mut rows = vec![vec![day(2025, 12, 1), Int(1), Int(1)]];
    for d in [23, 24, 27, 28] {
        rows.push(vec![day(2026, 11, d), Int(50), Int(9)]);
    }
    let t = table(&["day", "events", "ips"], rows);
    let dir = tempfile::tempdir().unwrap();
    for (name, log) in [("a.svg", false), ("b.png", false), ("c.svg", true)] {
        write(&t, "daily", &dir.path().join(name), log, ChartType::Auto).unwrap();
    }
    let svg = std::fs::read_to_string(dir.path().join("a.svg")).unwrap();
    assert!(svg.contains("axis broken: no events 2025-12-02 to 2026-11-22"), "the caption says so");
    assert!(svg.contains("2 days without events drawn as 0"));
    // Both panels have their own dates on the x axis.
    assert!(svg.contains("2025-12-01") && svg.contains("2026-11-2"), "{svg}");
}

#[test]
fn axis_numbers_do_not_round_ticks_into_each_other() {
    let ticks: Vec<String> = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 12_345.0].iter().map(|&v| axis_number(v)).collect();
    assert_eq!(ticks, ["0", "0.50", "1", "1.5", "2", "2.5", "3", "12k"]);
}
