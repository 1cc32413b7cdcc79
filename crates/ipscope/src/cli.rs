//! Command-line definitions (clap). Every flag has an `IPSCOPE_*` environment twin.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::OutputFormat;

#[derive(Parser, Debug)]
#[command(
    name = "ipscope",
    version = crate::LONG_VERSION,
    about = "Security logs in, answers out: who is hammering us, who got in, and from where.",
    long_about = "ipscope ingests sshd/PAM syslog, iptracking exports, Cowrie honeypot JSON, Zeek \
conn.log, Cisco ASA syslog and IntelMQ/Shadowserver feed events into an embedded DuckDB store and \
answers the classic questions: top source addresses and users, brute-force suspects, sessions \
still open from off-campus, busy networks and ports, scanners, honeypot attackers, feed trends.",
    after_help = "Examples:\n  \
  ipscope demo                                   generate SSH activity and print the nightly report\n  \
  ipscope ingest /var/log/auth.log*              ingest logs (.gz/.zst, dirs, globs, - for stdin)\n  \
  ipscope report top-ips -N 10                   top 10 source addresses\n  \
  ipscope report low-success --by user -s 0.1    brute-force suspects by user\n  \
  ipscope report nets --prefix 16                activity per /16\n  \
  ipscope report countries --chart map.svg       where attacks come from, on a world map\n  \
  ipscope lookup 203.0.113.7                     location, ASN, prefix and activity of an address\n  \
  ipscope maint -p 10 --commit                   purge events older than 10 days, print all reports\n  \
  ipscope report trends --by country             which countries are rising\n  \
  ipscope blocklist --format nftables            current offenders as an nft -f set\n  \
  ipscope export --since 30d --output events/    Parquet per day for notebooks\n  \
  ipscope sql \"SELECT kind, count(*) FROM events GROUP BY 1\" --format csv --sep ' '\n\n\
Exit codes: 0 success (also when output is cut by a closed pipe), 1 error, 2 usage error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct Global {
    /// Data directory holding the database [default: the per-user data dir, e.g. ~/.local/share/ipscope]
    #[arg(long, global = true, env = "IPSCOPE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Store events on a ClickHouse cluster instead of the embedded database in --data:
    /// clickhouse://HOST:HTTP_PORT/DATABASE?cluster=NAME (`scripts/clickhouse-cluster.sh start`
    /// prints one; the schema is created on first ingest) [default: the config's `[store] url`, else
    /// the embedded database]
    #[arg(long, global = true, env = "IPSCOPE_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// Configuration file (TOML) [default: ~/.config/ipscope/config.toml when it exists]
    #[arg(long, global = true, env = "IPSCOPE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// GeoIP / ASN databases (.mmdb files or directories of them, `builtin` for the built-in country
    /// database; repeat or comma-separate) [default: the config's `geoip`, else *.mmdb in the data dir,
    /// /var/lib/GeoIP, /usr/share/GeoIP, /usr/local/share/GeoIP, else the built-in country database]
    #[arg(long, global = true, env = "IPSCOPE_GEOIP", value_delimiter = ',', value_name = "PATH")]
    pub geoip: Vec<PathBuf>,
    /// Seconds to wait for another process (another `ingest`, a report during an ingest) that
    /// holds the database file, before giving up
    #[arg(long, global = true, env = "IPSCOPE_LOCK_WAIT", value_name = "SECONDS",
          default_value_t = crate::daemon::DEFAULT_LOCK_WAIT_SECS)]
    pub lock_wait: u64,
    /// More diagnostics on stderr (-v info, -vv debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read log files into the store (files, directories, globs, .gz, .zst, - for stdin)
    #[command(after_help = "Re-ingesting a file adds nothing; a grown file adds only its new lines; a rotated \
