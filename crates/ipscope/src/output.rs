//! Rendering a [`Table`] in the output formats every command shares.
//!
//! | format   | shape |
//! |----------|-------|
//! | table    | aligned columns for people (default on a terminal) |
//! | markdown | a GitHub-flavoured Markdown table |
//! | csv      | RFC 4180 quoting, any single-character separator (`--sep`), header row of column names |
//! | tsv      | tab-separated; `\`, tab, LF, CR in values written `\\`, `\t`, `\n`, `\r` (default when piped) |
//! | json     | one array of objects, column name → value (numbers stay numbers, NULL is null) |
//! | ndjson   | one object per line |
//!
//! Every value may be attacker text (a username, a command typed into a honeypot): each format
//! shows it as text and nothing else ([`escape`]). Terminal tables and Markdown escape control
//! and bidi characters; csv/tsv guard against spreadsheet formulas (`--no-formula-guard` turns
//! that off for machine consumers; numbers are never touched); json escapes what JSON requires
//! and is the one format that keeps every character exactly.

pub mod escape;

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use ipscope_store::{Table, Value};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Markdown,
    Csv,
    Tsv,
    Json,
    Ndjson,
}

/// How to print a table.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub format: OutputFormat,
    pub sep: char,
    pub header: bool,
    /// JSON times in ISO 8601 (`2026-11-22T17:06:05Z`), for the API (Grafana reads them);
    /// the CLI prints `2026-11-22 17:06:05` everywhere.
    pub iso_times: bool,
    /// csv/tsv: prefix text that a spreadsheet would run as a formula with `'`.
    pub formula_guard: bool,
}

impl Style {
    /// The format asked for, or table on a terminal and tsv otherwise.
    pub fn resolve(format: Option<OutputFormat>, sep: char, no_header: bool, no_formula_guard: bool) -> Style {
        let format =
            format.unwrap_or_else(|| if io::stdout().is_terminal() { OutputFormat::Table } else { OutputFormat::Tsv });
        Style { format, sep, header: !no_header, iso_times: false, formula_guard: !no_formula_guard }
    }
}

pub fn write_table(out: &mut dyn Write, t: &Table, style: Style) -> io::Result<()> {
    match style.format {
        OutputFormat::Table => write_pretty(out, t),
        OutputFormat::Markdown => write_markdown(out, t),
        OutputFormat::Csv => write_csv(out, t, style.sep, style.header, style.formula_guard),
        OutputFormat::Tsv => write_tsv(out, t, style.header, style.formula_guard),
        OutputFormat::Json => write_json(out, t, style.iso_times),
        OutputFormat::Ndjson => write_ndjson(out, t, style.iso_times),
    }
}

