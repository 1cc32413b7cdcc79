//! The daemon's HTTP API (axum): the report catalogue, every report with the CLI's parameters,
//! read-only SQL, status, lookup, Prometheus `/metrics`, and the store routes through which
//! other ipscope commands work while the daemon owns the database (`crate::daemon::Client`).
//!
//! Report parameters are the CLI's flags, parsed by the CLI's own definitions (clap): `?since=7d
//! &top=10&source=sshd,cowrie&home_only=true` is `--since 7d --top 10 --source sshd,cowrie
//! --home-only`, validated the same way and never spliced into SQL (reports render filters with
//! quoting). `format=json` (default) gives an array of flat objects with ISO 8601 times — what
//! Grafana's Infinity datasource reads (see docs/grafana.md); `ndjson`, `csv`, `tsv` and
//! `markdown` too. Routes are guarded by a bearer token when one is configured (required off
//! loopback); request bodies and URIs are size-limited.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query as Params, Request, State as St};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::{CommandFactory, FromArgMatches};
use ipscope_enrich::Enricher;
use ipscope_ingest::live::LiveBackend;
use ipscope_ingest::metrics::{Metrics, RouteLabels, SourceLabel};
use ipscope_ingest::writer::WriterHandle;
use ipscope_store::{Backend, Query, Store, StoreError, Table, Value, wire};
use prometheus_client::registry::Registry;

use crate::cli::ReportCmd;
use crate::commands::Ctx;
use crate::output::{self, OutputFormat, Style};

/// Largest request body of the public routes (an SQL query).
const API_BODY: usize = 1024 * 1024;
/// Largest request body of the store routes (a batch of events from a CLI `ingest`).
const STORE_BODY: usize = 1024 * 1024 * 1024;
/// Longest request URI (path and query string).
const MAX_URI: usize = 16 * 1024;
/// Parameters the API reads itself (`format`, and `chart`/`chart_type`/`log_scale`, which
/// answer with the picture instead of writing a file): not passed on as report flags.
const API_PARAMS: &[&str] = &["format", "chart", "chart-type", "log-scale"];
/// Report flags that are not for HTTP (`--output` is the CLI's output format).
/// (`--ptr` and its settings: reverse DNS is the CLI's.)
const REFUSED_FLAGS: &[&str] = &["output", "ptr", "dns-server", "dns-timeout", "dns-concurrency", "ptr-ttl"];

/// What every handler can reach.
pub struct State {
    ctx: Ctx,
    data: PathBuf,
    database: PathBuf,
    writer: WriterHandle,
    /// The connection new reading connections are cloned from.
    root: Mutex<Store>,
    registry: Registry,
    metrics: Metrics,
    token: Option<String>,
    /// The daemon file's key, which the store routes (writes) ask for.
    key: String,
    enricher: Arc<Enricher>,
}

impl State {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: Ctx,
        data: PathBuf,
        database: PathBuf,
        writer: WriterHandle,
        root: Store,
        registry: Registry,
        metrics: Metrics,
        token: Option<String>,
        key: String,
        enricher: Option<Arc<Enricher>>,
    ) -> State {
        State {
            ctx,
            data,
            database,
            writer,
            root: Mutex::new(root),
            registry,
            metrics,
            token,
            key,
            enricher: enricher.unwrap_or_default(),
        }
    }

    /// The store for one request: the writer for writes, a connection of its own for reads.
    fn backend(&self) -> Result<LiveBackend, ApiError> {
        let reader = self.root.lock().unwrap_or_else(PoisonError::into_inner).reader().map_err(ApiError::store)?;
        Ok(LiveBackend { writer: self.writer.clone(), reader })
    }
}