file (auth.log -> auth.log.1 -> auth.log.2.gz) is recognised by content. Year-less syslog gets its \
year from --year or the file's modification time (a Dec -> Jan rollover is handled).\n\n\
Examples:\n  ipscope ingest /var/log/auth.log /var/log/auth.log.*.gz\n  \
journalctl -u ssh -o short-iso | ipscope ingest -\n  \
ipscope ingest --format iptracking --delimiter ';' --tz Europe/Berlin export.txt")]
    Ingest(IngestArgs),
    /// Run one report of the catalogue (see `ipscope reports`)
    #[command(after_help = "Examples:\n  ipscope report top-ips -N 10 --format csv\n  \
ipscope report daily --since 7d\n  ipscope report open-sessions --home 10.0.0.0/8,192.168.0.0/16\n  \
ipscope report nets --drill 203.0.113.0/24")]
    Report(ReportCmd),
    /// List the reports with one-line descriptions
    Reports,
    /// Delete events older than a number of days (dry run unless --commit)
    Purge(PurgeArgs),
    /// The nightly run: purge (dry run unless --commit), then every report as one Markdown document
    Maint(MaintArgs),
    /// Run a read-only SQL query on the store (table `events`, `inputs`)
    #[command(
        after_help = "Examples:\n  ipscope sql \"SELECT src_ip, count(*) n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 5\"\n  \
ipscope sql \"SELECT CAST(ts AS DATE) d, count(*) FROM events GROUP BY 1 ORDER BY 1\" --format csv --sep ' ' --no-header > daily.dat"
    )]
    Sql(SqlArgs),
    /// Generate realistic SSH activity, ingest it into a temporary store and print the nightly report
    Demo(DemoArgs),
    /// Where the data lives, what has been ingested, and which GeoIP databases are in use
    Status(OutputArgs),
    /// Everything known about addresses: location, network owner, registered prefix, home
    /// network, and their stored activity
    #[command(after_help = "Examples:\n  ipscope lookup 89.160.20.128\n  \
ipscope lookup 81.2.69.142 2001:db8::1 -o json")]
    Lookup(LookupArgs),
    /// Enrich stored addresses not enriched yet, or all of them again with --refresh (after a
    /// GeoIP database update), without re-reading the logs
    #[command(after_help = "GeoLite2 changes monthly: after `geoipupdate`, run `ipscope enrich --refresh`.")]
    Enrich(EnrichArgs),
    /// The current offenders of `report rates` as a firewall blocklist (plain, cidr, ipset,
    /// nftables, csv); never a home-network or allowed address
    #[command(
        after_help = "A source (or /24, /16) is listed from the moment it crosses a threshold until --ban later: \
the threshold ip:10m=5 with --ban 1h is fail2ban's maxretry = 5, findtime = 10m, bantime = 1h.\n\n\
Examples:\n  ipscope blocklist --format ipset --set-name ssh-bl | ipset restore -!\n  \
ipscope blocklist --format nftables --output /run/ipscope/blocklist.nft && nft -f /run/ipscope/blocklist.nft\n  \
ipscope blocklist --at 2026-11-03T10:00:00Z --threshold ip:10m=5 --ban 1h --allow 192.0.2.0/24\n  \
curl -s http://127.0.0.1:8479/api/blocklist?format=cidr        (from a running ipscope serve)"
    )]
    Blocklist(BlocklistArgs),
    /// Events with their enrichment as Parquet (a directory, one folder per day), CSV or JSON
    /// lines, with the report filters; works while a daemon runs
    #[command(
        after_help = "Examples:\n  ipscope export --output events/                      Parquet, events/day=2026-11-02/part-0000.parquet ...\n  \
ipscope export --format csv --since 7d --source sshd --output week.csv\n  \
ipscope export --format json --kind auth --output - | jq .src_ip\n\n\
Read back: pyarrow.parquet.read_table('events'), duckdb \"SELECT * FROM read_parquet('events/*/*.parquet', hive_partitioning = true)\", \
pandas.read_parquet('events')."
    )]
    Export(ExportArgs),
    /// Copy the embedded store (its events, inputs and enrichment) into a ClickHouse cluster,
    /// exactly once; resumes where a stopped run left off
    #[command(after_help = "What it copies: every event (all columns, to the microsecond), the enrichment of \