fn write_pretty(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    use comfy_table::{CellAlignment, ContentArrangement, presets};
    if t.rows.is_empty() {
        return writeln!(out, "(no rows)");
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(presets::UTF8_BORDERS_ONLY).set_content_arrangement(ContentArrangement::Disabled);
    if std::env::var_os("NO_COLOR").is_some() || !io::stdout().is_terminal() {
        table.force_no_tty();
    }
    table.set_header(t.columns.iter().map(|c| comfy_table::Cell::new(escape::display(c))));
    for row in &t.rows {
        table.add_row(row.iter().map(|v| {
            let cell = comfy_table::Cell::new(escape::display(&v.render()));
            if v.is_numeric() { cell.set_alignment(CellAlignment::Right) } else { cell }
        }));
    }
    writeln!(out, "{table}")
}

pub fn write_markdown(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    if t.rows.is_empty() {
        return writeln!(out, "_(no rows)_");
    }
    let esc = |s: &str| escape::markdown(s).into_owned();
    writeln!(out, "| {} |", t.columns.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "))?;
    let rule: Vec<&str> = match t.rows.first() {
        Some(first) => first.iter().map(|v| if v.is_numeric() { "---:" } else { "---" }).collect(),
        None => t.columns.iter().map(|_| "---").collect(),
    };
    writeln!(out, "|{}|", rule.join("|"))?;
    for row in &t.rows {
        writeln!(out, "| {} |", row.iter().map(|v| esc(&v.render())).collect::<Vec<_>>().join(" | "))?;
    }
    Ok(())
}

/// Whether a value is text (the formula guard's business) rather than a number, time or NULL.
fn is_text(v: &Value) -> bool {
    matches!(v, Value::Text(_))
}

fn write_csv(out: &mut dyn Write, t: &Table, sep: char, header: bool, guard: bool) -> io::Result<()> {
    let sep_s = sep.to_string();
    if header {
        let cells: Vec<_> = t.columns.iter().map(|c| escape::csv(c, sep, true, guard)).collect();
        writeln!(out, "{}", cells.join(&sep_s))?;
    }
    for row in &t.rows {
        let cells: Vec<String> =
            row.iter().map(|v| escape::csv(&v.render(), sep, is_text(v), guard).into_owned()).collect();
        writeln!(out, "{}", cells.join(&sep_s))?;
    }
    Ok(())
}

fn write_tsv(out: &mut dyn Write, t: &Table, header: bool, guard: bool) -> io::Result<()> {
    if header {
        let cells: Vec<_> = t.columns.iter().map(|c| escape::tsv(c, true, guard)).collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|v| escape::tsv(&v.render(), is_text(v), guard).into_owned()).collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}

fn json_value(v: &Value, iso: bool) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::UInt(u) => (*u).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Timestamp(t) if iso => chrono::DateTime::from_timestamp_micros(*t)
            .map_or_else(|| t.to_string(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .into(),
        other => other.render().into(),
    }
}

fn json_object(t: &Table, row: &[Value], iso: bool) -> serde_json::Value {
    let map = t.columns.iter().zip(row).map(|(c, v)| (c.clone(), json_value(v, iso))).collect();
    serde_json::Value::Object(map)
}

fn write_json(out: &mut dyn Write, t: &Table, iso: bool) -> io::Result<()> {
    let rows: Vec<_> = t.rows.iter().map(|r| json_object(t, r, iso)).collect();
    serde_json::to_writer_pretty(&mut *out, &rows)?;
    writeln!(out)
}

fn write_ndjson(out: &mut dyn Write, t: &Table, iso: bool) -> io::Result<()> {
    for r in &t.rows {
        serde_json::to_writer(&mut *out, &json_object(t, r, iso))?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            columns: vec!["ip".into(), "events".into(), "note".into()],
            rows: vec![
                vec![Value::Text("1.2.3.4".into()), Value::Int(10), Value::Text("a,b \"c\"".into())],
                vec![Value::Text("::1".into()), Value::Float(0.5), Value::Null],
            ],
        }
    }

    fn render(format: OutputFormat, sep: char) -> String {
        let mut buf = Vec::new();
        write_table(&mut buf, &sample(), Style { format, sep, header: true, iso_times: false, formula_guard: true })
            .unwrap_or_default();
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn csv_quotes_and_separators() {
        assert_eq!(render(OutputFormat::Csv, ','), "ip,events,note\n1.2.3.4,10,\"a,b \"\"c\"\"\"\n::1,0.5,\n");
        assert_eq!(render(OutputFormat::Csv, ' '), "ip events note\n1.2.3.4 10 \"a,b \"\"c\"\"\"\n::1 0.5 \n");
    }

    #[test]
    fn json_keeps_types() {
        assert_eq!(
            render(OutputFormat::Ndjson, ','),
            "{\"ip\":\"1.2.3.4\",\"events\":10,\"note\":\"a,b \\\"c\\\"\"}\n{\"ip\":\"::1\",\"events\":0.5,\"note\":null}\n"
        );
    }

    #[test]
    fn markdown_aligns_numbers() {
        let md = render(OutputFormat::Markdown, ',');
        assert!(md.starts_with("| ip | events | note |\n|---|---:|---|\n"), "{md}");
    }
}
