//! `ipscope serve`: the daemon. Starts the writer, the live sources (followed files, journal,
//! syslog) and the HTTP API; stops them in order on SIGTERM / SIGINT, committing what was read.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ipscope_enrich::AddressBook;
use ipscope_formats::{ClockConfig, ParseOptions, YearRule, Zone};
use ipscope_ingest::follow::FollowConfig;
use ipscope_ingest::journal::{DEFAULT_IDENTIFIERS, JournalConfig};
use ipscope_ingest::live::{Context, DEFAULT_FLUSH};
use ipscope_ingest::metrics::Metrics;
use ipscope_ingest::syslog::{Listeners, SyslogConfig};
use ipscope_ingest::writer::Writer;
use ipscope_store::Store;
use tracing::{error, info};

use super::Ctx;
use crate::cli::ServeArgs;
use crate::daemon::{DAEMON_FILE, DaemonInfo};

/// The API's port when neither `--listen` nor the config names one.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8479);
/// How often followed files are looked at.
const POLL: Duration = Duration::from_millis(200);

/// The daemon's settings: flag, else environment (clap), else `[serve]` in the config, else default.
pub struct Settings {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub follow: Vec<String>,
    pub journal: Option<JournalConfig>,
    pub syslog: Option<SyslogConfig>,
    pub parse: ParseOptions,
    pub follow_format: Option<ipscope_formats::FormatKind>,
    pub enrich: bool,
    pub memory_limit: String,
}

impl Settings {
    pub fn resolve(ctx: &Ctx, a: &ServeArgs) -> Result<Settings> {
        let c = &ctx.cfg.serve;
        let delimiter = match a.delimiter {
            Some(ch) if ch.is_ascii() => ch as u8,
            Some(ch) => bail!("--delimiter must be one ASCII character, got {ch:?}"),
            None => ctx.cfg.delimiter.unwrap_or(b'|'),
        };
        let zone = a.tz.clone().or_else(|| ctx.cfg.tz.clone()).unwrap_or(Zone::Local);
        let parse = ParseOptions { clock: ClockConfig { zone, year: YearRule::Reference }, delimiter };
        let follow = if a.follow.is_empty() { c.follow.clone() } else { a.follow.clone() };
        let journal_wanted =
            a.journal || !a.journal_files.is_empty() || a.journal_directory.is_some() || c.journal == Some(true);
        let journal = journal_wanted.then(|| JournalConfig {
            journalctl: PathBuf::from("journalctl"),
            directory: a.journal_directory.clone().or_else(|| c.journal_directory.clone()),
            files: a.journal_files.clone(),
            identifiers: c
                .journal_identifiers
                .clone()
                .unwrap_or_else(|| DEFAULT_IDENTIFIERS.iter().map(|s| (*s).to_owned()).collect()),
            parse: parse.clone(),
        });
        let udp = a.syslog_udp.or(c.syslog_udp);
        let tcp = a.syslog_tcp.or(c.syslog_tcp);
        let syslog = (udp.is_some() || tcp.is_some()).then(|| SyslogConfig { udp, tcp, parse: parse.clone() });
        let s = Settings {
            listen: a.listen.or(c.listen).unwrap_or(DEFAULT_LISTEN),
            token: a.token.clone().or_else(|| c.token.clone()).filter(|t| !t.is_empty()),
            follow,
            journal,
            syslog,
            parse,
            follow_format: a.follow_format,
            enrich: !a.no_enrich,
            memory_limit: a.memory_limit.clone().or_else(|| c.memory_limit.clone()).unwrap_or_else(|| "1GB".into()),
        };
        if !s.listen.ip().is_loopback() && s.token.is_none() {
            bail!(
                "--listen {} is reachable from other hosts: set a bearer token (--token, IPSCOPE_TOKEN, or `token` in [serve]) \
                 so only those who know it can read the data, or listen on 127.0.0.1",
                s.listen
            );
        }
        if s.memory_limit.is_empty()
            || !s.memory_limit.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == ' ')
        {
            bail!("--memory-limit {:?}: expected a size such as 1GB or 512MB", s.memory_limit);
        }
        Ok(s)
    }
}

/// The URL other processes on this machine use to reach `addr`.
fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