addresses, and each input's progress (path, identity, bytes, lines, counters), so that reports with --store \
print what the embedded store prints, and `ipscope --store URL ingest` of a log that still exists adds only \
its new lines. The embedded store in --data is only read, and left as it was (a running `ipscope serve` \
may own it: migrate reads through it; stop ingesting into it while migrating).\n\n\
Exactly once and resumable: events go in per input, a few UTC days (up to --chunk-events) at a time, each batch committed \
with how far the copy got. Run it again after an interruption (a crash, Ctrl-C, a shard down) and it \
continues; run it again after it finished and it adds nothing. A database that holds other data keeps it: \
the copied inputs get new ids, and an input the cluster already holds (the same log, as far or further) \
is skipped and named; one it holds less of is not copied (ingest that log with --store instead) and the \
exit status is 1. --store is not read: the source is always the embedded store in --data.\n\n\
Examples:\n  ipscope migrate --to 'clickhouse://127.0.0.1:18123/ipscope?cluster=ipscope'\n  \
ipscope --data /srv/ipscope migrate --to 'clickhouse://ch1.example.org:8123/ipscope?cluster=logs'")]
    Migrate(MigrateArgs),
    /// Print the man page or a shell's completion script, generated from this command line
    #[command(after_help = "Examples:\n  ipscope generate man | man -l -\n  \
ipscope generate man --dir /usr/local/share/man/man1    ipscope.1 and one page per command\n  \
ipscope generate bash > /etc/bash_completion.d/ipscope\n  \
ipscope generate zsh > \"${fpath[1]}/_ipscope\"")]
    Generate(GenerateArgs),
    /// Run as a daemon: follow log files, the systemd journal and syslog sockets into the store,
    /// and serve the JSON API and Prometheus /metrics
    #[command(after_help = "While the daemon runs it owns the database: every other ipscope command \
