//! One function per subcommand.

pub mod blocklist;
mod demo;
pub mod enrich;
mod export;
mod generate;
mod ingest;
pub mod maint;
mod migrate;
pub mod ptr;
pub mod query;
mod serve;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config;

/// Global context every command gets.
pub struct Ctx {
    pub cfg: config::Config,
    pub data_flag: Option<std::path::PathBuf>,
    /// `--geoip`: database files / directories (overrides the config's `geoip`).
    pub geoip: Vec<std::path::PathBuf>,
    /// `--lock-wait`: how long to wait for another process holding the database file.
    pub lock_wait: std::time::Duration,
    /// `--store` (else the config's `[store] url`): a ClickHouse cluster instead of the file.
    pub store: Option<String>,
}

impl Ctx {
    pub fn data_dir(&self) -> Result<std::path::PathBuf> {
        Ok(config::data_dir(self.data_flag.as_deref(), &self.cfg)?)
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = config::load(cli.global.config.as_deref())?;
    let store = cli.global.store.or_else(|| cfg.store.url.clone()).filter(|s| !s.is_empty());
    let ctx = Ctx {
        store,
        cfg,
        data_flag: cli.global.data,
        geoip: cli.global.geoip,
        lock_wait: std::time::Duration::from_secs(cli.global.lock_wait),
    };
    match cli.command {
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Report(a) => query::report(&ctx, a),
        Command::Reports => query::list_reports(),
        Command::Purge(a) => maint::purge(&ctx, a),
        Command::Maint(a) => maint::maint(&ctx, a),
        Command::Sql(a) => query::sql(&ctx, a),
        Command::Demo(a) => demo::run(&ctx, a),
        Command::Status(a) => query::status(&ctx, a),
        Command::Lookup(a) => enrich::lookup(&ctx, a),
        Command::Enrich(a) => enrich::enrich(&ctx, a),
        Command::Blocklist(a) => blocklist::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Migrate(a) => migrate::run(&ctx, a),
        Command::Serve(a) => serve::run(ctx, a),
        Command::Generate(a) => generate::run(&a),
    }
}