/// An error answer: a status and a message, sent as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn bad(message: impl std::fmt::Display) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.to_string() }
    }

    fn store(e: StoreError) -> ApiError {
        let status = match &e {
            StoreError::NotReadOnly => StatusCode::FORBIDDEN,
            StoreError::Conflict { .. } => StatusCode::CONFLICT,
            StoreError::Query { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match e {
            // The client turns a 409 back into a conflict on this input.
            StoreError::Conflict { path } => path,
            other => other.to_string(),
        };
        ApiError { status, message }
    }

    fn any(e: anyhow::Error) -> ApiError {
        match e.downcast::<StoreError>() {
            Ok(s) => ApiError::store(s),
            Err(e) => match e.downcast::<ipscope_report::ReportError>() {
                Ok(ipscope_report::ReportError::Store(s)) => ApiError::store(s),
                Ok(other) => ApiError::bad(other),
                Err(e) => ApiError::bad(format!("{e:#}")),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    }
}

type Shared = Arc<State>;
type ApiResult = Result<Response, ApiError>;

/// Runs `f` on a thread that may block (every store call does).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("request failed: {e}") })?
}

/// The router, with its limits, token check and metrics.
pub fn router(state: Shared) -> Router {
    let store = Router::new()
        .route("/find-inputs", post(store_find_inputs))
        .route("/named-input", post(store_named_input))
        .route("/input-id", post(store_input_id))
        .route("/commit", post(store_commit))
        .route("/addresses", get(store_addresses).post(store_add_addresses))
        .route("/inputs", get(store_inputs))
        .route("/purge", post(store_purge))
        .route("/checkpoint", post(store_checkpoint))
        .route("/ptr", post(store_ptr))
        .layer(DefaultBodyLimit::max(STORE_BODY));
    Router::new()
        .route("/", get(dashboard))
        .route("/assets/{file}", get(asset))
        .route("/api", get(index))
        .route("/api/health", get(health))
        .route("/api/info", get(info))
        .route("/api/live", get(live))
        .route("/api/reports", get(reports))
        .route("/api/report/{name}", get(report))
        .route("/api/sql", get(sql_get).post(sql_post))
        .route("/api/status", get(status))
        .route("/api/lookup", get(lookup))
        .route("/api/blocklist", get(blocklist))
        .route("/metrics", get(metrics))
        .nest("/api/store", store)
        .layer(DefaultBodyLimit::max(API_BODY))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state)
}

/// Serves until SIGTERM or SIGINT (Ctrl-C), then finishes the requests under way.
pub fn serve(listener: std::net::TcpListener, state: State) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router(Arc::new(state))).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("stopping");
}

/// Compares two byte strings in time independent of where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every request: URI size, bearer token, and the HTTP metrics (by route template, never by path).
async fn guard(St(state): St<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = match *req.method() {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        _ => "OTHER",
    };
    let key_ok = same_secret(
        req.headers().get(crate::daemon::KEY_HEADER).map(HeaderValue::as_bytes).unwrap_or_default(),
        state.key.as_bytes(),
    );
    let response = if req.uri().to_string().len() > MAX_URI {
        ApiError { status: StatusCode::URI_TOO_LONG, message: format!("request URI longer than {MAX_URI} bytes") }
            .into_response()
    } else if route.starts_with("/api/store/") && !key_ok {
        // Writes come only from ipscope commands that can read the daemon file.
        ApiError {
            status: StatusCode::FORBIDDEN,
            message:
                "the store routes are for ipscope commands on this machine (they read the key from the daemon file)"
                    .into(),
        }
        .into_response()
    } else if let Some(token) = &state.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if same_secret(given.as_bytes(), token.as_bytes()) {
            next.run(req).await
        } else {
            let mut r = ApiError { status: StatusCode::UNAUTHORIZED, message: "missing or wrong bearer token".into() }
                .into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
    } else {
        next.run(req).await
    };
    // Route templates are a fixed set: a bounded label.
    let route: &'static str = ROUTES.iter().copied().find(|r| *r == route).unwrap_or("unmatched");
    state.metrics.http_requests.get_or_create(&RouteLabels { method, route, status: response.status().as_u16() }).inc();
    state.metrics.http_seconds.get_or_create(&SourceLabel { source: route }).observe(started.elapsed().as_secs_f64());
    response
}