(report, sql, status, lookup, ingest, purge, maint, enrich) finds it through <data dir>/ipscope.serve \
and works through it, with the same output. SIGTERM / SIGINT commit what was read and exit 0.\n\n\
API (all GET unless noted; add ?format=json|ndjson|csv|tsv|markdown, default json):\n  \
/api/reports                      the catalogue\n  \
/api/report/NAME?since=7d&top=10  any report, with the CLI's flags as parameters (home_only=true, ...)\n  \
/api/sql?q=SELECT...              a read-only query (or POST the SQL as the body)\n  \
/api/status                       what `ipscope status` says\n  \
/api/lookup?ip=ADDR[,ADDR...]     what `ipscope lookup` says\n  \
/api/blocklist?format=cidr        what `ipscope blocklist` prints (for firewalls to pull)\n  \
/metrics                          Prometheus metrics\n\n\
Examples:\n  ipscope serve --follow '/var/log/auth.log*' --follow '/var/log/cowrie/cowrie.json*'\n  \
ipscope serve --journal --syslog-udp 0.0.0.0:5514 --syslog-tcp 0.0.0.0:5514\n  \
IPSCOPE_TOKEN=secret ipscope serve --listen 0.0.0.0:8479")]
    Serve(ServeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address of the HTTP API and /metrics [default: the config's `[serve] listen`, else 127.0.0.1:8479]
    #[arg(long, env = "IPSCOPE_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// Bearer token every HTTP request must carry; required when --listen is not a loopback address
    #[arg(long, env = "IPSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Follow files matching this glob (repeat, or comma-separate in IPSCOPE_FOLLOW), across rotation
    #[arg(long = "follow", env = "IPSCOPE_FOLLOW", value_delimiter = ',', value_name = "GLOB")]
    pub follow: Vec<String>,
    /// Format of the followed files [default: detected per file]
    #[arg(long, env = "IPSCOPE_FOLLOW_FORMAT", value_name = "FORMAT", value_parser = format_names())]
    pub follow_format: Option<ipscope_formats::FormatKind>,
    /// Follow sshd's entries in the systemd journal
    #[arg(long, env = "IPSCOPE_JOURNAL")]
    pub journal: bool,
    /// Read this journal directory instead of the system journal
    #[arg(long, env = "IPSCOPE_JOURNAL_DIRECTORY", value_name = "DIR")]
    pub journal_directory: Option<PathBuf>,
    /// Read these journal files instead of the system journal (e.g. from systemd-journal-remote)
    #[arg(long = "journal-file", env = "IPSCOPE_JOURNAL_FILE", value_delimiter = ',', value_name = "FILE")]
    pub journal_files: Vec<PathBuf>,
    /// Listen for syslog messages over UDP
    #[arg(long, env = "IPSCOPE_SYSLOG_UDP", value_name = "ADDR:PORT")]
    pub syslog_udp: Option<std::net::SocketAddr>,
    /// Listen for syslog messages over TCP (newline or octet-counted framing)
    #[arg(long, env = "IPSCOPE_SYSLOG_TCP", value_name = "ADDR:PORT")]
    pub syslog_tcp: Option<std::net::SocketAddr>,
    /// Time zone of timestamps logged without one: `local`, `UTC`, `Europe/Berlin`, `+02:00`
    #[arg(long, env = "IPSCOPE_TZ", value_name = "ZONE")]
    pub tz: Option<ipscope_formats::Zone>,
    /// Field delimiter of iptracking exports
    #[arg(long, env = "IPSCOPE_DELIMITER", value_name = "CHAR")]
    pub delimiter: Option<char>,
    /// Do not enrich source addresses
    #[arg(long, env = "IPSCOPE_NO_ENRICH")]
    pub no_enrich: bool,
    /// DuckDB's memory limit while the daemon runs [default: the config's, else 1GB]
    #[arg(long, env = "IPSCOPE_MEMORY_LIMIT", value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// What to print
    #[arg(value_enum)]
    pub what: Generated,
    /// man: write ipscope.1 and a page per command (ipscope-ingest.1, ...) into DIR instead of
    /// printing ipscope.1
    #[arg(long, env = "IPSCOPE_GENERATE_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    /// The man page (roff)
    Man,
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files, directories, glob patterns, or - for stdin
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Input format [default: detected from the first lines]
    #[arg(long, env = "IPSCOPE_INPUT_FORMAT", value_name = "FORMAT", value_parser = format_names())]
    pub format: Option<ipscope_formats::FormatKind>,
    /// Year of the first year-less syslog line; later lines follow Dec → Jan [default: the last line
    /// at or before the file's modification time; compressed files and stdin: the first line]
    #[arg(long, env = "IPSCOPE_YEAR")]
    pub year: Option<i32>,
    /// Time zone of syslog / iptracking timestamps without one: `local`, `UTC`, `Europe/Berlin`, `+02:00`
    #[arg(long, env = "IPSCOPE_TZ", value_name = "ZONE")]
    pub tz: Option<ipscope_formats::Zone>,
    /// Field delimiter of iptracking exports
    #[arg(long, env = "IPSCOPE_DELIMITER", value_name = "CHAR")]
    pub delimiter: Option<char>,
    /// Write rejected lines to FILE as `path:line: reason: detail<TAB>line`
    #[arg(long, env = "IPSCOPE_REJECTS", value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Never show a progress bar
    #[arg(long, env = "IPSCOPE_NO_PROGRESS")]
    pub no_progress: bool,
    /// Do not enrich source addresses (no GeoIP / ASN / home-network lookups)
    #[arg(long, env = "IPSCOPE_NO_ENRICH")]
    pub no_enrich: bool,
}

/// Reverse DNS (`lookup --ptr`, `report ... --ptr`).
#[derive(Args, Debug, Clone)]
pub struct PtrArgs {
    /// Show the PTR (reverse DNS) name of the addresses: from the store's cache while fresh, else
    /// asked of the DNS server (many queries in flight, each with a timeout) and cached
    #[arg(long, env = "IPSCOPE_PTR")]
    pub ptr: bool,
    /// DNS server for --ptr [default: the first nameserver in /etc/resolv.conf]
    #[arg(long, env = "IPSCOPE_DNS_SERVER", value_name = "ADDR[:PORT]", value_parser = crate::commands::ptr::parse_server)]
    pub dns_server: Option<std::net::SocketAddr>,
    /// --ptr: how long to wait for an answer (one resend half way), e.g. 500ms, 2s
    #[arg(long, env = "IPSCOPE_DNS_TIMEOUT", default_value = "2s", value_name = "DURATION")]
    pub dns_timeout: String,
    /// --ptr: queries in flight at once
    #[arg(long, env = "IPSCOPE_DNS_CONCURRENCY", default_value_t = ipscope_enrich::ptr::DEFAULT_CONCURRENCY)]
    pub dns_concurrency: usize,
    /// --ptr: how long an answer (a name, or none) stays in the cache
    #[arg(long, env = "IPSCOPE_PTR_TTL", default_value = crate::commands::ptr::DEFAULT_TTL, value_name = "DURATION")]
    pub ptr_ttl: String,
}

#[derive(Args, Debug)]
pub struct LookupArgs {
    /// Addresses (IPv4 or IPv6)
    #[arg(required = true, value_name = "ADDR")]
    pub addrs: Vec<std::net::IpAddr>,
    #[command(flatten)]
    pub ptr: PtrArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct EnrichArgs {
    /// Re-enrich every stored address (default: only those not enriched yet)
    #[arg(long, env = "IPSCOPE_REFRESH")]
    pub refresh: bool,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, tsv otherwise]
    #[arg(long, short = 'o', env = "IPSCOPE_FORMAT", value_enum)]
    pub format: Option<OutputFormat>,
    /// Field separator for csv (any single character, e.g. ' ' for gnuplot)
    #[arg(long, env = "IPSCOPE_SEP", default_value = ",", value_name = "CHAR")]
    pub sep: char,
    /// Omit the header row (csv, tsv)
    #[arg(long, env = "IPSCOPE_NO_HEADER")]
    pub no_header: bool,
    /// csv/tsv: keep text that starts with = + - @ as it is (by default it gets a leading ' so a
    /// spreadsheet shows it instead of running it as a formula); for programs reading the output
    #[arg(long, env = "IPSCOPE_NO_FORMULA_GUARD")]
    pub no_formula_guard: bool,
}

/// Filters and knobs shared by every report.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Rows to show
    #[arg(short = 'N', long = "top", visible_alias = "top-N", env = "IPSCOPE_TOP", default_value_t = 20)]
    pub top: usize,
    /// Only events at or after: 2026-11-01, 2026-11-01T12:00:00Z, or a relative 7d / 24h / 30m
    #[arg(long, env = "IPSCOPE_SINCE", value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events before (same forms as --since)
    #[arg(long, env = "IPSCOPE_UNTIL", value_name = "WHEN")]
    pub until: Option<String>,
    /// Only these source formats (comma-separated: sshd, iptracking, ...)
    #[arg(long, env = "IPSCOPE_SOURCE", value_delimiter = ',', value_name = "FORMAT")]
    pub source: Vec<ipscope_event::SourceFormat>,
    /// Only these sensors / hosts (comma-separated)
    #[arg(long, env = "IPSCOPE_SENSOR", value_delimiter = ',')]
    pub sensor: Vec<String>,
    /// Only these event kinds (comma-separated: auth, session_open, invalid_user, ...)
    #[arg(long, env = "IPSCOPE_KIND", value_delimiter = ',')]
    pub kind: Vec<ipscope_event::EventKind>,
    /// Only these source ASNs (comma-separated numbers)
    #[arg(long, env = "IPSCOPE_ASN", value_delimiter = ',')]
    pub asn: Vec<u32>,
    /// Only these CERT taxonomies (comma-separated, e.g. intrusion-attempts)
    #[arg(long, env = "IPSCOPE_TAXONOMY", value_delimiter = ',')]
    pub taxonomy: Vec<String>,
    /// Only these source addresses or networks (comma-separated: 203.0.113.7,198.51.100.0/24)
    #[arg(long, env = "IPSCOPE_SRC", value_delimiter = ',', value_name = "ADDR|CIDR")]
    pub src: Vec<String>,
    /// Home networks (comma-separated CIDRs) in addition to the config file's `[home]` section
    #[arg(long, env = "IPSCOPE_HOME", value_name = "CIDRS")]
    pub home: Option<String>,
    /// Only sources inside the home networks (on campus)
    #[arg(long, env = "IPSCOPE_HOME_ONLY", conflicts_with = "external")]
    pub home_only: bool,
    /// Only sources outside the home networks (off campus)
    #[arg(long, env = "IPSCOPE_EXTERNAL")]
    pub external: bool,
    /// Leave out unanswered connections (connection events with outcome failure): sshd scanner
    /// probes and connections that ended before authenticating, Zeek's never-established connections
    #[arg(long, env = "IPSCOPE_NO_PROBES")]
    pub no_probes: bool,
    /// Session:auth ratio threshold for low-success, in (0, 1]
    #[arg(short = 's', long = "success-ratio-thresh", env = "IPSCOPE_RATIO", default_value_t = 0.05)]
    pub ratio: f64,
    /// Hide addresses / users / prefixes with fewer events
    #[arg(long, env = "IPSCOPE_MIN_EVENTS", default_value_t = 1)]
    pub min_events: u64,
    /// Zone of days and hours (daily, activity, scans, taxonomy, services, timeline, trends, ...)
    /// and of --since/--until dates without an offset: `UTC`, `local`, `America/Chicago`, `+02:00`
    /// [default: the config's `tz`, else the local zone]
    #[arg(long, env = "IPSCOPE_TZ", value_name = "ZONE")]
    pub tz: Option<ipscope_formats::Zone>,
}

