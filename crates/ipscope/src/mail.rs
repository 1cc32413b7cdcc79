//! The nightly report by mail: the Markdown document `ipscope maint` prints, as the text part,
//! with an HTML rendering of it as the alternative, sent through an SMTP relay (lettre).
//!
//! The document carries attacker-typed text (user names, commands) in its table cells. The HTML
//! part is made with pulldown-cmark with raw HTML turned into text: a user name such as
//! `<img src=x onerror=...>` arrives as those characters, never as markup.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection to the relay is protected (a config value: `ipscope-config`).
pub use ipscope_config::TlsMode;

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub to: Vec<String>,
    pub from: Option<String>,
    /// `host:port` of the relay.
    pub relay: String,
    pub tls: TlsMode,
    /// A CA certificate (PEM) to trust besides the usual roots (a relay with its own CA).
    pub ca: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl MailSettings {
    /// The relay as host and port (port 25 when not given).
    fn host_port(&self) -> Result<(String, u16)> {
        match self.relay.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !h.ends_with(':') => Ok((
                h.trim_matches(['[', ']']).to_owned(),
                p.parse().with_context(|| format!("SMTP relay {:?}: bad port", self.relay))?,
            )),
            _ if self.relay.is_empty() => bail!("no SMTP relay: pass --smtp HOST:PORT or set `smtp` in [maint]"),
            _ => Ok((self.relay.clone(), 25)),
        }
    }

    fn sender(&self) -> Result<Mailbox> {
        let from = match &self.from {
            Some(f) => f.clone(),
            None => format!("ipscope@{}", hostname()),
        };
        from.parse().with_context(|| format!("sender address {from:?}"))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The subject line of a report made at `when` (`2026-11-30 06:00`).
pub fn subject(when: &str) -> String {
    format!("ipscope report {} — {when}", hostname())
}

/// The Markdown document as HTML: tables and headings kept, raw HTML in it shown as text.
pub fn html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html::push_html};
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        // Markup in the text (typed by an attacker into a user name) stays text.
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut body = String::new();
    push_html(&mut body, events);
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>\
         body{{font-family:sans-serif;font-size:14px}} table{{border-collapse:collapse}} \
         th,td{{border:1px solid #ccc;padding:2px 6px;white-space:nowrap}} td{{font-variant-numeric:tabular-nums}}\
         </style></head><body>{body}</body></html>"
    )
}

/// Sends `markdown` (and its HTML rendering) to every recipient.
pub fn send(settings: &MailSettings, subject: &str, markdown: &str) -> Result<()> {
    if settings.to.is_empty() {
        bail!("no recipients");
    }
    let mut b = Message::builder().from(settings.sender()?).subject(subject);
    for to in &settings.to {
        b = b.to(to.parse().with_context(|| format!("recipient {to:?}"))?);
    }
    let message = b
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(markdown.to_owned()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html(markdown))),
        )
        .context("cannot build the mail")?;
    let (host, port) = settings.host_port()?;
    let tls = || -> Result<TlsParameters> {
        let mut p = TlsParameters::builder(host.clone());
        if let Some(ca) = &settings.ca {
            let pem = std::fs::read(ca).with_context(|| format!("cannot read CA certificate {}", ca.display()))?;
            p = p.add_root_certificate(
                Certificate::from_pem(&pem).with_context(|| format!("{}: not a PEM certificate", ca.display()))?,
            );
        }
        p.build_rustls().context("TLS settings")
    };
    let mut t = SmtpTransport::builder_dangerous(host.as_str()).port(port).timeout(Some(SMTP_TIMEOUT));
    t = match settings.tls {
        TlsMode::Starttls => t.tls(Tls::Required(tls()?)),
        TlsMode::Tls => t.tls(Tls::Wrapper(tls()?)),
        TlsMode::None => t.tls(Tls::None),
    };
    if let (Some(u), Some(p)) = (&settings.user, &settings.password) {
        t = t.credentials(Credentials::new(u.clone(), p.clone()));
    }
    t.build().send(&message).with_context(|| format!("cannot send the report through {}", settings.relay))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_document_stays_text() {
        let md = "# Top\n\n| user | events |\n|---|---:|\n| <img src=x onerror=alert(1)> | 3 |\n| <script>x</script> | 2 |\n";
        let h = html(md);
        assert!(h.contains("<table>"), "{h}");
        assert!(!h.contains("<img") && !h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"), "{h}");
    }

    #[test]
    fn relay_addresses() {
        let s = |relay: &str| MailSettings {
            to: vec![],
            from: None,
            relay: relay.into(),
            tls: TlsMode::None,
            ca: None,
            user: None,
            password: None,
        };
        assert_eq!(s("mail.example.org:587").host_port().ok(), Some(("mail.example.org".into(), 587)));
        assert_eq!(s("localhost").host_port().ok(), Some(("localhost".into(), 25)));
        assert_eq!(s("[::1]:2525").host_port().ok(), Some(("::1".into(), 2525)));
        assert!(s("").host_port().is_err());
    }
}