/// The route templates, as label values.
const ROUTES: &[&str] = &[
    "/",
    "/assets/{file}",
    "/api",
    "/api/health",
    "/api/info",
    "/api/live",
    "/api/reports",
    "/api/report/{name}",
    "/api/sql",
    "/api/status",
    "/api/lookup",
    "/api/blocklist",
    "/metrics",
    "/api/store/find-inputs",
    "/api/store/named-input",
    "/api/store/input-id",
    "/api/store/commit",
    "/api/store/addresses",
    "/api/store/inputs",
    "/api/store/purge",
    "/api/store/checkpoint",
    "/api/store/ptr",
];

async fn index() -> Response {
    let text = "ipscope daemon\n\n\
GET /api/reports                     the report catalogue\n\
GET /api/report/NAME?since=7d&top=10 a report, with `ipscope report`'s flags as parameters\n\
GET /api/sql?q=SELECT...             a read-only SQL query (or POST the query)\n\
GET /api/status                      what `ipscope status` says\n\
GET /api/lookup?ip=ADDR[,ADDR]       what `ipscope lookup` says\n\
GET /api/blocklist?format=cidr       what `ipscope blocklist` prints (plain, cidr, ipset, nftables, csv)\n\
GET /metrics                         Prometheus metrics\n\n\
Add format=json|ndjson|csv|tsv|markdown (default json).\n";
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The dashboard: one page and its assets, embedded in the binary (no request leaves this
/// origin; uPlot is vendored from npm with its licence, `scripts/vendor-uplot.sh`).
const INDEX_HTML: &str = include_str!("dashboard/index.html");
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("dashboard/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("dashboard/app.css")),
    ("uPlot.iife.min.js", "text/javascript; charset=utf-8", include_str!("dashboard/vendor/uPlot.iife.min.js")),
    ("uPlot.min.css", "text/css; charset=utf-8", include_str!("dashboard/vendor/uPlot.min.css")),
    ("LICENSE-uPlot.txt", "text/plain; charset=utf-8", include_str!("dashboard/vendor/LICENSE-uPlot")),
    ("icon.svg", "image/svg+xml", include_str!("dashboard/icon.svg")),
];
/// Only this origin, no inline script or style: data shown on the page can never run.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn dashboard() -> Response {
    let html = INDEX_HTML.replace("__VERSION__", env!("CARGO_PKG_VERSION"));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, ctype, body)) => (
            [
                (header::CONTENT_TYPE, *ctype),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                // Versioned by the page (?v=VERSION): cache for a day.
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        None => ApiError { status: StatusCode::NOT_FOUND, message: format!("no asset {file:?}") }.into_response(),
    }
}

/// What the dashboard needs to draw its controls: version, zones, home networks, and which
/// formats, kinds and sensors the store holds.
async fn info(St(state): St<Shared>) -> ApiResult {
    let zone = zone_name(state.ctx.cfg.tz.as_ref());
    let home = !state.ctx.cfg.home.is_empty();
    let (kinds, sensors, span) = blocking(move || {
        let b = state.backend()?;
        let kinds = b
            .query(
                "SELECT CAST(format AS VARCHAR), CAST(kind AS VARCHAR), count(*) FROM events GROUP BY ALL ORDER BY ALL",
            )
            .map_err(ApiError::store)?;
        let sensors = b
            .query("SELECT sensor FROM events WHERE sensor IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 100")
            .map_err(ApiError::store)?;
        let span = b.query("SELECT lo, hi FROM events_span").map_err(ApiError::store)?;
        Ok((kinds, sensors, span))
    })
    .await?;
    let iso = |v: Option<&Value>| match v {
        Some(Value::Timestamp(t)) => {
            chrono::DateTime::from_timestamp_micros(*t).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        _ => None,
    };
    let first = span.rows.first().and_then(|r| iso(r.first()));
    let last = span.rows.first().and_then(|r| iso(r.get(1)));
    let mut formats = serde_json::Map::new();
    let mut by_kind = serde_json::Map::new();
    for r in &kinds.rows {
        let (f, k, n) = (r[0].render(), r[1].render(), r[2].as_i64().unwrap_or(0));
        let add = |m: &mut serde_json::Map<String, serde_json::Value>, key: String| {
            let v = m.get(&key).and_then(serde_json::Value::as_i64).unwrap_or(0) + n;
            m.insert(key, v.into());
        };
        add(&mut formats, f);
        add(&mut by_kind, k);
    }
    let body = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "zone": zone,
        "home_networks": home,
        "formats": formats,
        "kinds": by_kind,
        "sensors": sensors.rows.iter().map(|r| r[0].render()).collect::<Vec<_>>(),
        "first": first,
        "last": last,
    });
    json_response(&body)
}

