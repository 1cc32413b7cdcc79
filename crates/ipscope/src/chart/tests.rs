//! The series rule ([`super::plan`]) and rendering without panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn table(cols: &[&str], rows: Vec<Vec<Value>>) -> Table {
    Table { columns: cols.iter().map(|c| c.to_string()).collect(), rows }
}
fn names(p: &Plan) -> Vec<String> {
    match p {
        Plan::Lines { series, .. } => series.iter().map(|s| s.name.clone()).collect(),
        Plan::Bars { bars, .. } => bars.iter().map(|b| b.0.clone()).collect(),
    }
}
use Value::{Date, Int, Text};

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
        write(&t, "services", &dir.path().join(name), log).unwrap();
    }
    let svg = std::fs::read_to_string(dir.path().join("a.svg")).unwrap();
    assert!(svg.contains("connections by service") && svg.contains("http"), "{svg}");
    // One row, one day: still a chart.
    let one = table(&["day", "events"], vec![vec![Date(20000), Int(0)]]);
    write(&one, "one", &dir.path().join("c.png"), true).unwrap();
}

#[test]
fn unknown_extension_is_refused() {
    let t = table(&["ip", "events"], vec![vec![Text("x".into()), Int(1)]]);
    let e = write(&t, "t", Path::new("/nonexistent/chart.gif"), false).unwrap_err();
    assert!(e.to_string().contains(".svg or .png"), "{e}");
}