pub fn run(ctx: Ctx, a: ServeArgs) -> Result<ExitCode> {
    if let Some(url) = &ctx.store {
        anyhow::bail!(
            "serve keeps its events in the embedded database; --store {url} (a ClickHouse cluster) is \
             supported by ingest, report, sql, status, lookup, enrich and purge, not by the daemon yet"
        );
    }
    let s = Settings::resolve(&ctx, &a)?;
    let data = ctx.data_dir()?;
    if let Some(c) = crate::daemon::find(&ctx, &data)? {
        drop(c);
        bail!("an ipscope daemon already serves {} (see {})", data.display(), data.join(DAEMON_FILE).display());
    }
    let store = Store::open(&data)?;
    store.tune_for_daemon(&s.memory_limit)?;
    let database = store.path().map(ToOwned::to_owned).unwrap_or_else(|| data.join(ipscope_store::DB_FILE));
    let enricher = if s.enrich {
        let e = super::enrich::enricher(&ctx, &data)
            .context("cannot use the GeoIP databases (--no-enrich runs without enrichment)")?;
        let mut err = io::stderr().lock();
        for line in super::enrich::describe(&e) {
            writeln!(err, "{line}")?;
        }
        (!e.is_empty()).then(|| Arc::new(e))
    } else {
        None
    };
    let book = match &enricher {
        Some(_) => AddressBook::new(store.enriched_addresses()?),
        None => AddressBook::default(),
    };
    let root = store.reader()?;
    let (writer, handle) = Writer::spawn(store).context("cannot start the store writer")?;
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = Metrics::new(&mut registry, env!("CARGO_PKG_VERSION"), crate::GIT_COMMIT);
    let stop = Arc::new(AtomicBool::new(false));
    let live = Context {
        writer: handle.clone(),
        reader: root.reader()?,
        enrich: enricher.clone(),
        book: Arc::new(Mutex::new(book)),
        metrics: metrics.clone(),
        stop: Arc::clone(&stop),
        batch_events: super::ingest::batch_events(),
        flush_after: DEFAULT_FLUSH,
    };

    // Bind everything before saying we are ready: a taken port fails the start, not later.
    let listeners = s.syslog.as_ref().map(Listeners::bind).transpose()?;
    let http = std::net::TcpListener::bind(s.listen).with_context(|| format!("cannot listen on {}", s.listen))?;
    let bound = http.local_addr()?;
    let mut threads = Vec::new();
    let spawn = |name: &str, f: Box<dyn FnOnce() -> Result<()> + Send>| {
        std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            if let Err(e) = f() {
                error!(error = format!("{e:#}"), "source stopped");
            }
        })
    };
    let mut said =
        vec![format!("ipscope {} serving {} at {}", env!("CARGO_PKG_VERSION"), database.display(), local_url(bound))];
    if !s.follow.is_empty() {
        let c = live.fork()?;
        let cfg = FollowConfig { globs: s.follow.clone(), format: s.follow_format, parse: s.parse.clone(), poll: POLL };
        said.push(format!("following {}", s.follow.join(", ")));
        threads.push(spawn("ipscope-follow", Box::new(move || Ok(ipscope_ingest::follow::run(&c, &cfg)?)))?);
    }
    if let Some(j) = s.journal.clone() {
        let c = live.fork()?;
        said.push(format!("reading the journal ({})", j.input_name()));
        threads.push(spawn("ipscope-journal", Box::new(move || Ok(ipscope_ingest::journal::run(&c, &j)?)))?);
    }
    if let Some(at) = ctx.cfg.maint.at.as_deref() {
        let at = crate::schedule::parse_time_of_day(at)?;
        let mail = super::maint::mail_settings(&ctx, &crate::cli::MailArgs::default());
        if mail.to.is_empty() {
            bail!("[maint] at is set but [maint] email names no recipient");
        }
        let zone = ctx.cfg.tz.clone().unwrap_or(Zone::Local);
        let job = NightlyMaint {
            base: super::query::base_params(&ctx, ctx.cfg.maint.top.unwrap_or(20), ctx.cfg.maint.ratio.unwrap_or(0.05)),
            purge_days: ctx.cfg.maint.purge_days.unwrap_or(10),
            purge: ctx.cfg.maint.purge,
            mail,
        };
        job.base.validate()?;
        let backend = live.backend()?;
        let stop = Arc::clone(&stop);
        said.push(format!(
            "nightly report at {at} ({zone}) to {}{}",
            job.mail.to.join(", "),
            if job.purge { format!(", purging events older than {} days", job.purge_days) } else { String::new() }
        ));
        threads.push(spawn("ipscope-maint", Box::new(move || run_schedule(&job, backend, at, zone, &stop)))?);
    }
    let (mut syslog_udp, mut syslog_tcp) = (None, None);
    if let Some(l) = listeners {
        let (udp, tcp) = l.local_addrs();
        (syslog_udp, syslog_tcp) = (udp, tcp);
        if let Some(u) = udp {
            said.push(format!("syslog on udp {u}"));
        }
        if let Some(t) = tcp {
            said.push(format!("syslog on tcp {t}"));
        }
        let c = live.fork()?;
        threads.push(spawn("ipscope-syslog", Box::new(move || Ok(l.run(&c)?)))?);
    }

    let info = DaemonInfo {
        pid: std::process::id(),
        url: local_url(bound),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database.clone(),
        syslog_udp,
        syslog_tcp,
    };
    let key = crate::daemon::new_key().context("cannot make a key for the daemon file")?;
    let info_path = data.join(DAEMON_FILE);
    ipscope_store::owner::write_owner(&data, &serde_json::to_vec_pretty(&info)?, key.as_bytes())
        .with_context(|| format!("cannot write {}", info_path.display()))?;
    {
        let mut err = io::stderr().lock();
        for l in &said {
            writeln!(err, "{l}")?;
        }
    }
    info!(url = %info.url, "ready");

    let state = crate::api::State::new(
        ctx,
        data.clone(),
        database,
        handle,
        root,
        registry,
        metrics,
        s.token.clone(),
        key,
        enricher,
    );
    let served = crate::api::serve(http, state);
    // Whatever happened to the server: stop the sources, commit, close.
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    drop(live);
    writer.finish();
    if let Err(e) = ipscope_store::owner::remove_owner(&data) {
        error!(error = %e, file = %info_path.display(), "cannot remove the daemon file");
    }
    served?;
    writeln!(io::stderr(), "ipscope serve stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// The nightly maint of `[maint]`: what to purge and whom to mail.
struct NightlyMaint {
    base: ipscope_report::Params,
    purge_days: u32,
    purge: bool,
    mail: crate::mail::MailSettings,
}

impl NightlyMaint {
    /// One run: purge (if configured), the document, the mail.
    fn run(&self, backend: &mut ipscope_ingest::live::LiveBackend, now: i64) -> Result<()> {
        use ipscope_store::Backend;
        let cutoff = now - i64::from(self.purge_days) * 86_400_000_000;
        let purged = backend.purge(cutoff, self.purge)?;
        let mut doc = Vec::new();
        super::maint::write_document(&mut doc, backend, &self.base, now, self.purge_days, purged)?;
        let subject = crate::mail::subject(&ipscope_store::format_timestamp(now - now % 60_000_000));
        crate::mail::send(&self.mail, &subject, &String::from_utf8_lossy(&doc))
    }
}

/// Runs `job` every day at `at` in `zone` (retrying failures, see `schedule`) until `stop`.
fn run_schedule(
    job: &NightlyMaint,
    mut backend: ipscope_ingest::live::LiveBackend,
    at: chrono::NaiveTime,
    zone: Zone,
    stop: &AtomicBool,
) -> Result<()> {
    use crate::schedule::{After, Plan};
    let mut plan = Plan::new(chrono::Utc::now(), at, zone);
    info!(next = %plan.next, "nightly report scheduled");
    while !stop.load(Ordering::Relaxed) {
        let now = chrono::Utc::now();
        if !plan.due(now) {
            let wait = (plan.next - now).to_std().unwrap_or_default().min(Duration::from_millis(500));
            std::thread::sleep(wait.max(Duration::from_millis(10)));
            continue;
        }
        let outcome = job.run(&mut backend, now.timestamp_micros());
        let ok = outcome.is_ok();
        match (plan.finish(chrono::Utc::now(), ok), outcome) {
            (After::Done, _) => info!(to = %job.mail.to.join(", "), next = %plan.next, "nightly report mailed"),
            (After::Retry { attempt }, Err(e)) => {
                error!(error = format!("{e:#}"), attempt, retry_at = %plan.next, "nightly report failed; will retry")
            }
            (_, Err(e)) => {
                error!(error = format!("{e:#}"), next = %plan.next, "nightly report failed; giving up until the next run")
            }
            (_, Ok(())) => {}
        }
    }
    Ok(())
}