/// An IANA name for the configured zone (the machine's for `local`), as browsers know them;
/// `None` for fixed offsets and when the machine's zone has no name.
fn zone_name(tz: Option<&ipscope_formats::Zone>) -> Option<String> {
    use ipscope_formats::Zone;
    match tz.unwrap_or(&Zone::Local) {
        Zone::Utc => Some("UTC".into()),
        Zone::Named(tz) => Some(tz.name().to_owned()),
        Zone::Fixed(_) => None,
        Zone::Local => std::env::var("TZ")
            .ok()
            .map(|t| t.trim_start_matches(':').to_owned())
            .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
            .or_else(|| std::fs::read_to_string("/etc/timezone").ok().map(|t| t.trim().to_owned()))
            .or_else(|| {
                std::fs::read_link("/etc/localtime").ok().and_then(|p| {
                    let s = p.to_string_lossy().into_owned();
                    s.split_once("zoneinfo/").map(|(_, z)| z.to_owned())
                })
            })
            .filter(|t| t.parse::<chrono_tz::Tz>().is_ok()),
    }
}

/// Server-sent events on this origin: `commit` whenever the data changed (at most every
/// [`LIVE_TICK`]), a comment every 15 s to keep proxies from closing the stream. Same port as
/// the page, so it works behind a reverse proxy (`X-Accel-Buffering: no` for nginx).
async fn live(St(state): St<Shared>) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let start = state.writer.commits();
    let stream = futures_util::stream::unfold((state, start), |(state, last)| async move {
        loop {
            tokio::time::sleep(LIVE_TICK).await;
            let now = state.writer.commits();
            if now != last {
                let event = Event::default().event("commit").data(now.to_string());
                return Some((Ok::<_, std::convert::Infallible>(event), (state, now)));
            }
        }
    });
    let mut r =
        Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))).into_response();
    r.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// How often a live stream looks for new commits.
const LIVE_TICK: std::time::Duration = std::time::Duration::from_millis(200);

async fn health(St(state): St<Shared>) -> Response {
    let body = serde_json::json!({
        "ipscope": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "database": state.database,
    });
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The output format asked for with `format=` (default json).
fn format_param(pairs: &[(String, String)]) -> Result<OutputFormat, ApiError> {
    match pairs.iter().rev().find(|(k, _)| k == "format").map(|(_, v)| v.as_str()) {
        None | Some("json") => Ok(OutputFormat::Json),
        Some("ndjson") => Ok(OutputFormat::Ndjson),
        Some("csv") => Ok(OutputFormat::Csv),
        Some("tsv") => Ok(OutputFormat::Tsv),
        Some("markdown") => Ok(OutputFormat::Markdown),
        Some(other) => Err(ApiError::bad(format!("format={other}: expected json, ndjson, csv, tsv or markdown"))),
    }
}

/// A table in the asked-for format, with its content type (csv/tsv with the formula guard).
fn render(t: &Table, format: OutputFormat, sep: char) -> ApiResult {
    render_with(t, format, sep, true, true)
}

/// `no_formula_guard=true`: csv/tsv text exactly as stored, for programs (see `output::escape`).
fn no_formula_guard(pairs: &[(String, String)]) -> bool {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "no_formula_guard")
        .is_some_and(|(_, v)| matches!(v.as_str(), "" | "true" | "1" | "yes"))
}

