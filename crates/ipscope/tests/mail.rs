//! The nightly report by mail, to a real SMTP server on loopback (Python's aiosmtpd from PyPI,
//! `scripts/test-deps.sh mail`): `maint --email`, plain and with STARTTLS, and the daemon's
//! `[maint]` schedule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod common;
use common::*;

fn deps() {
    let ok =
        Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh")).arg("mail").status().unwrap();
    assert!(ok.success(), "scripts/test-deps.sh mail failed (aiosmtpd)");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// aiosmtpd storing what it receives in a Maildir; STARTTLS with `tls = (cert, key)`.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(dir: &Path, tls: Option<(&Path, &Path)>) -> Smtp {
        let port = free_port();
        let maildir = dir.join(format!("maildir-{port}"));
        let mut c = Command::new("python3");
        c.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"]);
        if let Some((cert, key)) = tls {
            c.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        let child = c.arg(&maildir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        assert!(
            eventually(Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()),
            "aiosmtpd did not start"
        );
        Smtp { child, port, maildir }
    }

    /// The messages received: (subject, text part, html part), via Python's email parser.
    fn messages(&self) -> Vec<(String, String, String)> {
        let script = r#"
import email, email.policy, json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
    text = msg.get_body(preferencelist=('plain',)).get_content()
    html = msg.get_body(preferencelist=('html',)).get_content()
    out.append([str(msg['subject']), text, html, str(msg['to'])])
print(json.dumps(out))
"#;
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new("python3").args(["-c", script]).arg(&self.maildir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
        v.into_iter().map(|m| (m[0].clone(), m[1].clone(), m[2].clone())).collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A store with markup in a user name.
fn store(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let log = dir.join("auth.log");
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            "2026-11-29T10:00:{i:02}+00:00 h sshd[{i}]: Failed password for invalid user <b onmouseover=alert(1)>x</b> from 198.51.100.9 port {} ssh2\n",
            4000 + i
        ));
    }
    std::fs::write(&log, text).unwrap();
    run_ok(ipscope(&data).arg("ingest").arg(&log).arg(corpus("openssh/fail2ban/sshd")));
    data
}

#[test]
fn maint_mails_the_document_it_prints_with_an_html_alternative() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let smtp = Smtp::start(dir.path(), None);
    let relay = format!("127.0.0.1:{}", smtp.port);
    let (doc, err) = run_ok(
        ipscope(&data)
            .env("IPSCOPE_NOW", "2026-12-01T06:00:00Z")
            .args(["maint", "-p", "10000", "--email", "soc@example.org,admin@example.org", "--smtp", &relay])
            .args(["--smtp-tls", "none", "--from", "ipscope@example.org"]),
    );
    assert!(err.contains("mailed to soc@example.org, admin@example.org"), "{err}");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "one message for both recipients");
    let (subject, text, html) = &msgs[0];
    assert!(subject.starts_with("ipscope report"), "{subject}");
    // The text part is the document, byte for byte.
    assert_eq!(text, &doc);
    assert!(html.contains("<table>") && html.contains("<h1>"), "{html}");
    // The user name's markup is text in the HTML part.
    assert!(!html.contains("<b onmouseover"), "{html}");
    assert!(html.contains("&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;"), "{html}");

    // A relay that refuses: a clear error, exit 1.
    let out = ipscope(&data)
        .args([
            "maint",
            "--email",
            "soc@example.org",
            "--smtp",
            &format!("127.0.0.1:{}", free_port()),
            "--smtp-tls",
            "none",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot send the report through"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn maint_mails_over_starttls_trusting_the_relays_own_ca() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    // A private CA, and the relay's certificate signed by it.
    let d = dir.path();
    let (ca, ca_key, cert, key, csr, ext) = (
        d.join("ca.pem"),
        d.join("ca.key"),
        d.join("cert.pem"),
        d.join("key.pem"),
        d.join("req.csr"),
        d.join("ext.cnf"),
    );
    std::fs::write(&ext, "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        .unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        let ok = Command::new("openssl").args(args).stderr(Stdio::null()).stdout(Stdio::null()).status().unwrap();
        assert!(ok.success(), "openssl {args:?}");
    };
    let s = |x: &str| std::ffi::OsStr::new(x).to_owned();
    openssl(&[
        &s("req"),
        &s("-x509"),
        &s("-newkey"),
        &s("rsa:2048"),
        &s("-nodes"),
        &s("-days"),
        &s("1"),
        &s("-subj"),
        &s("/CN=ipscope test CA"),
        &s("-keyout"),
        ca_key.as_os_str(),
        &s("-out"),
        ca.as_os_str(),
    ]);
    openssl(&[
        &s("req"),
        &s("-newkey"),
        &s("rsa:2048"),
        &s("-nodes"),
        &s("-subj"),
        &s("/CN=localhost"),
        &s("-keyout"),
        key.as_os_str(),
        &s("-out"),
        csr.as_os_str(),
    ]);
    openssl(&[
        &s("x509"),
        &s("-req"),
        &s("-in"),
        csr.as_os_str(),
        &s("-CA"),
        ca.as_os_str(),
        &s("-CAkey"),
        ca_key.as_os_str(),
        &s("-CAcreateserial"),
        &s("-days"),
        &s("1"),
        &s("-extfile"),
        ext.as_os_str(),
        &s("-out"),
        cert.as_os_str(),
    ]);
    let smtp = Smtp::start(dir.path(), Some((&cert, &key)));
    let relay = format!("localhost:{}", smtp.port);
    // Without the CA the relay's certificate is not trusted: refused, nothing sent.
    let out = ipscope(&data).args(["maint", "--email", "soc@example.org", "--smtp", &relay]).output().unwrap();
    assert!(!out.status.success(), "an untrusted relay must be refused");
    assert!(smtp.messages().is_empty());
    let (doc, _) =
        run_ok(ipscope(&data).args(["maint", "--email", "soc@example.org", "--smtp", &relay, "--smtp-ca"]).arg(&ca));
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].1, doc);
}

#[test]
fn the_daemon_runs_maint_on_its_schedule_and_mails_it() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let smtp = Smtp::start(dir.path(), None);
    // Due a few seconds from now, in UTC.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(4)).format("%H:%M:%S").to_string();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "tz = \"UTC\"\n[maint]\nat = \"{at}\"\nemail = [\"soc@example.org\"]\nsmtp = \"127.0.0.1:{}\"\nsmtp_tls = \"none\"\npurge_days = 10000\n",
            smtp.port
        ),
    )
    .unwrap();
    let mut cmd = ipscope(&data);
    cmd.env("IPSCOPE_CONFIG", &config);
    let d = Daemon::start_with(cmd, &data, &[]);
    assert!(eventually(Duration::from_secs(40), || !smtp.messages().is_empty()), "no mail from the schedule");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "one run a day");
    // The scheduled document is `ipscope maint`'s, but for the time in its title.
    let (cli, _) = run_ok(ipscope(&data).env("IPSCOPE_CONFIG", &config).args(["maint", "-p", "10000"]));
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&msgs[0].1), body(&cli));
    assert!(d.terminate().success());
}
