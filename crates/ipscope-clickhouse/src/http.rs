//! One ClickHouse server's HTTP interface: SQL in the POST body (GET is read-only), settings as
//! URL parameters, errors as the server's text.

use std::time::Duration;

use crate::{Error, Result};

/// How long to wait for a TCP connection to a node.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a single request (a whole batch insert or a report) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// Pooled connections older than this are not reused: the servers close idle HTTP connections
/// after `keep_alive_timeout` (3 s in the generated config, 3 s by default too), and reusing one
/// the server is closing fails the request.
const MAX_IDLE: Duration = Duration::from_secs(2);

/// A server, by its HTTP base URL.
#[derive(Clone)]
pub struct Node {
    url: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("url", &self.url).finish()
    }
}

impl Node {
    pub fn new(url: String) -> Node {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_idle_age(MAX_IDLE)
            .build()
            .into();
        Node { url, agent }
    }

    /// The HTTP base URL (`http://HOST:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `sql` (any statement) and returns the response body.
    pub fn run(&self, sql: &str, settings: &[(&str, &str)]) -> Result<Vec<u8>> {
        self.post(None, sql.as_bytes(), settings)
    }

    /// Runs `sql` and returns its output as text (TabSeparated unless the SQL says otherwise).
    pub fn text(&self, sql: &str) -> Result<String> {
        let body = self.run(sql, &[])?;
        String::from_utf8(body).map_err(|e| Error::Protocol { url: self.url.clone(), message: e.to_string() })
    }

    /// `INSERT ...` (with its `FORMAT`) in the URL and the rows as the POST body.
    pub fn insert(&self, insert: &str, rows: &[u8], settings: &[(&str, &str)]) -> Result<()> {
        self.post(Some(insert), rows, settings).map(drop)
    }

    fn post(&self, query: Option<&str>, body: &[u8], settings: &[(&str, &str)]) -> Result<Vec<u8>> {
        let mut req = self.agent.post(&self.url);
        if let Some(q) = query {
            req = req.query("query", q);
        }
        for (k, v) in settings {
            req = req.query(*k, *v);
        }
        let mut res =
            req.send(body).map_err(|e| Error::Unreachable { url: self.url.clone(), message: e.to_string() })?;
        let status = res.status();
        let body = res
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| Error::Unreachable { url: self.url.clone(), message: e.to_string() })?;
        if status.is_success() {
            return Ok(body);
        }
        Err(Error::Server { url: self.url.clone(), status: status.as_u16(), message: server_message(&body) })
    }
}

/// ClickHouse 18.16's error body (`Code: N, e.displayText() = DB::Exception: TEXT, e.what() =
/// DB::Exception`) as `Code: N: TEXT`; newer servers' bodies are kept as they are.
fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let text = text.rsplit_once(", e.what() = ").map_or(text, |(t, _)| t);
    match text.split_once(", e.displayText() = ") {
        Some((code, rest)) => {
            let rest = rest.split_once(": ").filter(|(kind, _)| kind.starts_with("DB::")).map_or(rest, |(_, r)| r);
            format!("{code}: {rest}")
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::server_message;

    #[test]
    fn error_bodies_are_shortened() {
        let body =
            b"Code: 60, e.displayText() = DB::Exception: Table t1.ledger doesn't exist., e.what() = DB::Exception\n";
        assert_eq!(server_message(body), "Code: 60: Table t1.ledger doesn't exist.");
        assert_eq!(server_message(b"Code: 62. DB::Exception: Syntax error"), "Code: 62. DB::Exception: Syntax error");
    }
}