/// [`render`] with its choices: `iso_times: false` writes times as they are (a report's local
/// wall-clock hours under `tz=` are no UTC instants, so no ISO `Z`); `formula_guard: false` is
/// `no_formula_guard=true`.
fn render_with(t: &Table, format: OutputFormat, sep: char, iso_times: bool, formula_guard: bool) -> ApiResult {
    let mut body = Vec::new();
    let style = Style { format, sep, header: true, iso_times, formula_guard };
    output::write_table(&mut body, t, style).map_err(|e| ApiError::bad(e.to_string()))?;
    let ctype = match format {
        OutputFormat::Json => "application/json",
        OutputFormat::Ndjson => "application/x-ndjson",
        OutputFormat::Csv => "text/csv; charset=utf-8",
        OutputFormat::Tsv => "text/tab-separated-values; charset=utf-8",
        OutputFormat::Markdown | OutputFormat::Table => "text/markdown; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, ctype)], body).into_response())
}

async fn reports(Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    render(&crate::commands::query::catalogue_table(), format_param(&pairs)?, ',')
}

/// `ReportCmd` parsed from API parameters by the CLI's definitions.
#[derive(clap::Parser, Debug)]
#[command(name = "report", no_binary_name = true, disable_help_flag = true)]
struct ApiReport {
    #[command(flatten)]
    cmd: ReportCmd,
}

/// Query parameters → the arguments `ipscope report NAME` would take.
fn report_args(name: &str, pairs: &[(String, String)]) -> Result<ReportCmd, ApiError> {
    // The daemon's environment must not set a request's defaults: no env twins here.
    let cmd = ApiReport::command().mut_args(|a| a.env(None::<&str>));
    let argv = flags_argv(&cmd, vec![name.to_owned()], pairs, API_PARAMS, REFUSED_FLAGS, "ipscope report --help")?;
    let matches = cmd.try_get_matches_from(argv).map_err(|e| ApiError::bad(e.render().to_string().trim()))?;
    let mut parsed = ApiReport::from_arg_matches(&matches).map_err(|e| ApiError::bad(e.to_string().trim()))?;
    // The API's times are UTC (ISO 8601 with Z) unless a request asks for a zone's days.
    parsed.cmd.report.tz.get_or_insert(ipscope_formats::Zone::Utc);
    Ok(parsed.cmd)
}

/// `key=value` query parameters as the flags of `cmd` (`--key=value`, `--flag` for true),
/// after `argv`; `skip` are the API's own, `refused` are not for HTTP.
fn flags_argv(
    cmd: &clap::Command,
    mut argv: Vec<String>,
    pairs: &[(String, String)],
    skip: &[&str],
    refused: &[&str],
    help: &str,
) -> Result<Vec<String>, ApiError> {
    for (key, value) in pairs {
        let flag = key.replace('_', "-");
        if skip.contains(&flag.as_str()) {
            continue; // the API's own
        }
        if refused.contains(&flag.as_str()) {
            return Err(ApiError::bad(format!("{key}: not available over HTTP")));
        }
        let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(flag.as_str())) else {
            return Err(ApiError::bad(format!("unknown parameter {key:?} (the flags of `{help}`)")));
        };
        if arg.get_action().takes_values() {
            argv.push(format!("--{flag}={value}"));
        } else {
            match value.as_str() {
                "" | "true" | "1" | "yes" => argv.push(format!("--{flag}")),
                "false" | "0" | "no" => {}
                other => return Err(ApiError::bad(format!("{key}={other}: expected true or false"))),
            }
        }
    }
    Ok(argv)
}