/// `--threshold` for `report rates` and `blocklist`.
#[derive(Args, Debug, Clone, Default)]
pub struct ThresholdArgs {
    /// Hostile events per key within a window that make it an offender: SCOPE:WINDOW=COUNT with
    /// SCOPE ip, 24 (/24, IPv6 /48) or 16 (/16, IPv6 /32), e.g. ip:10m=5 (repeat or comma-separate)
    /// [default: the config's `[rates] thresholds`, else ip:5m=10,ip:15m=20,ip:1h=40,ip:1d=100 and
    /// 4× / 20× those for 24 / 16]
    #[arg(long = "threshold", env = "IPSCOPE_THRESHOLD", value_delimiter = ',', value_name = "SPEC")]
    pub thresholds: Vec<String>,
}

#[derive(Args, Debug)]
pub struct BlocklistArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Evaluate the list as of this moment (same forms as --since) [default: now]
    #[arg(long, env = "IPSCOPE_AT", value_name = "WHEN")]
    pub at: Option<String>,
    /// How long an offender stays listed after its last crossing (90s, 10m, 1h, 1d)
    /// [default: the config's `[rates] ban`, else 1h]
    #[arg(long, env = "IPSCOPE_BAN", value_name = "DURATION")]
    pub ban: Option<String>,
    /// Never list these networks (comma-separated CIDRs), besides the home networks and the
    /// config's `[rates] allow`
    #[arg(long, env = "IPSCOPE_ALLOW", value_delimiter = ',', value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Merge adjacent entries into their common prefix
    #[arg(long, env = "IPSCOPE_AGGREGATE")]
    pub aggregate: bool,
    /// plain (one address or CIDR a line), cidr (always a prefix length), ipset (`ipset restore`
    /// input), nftables (`nft -f` input), csv
    #[arg(long, env = "IPSCOPE_BLOCKLIST_FORMAT", value_enum, default_value_t = ListFormatArg::Plain)]
    pub format: ListFormatArg,
    /// ipset: sets NAME-v4 and NAME-v6; nftables: table `inet NAME` with sets blocklist_v4 and
    /// blocklist_v6 [default: the config's `[rates] set_name`, else ipscope]
    #[arg(long, env = "IPSCOPE_SET_NAME", value_name = "NAME")]
    pub set_name: Option<String>,
    /// Write the list to FILE (replaced atomically) instead of stdout
    #[arg(long, env = "IPSCOPE_BLOCKLIST_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// parquet (a directory partitioned by day, in --tz), csv (a header line), json (one object a line)
    #[arg(long, env = "IPSCOPE_EXPORT_FORMAT", value_enum, default_value_t = ExportFormat::Parquet)]
    pub format: ExportFormat,
    /// Where to write: a new or empty directory for parquet, a file (or - for stdout) for csv and json
    #[arg(long, short = 'O', env = "IPSCOPE_EXPORT_OUTPUT", value_name = "PATH")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The cluster to copy into: clickhouse://HOST:HTTP_PORT/DATABASE?cluster=NAME (its tables
    /// are created where missing)
    #[arg(long, env = "IPSCOPE_MIGRATE_TO", value_name = "URL")]
    pub to: String,
    /// Events per batch, about (per input: consecutive UTC days up to this many events, or an
    /// equal time slice of a busier day): what one commit holds and what is held in memory
    #[arg(long, env = "IPSCOPE_MIGRATE_CHUNK_EVENTS", value_name = "N", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_events: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
    Csv,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormatArg {
    Plain,
    Cidr,
    Ipset,
    Nftables,
    Csv,
}