/// `BlocklistArgs` parsed from API parameters by the CLI's definitions.
#[derive(clap::Parser, Debug)]
#[command(name = "blocklist", no_binary_name = true, disable_help_flag = true)]
struct ApiBlocklist {
    #[command(flatten)]
    cmd: crate::cli::BlocklistArgs,
}

/// `GET /api/blocklist?format=cidr&ban=1h&...`: what `ipscope blocklist` prints, for firewalls to
/// pull (`format=plain|cidr|ipset|nftables|csv`; 200 with an empty body when nobody is listed).
async fn blocklist(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let cmd = ApiBlocklist::command().mut_args(|a| a.env(None::<&str>));
    let argv = flags_argv(&cmd, Vec::new(), &pairs, &[], &["output"], "ipscope blocklist --help")?;
    let matches = cmd.try_get_matches_from(argv).map_err(|e| ApiError::bad(e.render().to_string().trim()))?;
    let args = ApiBlocklist::from_arg_matches(&matches).map_err(|e| ApiError::bad(e.to_string().trim()))?.cmd;
    let ctype = match args.format {
        crate::cli::ListFormatArg::Csv => "text/csv; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    let text = blocking(move || {
        let backend = state.backend()?;
        crate::commands::blocklist::text(&state.ctx, &args, &backend).map_err(ApiError::any)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "no-cache")], text).into_response())
}

async fn report(
    St(state): St<Shared>,
    Path(name): Path<String>,
    Params(pairs): Params<Vec<(String, String)>>,
) -> ApiResult {
    let format = format_param(&pairs)?;
    let chart = chart_param(&pairs)?;
    let cmd = report_args(&name, &pairs)?;
    let (sep, guard) = (cmd.output.sep, !cmd.output.no_formula_guard);
    // Local wall-clock buckets (`tz=`) are not UTC instants: no `Z` on them.
    let local = cmd.report.tz != Some(ipscope_formats::Zone::Utc);
    let charted = chart.is_some();
    let (t, title) = blocking(move || {
        let backend = state.backend()?;
        let (t, r) = crate::commands::query::report_table(&state.ctx, &cmd, &backend).map_err(ApiError::any)?;
        let t = if charted {
            crate::commands::query::chart_table(&state.ctx, &cmd, &backend, t).map_err(ApiError::any)?
        } else {
            t
        };
        Ok((t, format!("ipscope report {}", r.name)))
    })
    .await?;
    match chart {
        None => render_with(&t, format, sep, !local, guard),
        Some((image, kind, log)) => {
            let bytes = tokio::task::spawn_blocking(move || crate::chart::render(&t, &title, log, kind, image))
                .await
                .map_err(|e| ApiError::bad(e.to_string()))?
                .map_err(|e| ApiError::bad(format!("{e:#}")))?;
            let ctype = match image {
                crate::chart::ImageFormat::Svg => "image/svg+xml",
                crate::chart::ImageFormat::Png => "image/png",
            };
            Ok(([(header::CONTENT_TYPE, ctype), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")], bytes).into_response())
        }
    }
}

/// `chart=svg|png` (with `chart_type=auto|map|bars|lines`, `log_scale=true`): the report drawn
/// as `ipscope report --chart` draws it.
fn chart_param(
    pairs: &[(String, String)],
) -> Result<Option<(crate::chart::ImageFormat, crate::chart::ChartType, bool)>, ApiError> {
    use clap::ValueEnum;
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key.replace('-', "_") == k).map(|(_, v)| v.as_str());
    let image = match get("chart") {
        None => return Ok(None),
        Some("svg") => crate::chart::ImageFormat::Svg,
        Some("png") => crate::chart::ImageFormat::Png,
        Some(other) => return Err(ApiError::bad(format!("chart={other}: expected svg or png"))),
    };
    let kind = match get("chart_type") {
        None => crate::chart::ChartType::Auto,
        Some(v) => crate::chart::ChartType::from_str(v, true)
            .map_err(|_| ApiError::bad(format!("chart_type={v}: expected auto, map, bars or lines")))?,
    };
    let log = matches!(get("log_scale"), Some("true" | "1" | "yes" | ""));
    Ok(Some((image, kind, log)))
}

async fn run_sql(state: Shared, sql: String, pairs: Vec<(String, String)>) -> ApiResult {
    if pairs.iter().any(|(k, v)| k == "format" && v == "arrow") {
        // Arrow IPC batches (`ipscope export` through the daemon); read-only like every query here.
        let body = blocking(move || {
            let b = state.backend()?;
            b.reader.check_read_only(&sql).map_err(ApiError::store)?;
            let batches = b.reader.query_arrow(&sql).map_err(ApiError::store)?;
            let mut out = Vec::new();
            wire::put_batches(&mut out, &batches).map_err(ApiError::store)?;
            Ok(out)
        })
        .await?;
        return Ok(([(header::CONTENT_TYPE, "application/vnd.apache.arrow.stream")], body).into_response());
    }
    let wire_format = pairs.iter().any(|(k, v)| k == "format" && v == "wire");
    let format = if wire_format { OutputFormat::Json } else { format_param(&pairs)? };
    if sql.trim().is_empty() {
        return Err(ApiError::bad("no query: pass q=SELECT... or POST the query"));
    }
    let t = blocking(move || state.backend()?.query_user(&sql).map_err(ApiError::store)).await?;
    if wire_format {
        return Ok(([(header::CONTENT_TYPE, "application/json")], wire::table_to_json(&t)).into_response());
    }
    render_with(&t, format, ',', true, !no_formula_guard(&pairs))
}

async fn sql_get(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let sql = pairs.iter().find(|(k, _)| k == "q").map(|(_, v)| v.clone()).unwrap_or_default();
    run_sql(state, sql, pairs).await
}

async fn sql_post(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>, body: Bytes) -> ApiResult {
    let sql = String::from_utf8(body.to_vec()).map_err(|_| ApiError::bad("the query is not UTF-8"))?;
    run_sql(state, sql, pairs).await
}

async fn status(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let format = pairs.iter().find(|(k, _)| k == "format").map(|_| format_param(&pairs)).transpose()?;
    let (lines, inputs) = blocking(move || {
        let backend = state.backend()?;
        crate::commands::query::status_info(&state.ctx, &state.data, &backend).map_err(ApiError::any)
    })
    .await?;
    match format {
        // A table format asked for: the inputs table, like `ipscope status` prints on stdout.
        Some(f) if f != OutputFormat::Json => render(&inputs, f, ','),
        _ => {
            let mut buf = Vec::new();
            output::write_table(
                &mut buf,
                &inputs,
                Style { format: OutputFormat::Json, sep: ',', header: true, iso_times: true, formula_guard: true },
            )
            .map_err(|e| ApiError::bad(e.to_string()))?;
            let inputs: serde_json::Value = serde_json::from_slice(&buf).unwrap_or_default();
            let body = serde_json::json!({ "status": lines, "inputs": inputs });
            Ok(([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response())
        }
    }
}

async fn lookup(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let format = format_param(&pairs)?;
    let mut addrs: Vec<IpAddr> = Vec::new();
    for (k, v) in &pairs {
        if k == "ip" {
            for a in v.split(',').filter(|a| !a.is_empty()) {
                addrs
                    .push(a.trim().parse().map_err(|_| ApiError::bad(format!("ip={a}: not an IPv4 or IPv6 address")))?);
            }
        }
    }
    if addrs.is_empty() {
        return Err(ApiError::bad("pass ip=ADDR (several: ip=A,B)"));
    }
    let t = blocking(move || {
        let backend = state.backend()?;
        crate::commands::enrich::lookup_table(&state.enricher, Some(&backend), &addrs).map_err(ApiError::any)
    })
    .await?;
    render(&t, format, ',')
}

async fn metrics(St(state): St<Shared>) -> ApiResult {
    let size: u64 = [state.database.clone(), state.database.with_extension("duckdb.wal")]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    state.metrics.store_size_bytes.set(i64::try_from(size).unwrap_or(i64::MAX));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &state.registry)
        .map_err(|e| ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: e.to_string() })?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response())
}

fn json_response<T: serde::Serialize>(v: &T) -> ApiResult {
    let body = serde_json::to_vec(v).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn store_find_inputs(St(state): St<Shared>, body: Bytes) -> ApiResult {
    let v = blocking(move || state.backend()?.find_inputs(&body).map_err(ApiError::store)).await?;
    json_response(&v)
}

async fn store_named_input(St(state): St<Shared>, body: Bytes) -> ApiResult {
    let name = String::from_utf8(body.to_vec()).map_err(|_| ApiError::bad("input name is not UTF-8"))?;
    let v = blocking(move || state.backend()?.find_named_input(&name).map_err(ApiError::store)).await?;
    json_response(&v)
}

async fn store_input_id(St(state): St<Shared>) -> ApiResult {
    let v = blocking(move || state.backend()?.new_input_id().map_err(ApiError::store)).await?;
    json_response(&v)
}

async fn store_commit(St(state): St<Shared>, body: Bytes) -> ApiResult {
    let (mut progress, batch) = crate::daemon::read_commit(&body).map_err(ApiError::store)?;
    let v = blocking(move || {
        state.backend()?.commit_batch(&mut progress, batch).map_err(ApiError::store)?;
        Ok(progress)
    })
    .await?;
    json_response(&v)
}

async fn store_addresses(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let which = pairs.iter().find(|(k, _)| k == "which").map(|(_, v)| v.clone()).unwrap_or_default();
    let ips = blocking(move || {
        let b = state.backend()?;
        match which.as_str() {
            "enriched" => b.enriched_addresses().map_err(ApiError::store),
            "sources" => b.source_addresses().map_err(ApiError::store),
            _ => Err(ApiError::bad("which=enriched|sources")),
        }
    })
    .await?;
    let mut body = Vec::with_capacity(ips.len() * 16);
    for ip in ips {
        let _ = writeln!(body, "{ip}");
    }
    Ok(([(header::CONTENT_TYPE, "text/plain")], body).into_response())
}

async fn store_add_addresses(
    St(state): St<Shared>,
    Params(pairs): Params<Vec<(String, String)>>,
    body: Bytes,
) -> ApiResult {
    let replace = pairs.iter().any(|(k, v)| k == "replace" && v == "true");
    let mut input: &[u8] = &body;
    let batches = wire::take_address_batches(&mut input).map_err(ApiError::store)?;
    let n = blocking(move || state.backend()?.store_addresses(batches, replace).map_err(ApiError::store)).await?;
    json_response(&n)
}

async fn store_inputs(St(state): St<Shared>) -> ApiResult {
    let v = blocking(move || state.backend()?.inputs().map_err(ApiError::store)).await?;
    json_response(&v)
}

async fn store_purge(St(state): St<Shared>, Params(pairs): Params<Vec<(String, String)>>) -> ApiResult {
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let cutoff: i64 = get("cutoff").and_then(|c| c.parse().ok()).ok_or_else(|| ApiError::bad("cutoff=MICROS"))?;
    let commit = get("commit").as_deref() == Some("true");
    let v = blocking(move || state.backend()?.purge(cutoff, commit).map_err(ApiError::store)).await?;
    json_response(&v)
}

async fn store_ptr(St(state): St<Shared>, body: Bytes) -> ApiResult {
    let rows: Vec<ipscope_store::PtrRecord> =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad(format!("bad reverse DNS rows: {e}")))?;
    blocking(move || state.backend()?.store_ptrs(rows).map_err(ApiError::store)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn store_checkpoint(St(state): St<Shared>) -> ApiResult {
    blocking(move || state.backend()?.checkpoint().map_err(ApiError::store)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