#[derive(Args, Debug)]
pub struct ReportCmd {
    /// Report name (see `ipscope reports`)
    #[arg(value_parser = report_names())]
    pub name: String,
    #[command(flatten)]
    pub report: ReportArgs,
    /// low-success: by source address (default) or by user; timeline: lines per event kind
    /// (default) or per source format; trends: asn (default), country, taxonomy, port, prefix,
    /// source, user or ip
    #[arg(long, env = "IPSCOPE_BY", value_enum)]
    pub by: Option<ByArg>,
    /// nets: IPv4 prefix length
    #[arg(long, env = "IPSCOPE_PREFIX", default_value_t = 24)]
    pub prefix: u8,
    /// nets: IPv6 prefix length (at most 64)
    #[arg(long, env = "IPSCOPE_PREFIX6", default_value_t = 48)]
    pub prefix6: u8,
    /// nets: list the addresses inside this prefix instead
    #[arg(long, env = "IPSCOPE_DRILL", value_name = "CIDR")]
    pub drill: Option<String>,
    /// nets: group by registered prefix (the ASN database's network, from enrichment)
    #[arg(long, env = "IPSCOPE_REGISTERED", conflicts_with = "drill")]
    pub registered: bool,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub ptr: PtrArgs,
    /// trends: the window, in days (ending with the newest event's day, or the day before --until)
    #[arg(long, env = "IPSCOPE_TREND_DAYS", default_value_t = ipscope_report::reports::trends::DEFAULT_DAYS)]
    pub days: u32,
    /// activity: hours and weekdays in each source's own time zone (GeoIP City), not --tz
    #[arg(long, env = "IPSCOPE_ATTACKER_TIME")]
    pub attacker_time: bool,
    /// Count raw events only, not the hourly rollups (the same answer, slower: for checking)
    #[arg(long, env = "IPSCOPE_NO_ROLLUPS")]
    pub no_rollups: bool,
    /// services: only connections to this host
    #[arg(long, env = "IPSCOPE_HOST", value_name = "ADDR")]
    pub host: Option<std::net::IpAddr>,
    /// services, timeline: time bucket (in --tz)
    #[arg(long, env = "IPSCOPE_BUCKET", value_enum, default_value_t = BucketArg::Day)]
    pub bucket: BucketArg,
    /// Also draw the report as a chart into FILE.svg or FILE.png (see --chart-type)
    #[arg(long, env = "IPSCOPE_CHART", value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Chart type (a map is a bubble per location, sized by count, coloured by severity band)
    #[arg(long, env = "IPSCOPE_CHART_TYPE", value_enum, default_value_t = crate::chart::ChartType::Auto)]
    pub chart_type: crate::chart::ChartType,
    /// Chart: logarithmic value axis (zero values are left out)
    #[arg(long, env = "IPSCOPE_LOG_SCALE")]
    pub log_scale: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketArg {
    Minute,
    Hour,
    Day,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByArg {
    Ip,
    User,
    Kind,
    #[value(alias = "source")]
    Format,
    Asn,
    Country,
    Taxonomy,
    Port,
    Prefix,
}

#[derive(Args, Debug)]
pub struct PurgeArgs {
    /// Age limit: events older than this are deleted (10d, 36h, or a plain number of days)
    #[arg(long, env = "IPSCOPE_OLDER_THAN", default_value = "10d", value_name = "AGE")]
    pub older_than: String,
    /// Really delete (without it, only count)
    #[arg(long, env = "IPSCOPE_COMMIT")]
    pub commit: bool,
}

#[derive(Args, Debug)]
pub struct MaintArgs {
    /// Purge events older than this many days
    #[arg(short = 'p', long = "purge-day-count", env = "IPSCOPE_PURGE_DAYS", default_value_t = 10)]
    pub purge_days: u32,
    /// Really purge (without it, the purge is a dry run)
    #[arg(long, env = "IPSCOPE_COMMIT")]
    pub commit: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Mailing the maint document. Unset flags fall back to the config's `[maint]` section.
#[derive(Args, Debug, Clone, Default)]
pub struct MailArgs {
    /// Also mail the document (Markdown, with an HTML alternative) to these addresses (repeat or
    /// comma-separate)
    #[arg(long, env = "IPSCOPE_EMAIL", value_delimiter = ',', value_name = "ADDR")]
    pub email: Vec<String>,
    /// SMTP relay [default: the config's `[maint] smtp`, else localhost:25]
    #[arg(long, env = "IPSCOPE_SMTP", value_name = "HOST:PORT")]
    pub smtp: Option<String>,
    /// Sender address [default: the config's `from`, else ipscope at this host's name]
    #[arg(long, env = "IPSCOPE_MAIL_FROM", value_name = "ADDR")]
    pub from: Option<String>,
    /// Connection security to the relay [default: the config's, else starttls]
    #[arg(long, env = "IPSCOPE_SMTP_TLS", value_enum)]
    pub smtp_tls: Option<crate::mail::TlsMode>,
    /// A CA certificate (PEM) to trust for the relay, besides the usual roots
    #[arg(long, env = "IPSCOPE_SMTP_CA", value_name = "FILE")]
    pub smtp_ca: Option<PathBuf>,
    /// SMTP user name (with IPSCOPE_SMTP_PASSWORD)
    #[arg(long, env = "IPSCOPE_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// SMTP password; prefer the environment variable to the command line
    #[arg(long, env = "IPSCOPE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// The query (read-only)
    pub query: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Lines of sshd log to generate
    #[arg(long, env = "IPSCOPE_DEMO_LINES", default_value_t = 50_000)]
    pub lines: u64,
    /// Random seed (same seed, same data)
    #[arg(long, env = "IPSCOPE_DEMO_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Days of activity, ending today
    #[arg(long, env = "IPSCOPE_DEMO_DAYS", default_value_t = 7)]
    pub days: u32,
    /// Keep the generated log and database in DIR instead of a temporary directory
    #[arg(long, env = "IPSCOPE_DEMO_KEEP", value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

/// The catalogue's report names, with their descriptions for `--help`.
fn report_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        ipscope_report::CATALOGUE.iter().map(|r| clap::builder::PossibleValue::new(r.name).help(r.about)),
    )
}

/// The input formats, with their descriptions for `--help`.
fn format_names() -> impl clap::builder::TypedValueParser<Value = ipscope_formats::FormatKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(
        ipscope_formats::FormatKind::ALL
            .iter()
            .map(|k| clap::builder::PossibleValue::new(k.as_str()).help(k.description())),
    )
    .try_map(|s| s.parse::<ipscope_formats::FormatKind>())
}
