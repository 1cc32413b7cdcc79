//! OpenSSH / PAM syslog: auth.log, secure, journald text export.
//!
//! Headers are parsed by [`crate::syslog`] (RFC 3164 with or without `<PRI>`, RFC 3339, RFC 5424,
//! no host, `[sshd]`). Programs `sshd`, `sshd-session` (OpenSSH 9.8+) and `sshd-auth` (10.0+) are
//! OpenSSH; `sshd(pam_unix)` is old (pre-0.99.2) Linux-PAM inside sshd; every other program is
//! `Ignored("other program")`. A Solaris `[ID 800047 auth.info] ` message prefix is skipped.
//!
//! Every event: `ts`, `format = sshd`, `sensor` = syslog host, `session` = pid (text),
//! `proto = tcp`. `detail` = the auth method for `Failed`/`Accepted` lines, `pam` for PAM-only
//! failures.
//!
//! | line shape (message after `sshd[pid]: `) | result |
//! |---|---|
//! | `Failed password for [invalid user ]X from A[ port N][ sshN][: info]` | `auth` failure, user X, detail `password` |
//! | `Failed keyboard-interactive[/pam] for ...` | `auth` failure, detail = method |
//! | `Failed publickey\|hostbased\|none\|unknown\|gssapi-* for ...` | `key_auth` failure, detail = method |
//! | `Accepted password\|keyboard-interactive[/pam] for X from A port N ssh2` | `auth` success (address remembered for the pid) |
//! | `Accepted publickey\|hostbased\|gssapi-with-mic for X from A port N ssh2[: RSA ...]` | `key_auth` success (address remembered) |
//! | `error: PAM: Authentication failure\|authentication error for [illegal user ]X from H[ via A]` | `auth` failure, detail `pam`, `via` → `dst_ip` |
//! | `error: PAM: User not known to the underlying authentication module for illegal user X from A` | `auth` failure, detail `pam` |
//! | `Invalid user X from A[ port N]`, `Illegal user X from A` | `invalid_user`, user X (may be empty) |
//! | `message repeated N times: [ <msg>]` | `<msg>` parsed, its events emitted N times (N clamped to [`MAX_REPEAT`]) |
//! | `pam_unix(sshd:session): session opened for user X[(uid=N)] by (uid=0)` | `session_open`, address of the pid's `Accepted` line |
//! | `pam_unix(sshd:session): session closed for user X` | `session_close`, address of the pid's `Accepted` line (then forgotten) |
//! | `sshd(pam_unix)[pid]: session opened\|closed for user X ...` (old Red Hat) | `session_open` / `session_close` (address if mapped) |
//! | `sshd(pam_unix)[pid]: authentication failure; ... rhost=H[ user=X]` (old Red Hat) | `auth` failure, detail `pam`: sshd's own lines went to another file, so this is the only record |
//! | `sshd[pid]: (pam_unix) authentication failure; ... rhost=H[ user=X]` | `auth` failure, detail `pam` (same era) |
//! | `refused connect from [user@]H[ (A)]` (tcpwrappers) | `deny`, src from `(A)` or `H` |
//! | `Connection from A port N[ on B port M][ rdomain ...]` | `connection`, src A:N, dst B:M |
//! | `pam_unix(sshd:auth): authentication failure; ...` | ignored `pam summary`: sshd logs `Failed ...` for the same attempt |
//! | `pam_unix(sshd:auth): check pass; user unknown`, `PAM N more authentication failures`, `PAM service(sshd) ignoring max retries`, other `pam_*` | ignored `pam noise` |
//! | `pam_unix(<other>:...)` under sshd | ignored `other pam service` |
//! | `input_userauth_request: invalid user X [preauth]` | ignored `invalid user echo` (no address; duplicates `Invalid user`) |
//! | `reverse mapping checking getaddrinfo ...`, `Address A maps to H, but this does not map back ...` | ignored `reverse mapping` |
//! | `Did not receive identification string from A[ port N]` | `connection` failure, `conn_state` `no identification` (a scanner probe, `sshd/probe.rs`) |
//! | `banner exchange: Connection from A port N: invalid format`, `Bad protocol version identification '...' from A[ port N]` | `connection` failure, `conn_state` `bad banner`, detail = why |
//! | `[fatal: ]Unable to negotiate with A port N: no matching ... found. Their offer: ...` | `connection` failure, `conn_state` `negotiation failure`, detail = why |
//! | `Connection closed by [authenticating user U \|invalid user U ]A port N [preauth]`, `Received disconnect from A port N:11: ... [preauth]`, `Disconnected from ... [preauth]`, `Connection reset by ... [preauth]`, when the connection logged no authentication line | `connection` failure, user U, `conn_state` `closed preauth` / `disconnect preauth` / `reset preauth`: one per connection (a silent attempt) |
//! | the same end lines after an authentication line (or after the connection's probe), and without `[preauth]` | ignored `disconnect` |
//! | `Disconnecting ...` | ignored `disconnect` |
//! | `Disconnecting: Too many authentication failures ...`, `error: maximum authentication attempts exceeded ...` | ignored `too many failures` (the attempts themselves were logged) |
//! | `error: kex_exchange_identification: ...`, `Protocol major versions differ` (no address) | ignored `no identification` |
//! | `fatal: no matching ... found` (no address) | ignored `negotiation failure` |
//! | `ssh_dispatch_run_fatal: ...`, `Corrupted MAC ...`, `Bad packet length ...` | ignored `protocol error` |
//! | `[fatal: ]Timeout before authentication ...` | ignored `timeout` |
//! | `User X [from A ]not allowed because ...`, `ROOT LOGIN REFUSED FROM A` | ignored `user not allowed` (policy; the attempt is logged as `Failed ...`) |
//! | `SSH: Server;Ltype: ...` | ignored `audit` |
//! | `Postponed publickey ...` | ignored `postponed` |
//! | `Starting session:`, `Close session:`, `User child is on pid`, `Changed root directory`, `subsystem request` | ignored `session info` |
//! | `Server listening on`, `Received signal`, `Received SIGHUP`, `Exiting on signal` | ignored `server` |
//! | other `error: ...` / `fatal: ...` | ignored `error` / `fatal` |
//! | anything else from sshd | ignored `other sshd message` (the corpus test asserts there are none in the corpus) |
//! | other programs (`CRON`, `su`, `sudo`, `ftpd`, `pam_unix(cron:session)` under `CRON`, ...) | ignored `other program` |
//! | `#...` / empty | ignored `comment` / `blank` |
//! | bad or truncated header, impossible date, a recognized event line without a usable address | rejected |
//!
//! Addresses: IPv4, IPv6 and `::ffff:a.b.c.d` (canonicalized to IPv4) go to `src_ip`. Anything
//! else made of letters, digits, `.`, `-`, `_` goes to `src_host` with `src_ip` unset: sshd
//! prints a host NAME there with `UseDNS yes`, and a PTR record can be made to look like an
//! address. That includes dotted quads std refuses, such as `192.030.0.6` (a leading zero): such
//! text never comes from sshd's numeric formatting, so it is a name, not an address.
//!
//! Injection: user names (attacker-chosen) and the auth info suffix may contain `from A port N`.
//! The address is taken from the LEFTMOST ` from ` that is followed by a well-formed
//! `A[ port N][ sshN]` and then the end of the message, `:` or ` [` (this is what fail2ban's test
//! cases expect: `Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from
//! 127.0.0.1 port 58946 ssh2` is 127.0.0.1 with user `test from 10.10.1.2 port 55555 ssh2`).

use memchr::memmem;

use crate::clock::Clock;
use crate::syslog::{Stamp, parse_header};
use crate::{Event, EventKind, LineOutcome, Outcome, Parser, SourceFormat, reject, text};
use addr::{Addr, AddrTail, UserFrom, addr_port, addr_tail, parse_addr, set_src};
use sessions::{SessionMap, Tracked, session_key};

/// Cap on `message repeated N times`: a hostile or corrupt N must not make one line produce
/// millions of events. Beyond it the count is clamped.
pub const MAX_REPEAT: usize = 10_000;

/// How many pid → address entries (from `Accepted` lines) are kept per stream for the PAM
/// session lines that follow; the oldest is evicted beyond it. 64 Ki entries ≈ 6 MiB.
pub const MAX_TRACKED_SESSIONS: usize = 65_536;

/// The parser for one sshd / PAM syslog stream.
pub struct SshdParser {
    clock: Clock,
    sessions: SessionMap,
    /// Connections that logged an authentication line or a probe (see `sshd/probe.rs`).
    seen: probe::Seen,
    from: memmem::Finder<'static>,
}

impl SshdParser {
    pub fn new(clock: Clock) -> SshdParser {
        SshdParser {
            clock,
            sessions: SessionMap::default(),
            seen: probe::Seen::default(),
            from: memmem::Finder::new(b" from "),
        }
    }
}

/// The header facts every event of a line shares.
struct Ctx<'a> {
    ts: i64,
    host: Option<&'a [u8]>,
    pid: Option<&'a [u8]>,
}

impl Parser for SshdParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Sshd
    }

    fn set_reference(&mut self, reference_micros: i64) {
        self.clock.set_reference(reference_micros);
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = trim_end(line);
        match crate::syslog::trim_start(line).first() {
            None => return LineOutcome::Ignored("blank"),
            Some(b'#') => return LineOutcome::Ignored("comment"),
            Some(_) => {}
        }
        let h = match parse_header(line) {
            Ok(h) => h,
            Err(reason) => return reject(reason, line),
        };
        let old_pam = match h.program {
            b"sshd" | b"sshd-session" | b"sshd-auth" => false,
            b"sshd(pam_unix)" => true,
            _ => return LineOutcome::Ignored("other program"),
        };
        let ts = match h.stamp {
            Stamp::Rfc3164(t) => self.clock.syslog_micros(t),
            Stamp::DateTime(p) => self.clock.datetime_micros(p),
        };
        let ts = match ts {
            Ok(ts) => ts,
            Err(e) => return reject(e.reason(), line),
        };
        let ctx = Ctx { ts, host: h.host, pid: h.pid };
        let mut msg = h.msg;
        // Solaris: `sshd[1]: [ID 800047 auth.info] Failed ...`
        if msg.starts_with(b"[ID ")
            && let Some(end) = memmem::find(msg, b"] ")
        {
            msg = msg.get(end + 2..).unwrap_or_default();
        }
        let res = if old_pam { self.old_pam(&ctx, msg, out) } else { self.message(&ctx, msg, out, false) };
        match res {
            LineOutcome::Rejected(r) => reject(r.reason, line),
            other => other,
        }
    }
}

impl SshdParser {
    /// Push a new event with the line's shared fields and return it for filling in place (an
    /// event is several hundred bytes: building it where it lives saves a copy per event).
    fn event<'o>(&self, ctx: &Ctx<'_>, kind: EventKind, out: &'o mut Vec<Event>) -> &'o mut Event {
        let i = out.len();
        out.push(Event::new(ctx.ts, SourceFormat::Sshd, kind));
        // Index `i` was just pushed.
        let e = &mut out[i];
        e.sensor = ctx.host.map(text);
        e.session = ctx.pid.map(text);
        e.proto = Some("tcp".to_owned());
        e
    }

    /// One sshd message. `nested` is set inside `message repeated` (no second level).
    fn message(&mut self, ctx: &Ctx<'_>, msg: &[u8], out: &mut Vec<Event>, nested: bool) -> LineOutcome {
        if let Some(r) = msg.strip_prefix(b"Failed ") {
            return self.auth(ctx, r, Outcome::Failure, out);
        }
        if let Some(r) = msg.strip_prefix(b"Accepted ") {
            return self.auth(ctx, r, Outcome::Success, out);
        }
        if let Some(r) = msg.strip_prefix(b"Invalid user ").or_else(|| msg.strip_prefix(b"Illegal user ")) {
            return self.invalid_user(ctx, r, out);
        }
        if let Some(r) = msg.strip_prefix(b"pam_unix(") {
            return self.pam_unix(ctx, r, out);
        }
        if let Some(r) = msg.strip_prefix(b"message repeated ") {
            if nested {
                return reject("nested repeat", msg);
            }
            return self.repeated(ctx, r, out);
        }
        if let Some(r) = msg.strip_prefix(b"error: ") {
            if let Some(p) = r.strip_prefix(b"PAM: ") {
                return self.pam_error(ctx, p, out);
            }
            if let Some(p) = probe::parse(r) {
                return self.probe(ctx, p, r, out);
            }
            return LineOutcome::Ignored(category(r).unwrap_or("error"));
        }
        if let Some(r) = msg.strip_prefix(b"fatal: ") {
            if let Some(p) = probe::parse(r) {
                return self.probe(ctx, p, r, out);
            }
            return LineOutcome::Ignored(category(r).unwrap_or("fatal"));
        }
        if let Some(r) = msg.strip_prefix(b"Connection from ") {
            return self.connection(ctx, r, out);
        }
        if let Some(r) = msg.strip_prefix(b"refused connect from ") {
            return self.refused(ctx, r, out);
        }
        if let Some(r) = msg.strip_prefix(b"(pam_unix) ") {
            return self.old_pam(ctx, r, out);
        }
        if let Some(p) = probe::parse(msg) {
            return self.probe(ctx, p, msg, out);
        }
        LineOutcome::Ignored(category(msg).unwrap_or("other sshd message"))
    }

    /// A probe line (`sshd/probe.rs`): one `connection` failure per connection that ended without
    /// authenticating; an end line of a connection that authenticated stays ignored.
    fn probe(&mut self, ctx: &Ctx<'_>, p: probe::Probe<'_>, msg: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let key = probe::conn_key(ctx, p.addr, p.port);
        if p.end_only && self.seen.contains(key) {
            return LineOutcome::Ignored(category(msg).unwrap_or("disconnect"));
        }
        self.seen.mark(key);
        let e = self.event(ctx, EventKind::Connection, out);
        e.outcome = Some(Outcome::Failure);
        set_src(e, p.addr);
        e.src_port = p.port;
        e.user = p.user.map(text);
        e.conn_state = Some(p.state.to_owned());
        e.detail = p.detail.map(text);
        LineOutcome::Events(1)
    }

    /// Remembers that the connection of an authentication line authenticated (its `[preauth]`
    /// end is then not a probe).
    fn authenticated(&mut self, ctx: &Ctx<'_>, addr: Addr<'_>, port: Option<u16>) {
        self.seen.mark(probe::conn_key(ctx, addr, port));
    }

    /// `Failed|Accepted <method> for [invalid user ]X from A ...`
    fn auth(&mut self, ctx: &Ctx<'_>, r: &[u8], outcome: Outcome, out: &mut Vec<Event>) -> LineOutcome {
        let Some(sp) = memchr::memchr(b' ', r) else {
            return reject("bad auth line", r);
        };
        let method = r.get(..sp).unwrap_or_default();
        let Some(rest) = r.get(sp..).and_then(|x| x.strip_prefix(b" for ")) else {
            return reject("bad auth line", r);
        };
        let rest = strip_invalid_user(rest);
        let Some(uf) = self.user_from(rest, false) else {
            return reject("bad address", r);
        };
        let kind = if method == b"password" || method.starts_with(b"keyboard-interactive") {
            EventKind::Auth
        } else {
            EventKind::KeyAuth
        };
        self.authenticated(ctx, uf.addr, uf.port);
        let e = self.event(ctx, kind, out);
        e.outcome = Some(outcome);
        e.user = Some(text(uf.user));
        set_src(e, uf.addr);
        e.src_port = uf.port;
        e.detail = Some(text(method));
        if outcome == Outcome::Success
            && let Some(key) = session_key(ctx)
        {
            self.sessions.insert(key, Tracked::of(e));
        }
        LineOutcome::Events(1)
    }

    /// `Invalid user X from A[ port N]`
    fn invalid_user(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let Some(uf) = self.user_from(r, false) else {
            return reject("bad address", r);
        };
        self.authenticated(ctx, uf.addr, uf.port);
        let e = self.event(ctx, EventKind::InvalidUser, out);
        e.user = Some(text(uf.user));
        set_src(e, uf.addr);
        e.src_port = uf.port;
        LineOutcome::Events(1)
    }

    /// `error: PAM: <what> for [illegal user ]X from H[ via A]`
    fn pam_error(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        const FAILURES: [&[u8]; 3] = [
            b"authentication failure for ",
            b"authentication error for ",
            b"user not known to the underlying authentication module for ",
        ];
        let Some(rest) = FAILURES.iter().find_map(|p| strip_prefix_ci(r, p)) else {
            return LineOutcome::Ignored("pam noise");
        };
        let rest = strip_invalid_user(rest);
        let Some(uf) = self.user_from(rest, true) else {
            return reject("bad address", r);
        };
        self.authenticated(ctx, uf.addr, uf.port);
        let e = self.event(ctx, EventKind::Auth, out);
        e.outcome = Some(Outcome::Failure);
        e.user = Some(text(uf.user));
        set_src(e, uf.addr);
        e.src_port = uf.port;
        if let Some(Addr::Ip(ip)) = uf.via.and_then(parse_addr) {
            e.dst_ip = Some(ip);
        }
        e.detail = Some("pam".to_owned());
        LineOutcome::Events(1)
    }

    /// `N times: [ <msg>]`
    fn repeated(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let ndig = r.iter().take_while(|c| c.is_ascii_digit()).count();
        let count = r.get(..ndig).map_or(0, parse_count);
        let inner = r.get(ndig..).and_then(|x| x.strip_prefix(b" times: [")).and_then(|x| x.strip_suffix(b"]"));
        let (Some(inner), 1..) = (inner, count) else {
            return reject("bad repeat", r);
        };
        let inner = inner.strip_prefix(b" ").unwrap_or(inner);
        let start = out.len();
        match self.message(ctx, inner, out, true) {
            // A repeated probe line: one process, one connection, one probe.
            LineOutcome::Events(k)
                if out.get(start..).is_some_and(|v| {
                    v.iter().all(|e| e.kind == EventKind::Connection && e.outcome == Some(Outcome::Failure))
                }) =>
            {
                LineOutcome::Events(k)
            }
            LineOutcome::Events(k) => {
                let once: Vec<Event> = out.get(start..).unwrap_or_default().to_vec();
                for _ in 1..count {
                    out.extend(once.iter().cloned());
                }
                LineOutcome::Events(k * count)
            }
            other => other,
        }
    }

    /// `pam_unix(` + `svc:type): msg`
    fn pam_unix(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let Some(close) = memchr::memchr(b')', r) else {
            return LineOutcome::Ignored("pam noise");
        };
        let (svc, typ) = match r.get(..close).map(|x| x.split(|&c| c == b':')) {
            Some(mut it) => (it.next().unwrap_or_default(), it.next().unwrap_or_default()),
            None => return LineOutcome::Ignored("pam noise"),
        };
        if svc != b"sshd" {
            return LineOutcome::Ignored("other pam service");
        }
        let m = r.get(close + 1..).unwrap_or_default();
        let m = m.strip_prefix(b":").unwrap_or(m);
        let m = m.strip_prefix(b" ").unwrap_or(m);
        match typ {
            b"session" => self.session_line(ctx, m, out),
            b"auth" if m.starts_with(b"authentication failure;") => LineOutcome::Ignored("pam summary"),
            _ => LineOutcome::Ignored("pam noise"),
        }
    }

    /// Old Linux-PAM messages (`sshd(pam_unix)[pid]: ...`, `sshd[pid]: (pam_unix) ...`).
    fn old_pam(&mut self, ctx: &Ctx<'_>, m: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        if let Some(r) = m.strip_prefix(b"authentication failure;") {
            return self.pam_rhost_failure(ctx, r, out);
        }
        self.session_line(ctx, m, out)
    }

    /// `session opened for user X[(uid=N)] by ...` / `session closed for user X`
    fn session_line(&mut self, ctx: &Ctx<'_>, m: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let (open, rest) = if let Some(r) = m.strip_prefix(b"session opened for user ") {
            (true, r)
        } else if let Some(r) = m.strip_prefix(b"session closed for user ") {
            (false, r)
        } else {
            return LineOutcome::Ignored("pam noise");
        };
        let mut user = match memmem::find(rest, b" by ") {
            Some(i) => rest.get(..i).unwrap_or_default(),
            None => rest,
        };
        if let Some(i) = memmem::find(user, b"(uid=") {
            user = user.get(..i).unwrap_or_default();
        }
        let kind = if open { EventKind::SessionOpen } else { EventKind::SessionClose };
        let e = self.event(ctx, kind, out);
        e.user = Some(text(user.trim_ascii()));
        if let Some(key) = session_key(ctx) {
            let tracked = if open { self.sessions.get(&key).cloned() } else { self.sessions.remove(&key) };
            if let Some(t) = tracked {
                e.src_ip = t.src_ip;
                e.src_host = t.src_host;
                e.src_port = t.src_port;
            }
        }
        LineOutcome::Events(1)
    }

    /// After `authentication failure;`: `logname= uid=0 euid=0 tty=ssh ruser= rhost=H[  user=X]`.
    /// The rhost is the last ` rhost=` before the first ` user=` (the user comes last and may
    /// itself contain `rhost=`).
    fn pam_rhost_failure(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let user_at = memmem::find(r, b" user=");
        let head = user_at.and_then(|i| r.get(..i)).unwrap_or(r);
        let rhost = memmem::rfind(head, b" rhost=").and_then(|i| head.get(i + 7..)).map(|v| {
            let end = memchr::memchr(b' ', v).unwrap_or(v.len());
            v.get(..end).unwrap_or_default()
        });
        let addr = match rhost {
            Some([]) | None => None,
            Some(h) => match parse_addr(h) {
                Some(a) => Some(a),
                None => return reject("bad address", r),
            },
        };
        if let Some(a) = addr {
            self.authenticated(ctx, a, None);
        }
        let e = self.event(ctx, EventKind::Auth, out);
        e.outcome = Some(Outcome::Failure);
        e.detail = Some("pam".to_owned());
        if let Some(a) = addr {
            set_src(e, a);
        }
        if let Some(u) = user_at.and_then(|i| r.get(i + 6..)).map(<[u8]>::trim_ascii)
            && !u.is_empty()
        {
            e.user = Some(text(u));
        }
        LineOutcome::Events(1)
    }

    /// After `Connection from `: `A[ port N][ on B port M][ ...]`
    fn connection(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let Some((src, sport, rest)) = addr_port(r) else {
            return reject("bad address", r);
        };
        let e = self.event(ctx, EventKind::Connection, out);
        set_src(e, src);
        e.src_port = sport;
        if let Some((dst, dport, _)) = rest.strip_prefix(b" on ").and_then(addr_port) {
            if let Addr::Ip(ip) = dst {
                e.dst_ip = Some(ip);
            }
            e.dst_port = dport;
        }
        LineOutcome::Events(1)
    }

    /// After `refused connect from `: `[user@]H[ (A)]` (tcpwrappers).
    fn refused(&mut self, ctx: &Ctx<'_>, r: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let end = memchr::memchr(b' ', r).unwrap_or(r.len());
        let tok = r.get(..end).unwrap_or_default();
        let host = memchr::memrchr(b'@', tok).and_then(|i| tok.get(i + 1..)).unwrap_or(tok);
        let paren = r
            .get(end..)
            .and_then(|x| x.strip_prefix(b" ("))
            .and_then(|x| memchr::memchr(b')', x).and_then(|i| x.get(..i)));
        let host = parse_addr(host);
        let paren = paren.and_then(parse_addr);
        if host.is_none() && paren.is_none() {
            return reject("bad address", r);
        }
        let e = self.event(ctx, EventKind::Deny, out);
        for a in [host, paren].into_iter().flatten() {
            set_src(e, a);
        }
        LineOutcome::Events(1)
    }

    /// Split `X from A...` at the leftmost ` from ` followed by a well-formed address tail.
    fn user_from<'a>(&self, s: &'a [u8], allow_via: bool) -> Option<UserFrom<'a>> {
        // A user name can be empty: `Invalid user  from A` leaves ` from A` here.
        self.from.find_iter(s).find_map(|pos| {
            let AddrTail { addr, port, via } = addr_tail(s.get(pos + 6..)?, allow_via)?;
            Some(UserFrom { user: s.get(..pos)?, addr, port, via })
        })
    }
}

fn strip_invalid_user(s: &[u8]) -> &[u8] {
    s.strip_prefix(b"invalid user ").or_else(|| s.strip_prefix(b"illegal user ")).unwrap_or(s)
}

fn strip_prefix_ci<'a>(s: &'a [u8], p: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..p.len())?;
    head.eq_ignore_ascii_case(p).then(|| s.get(p.len()..)).flatten()
}

/// Digits → count, clamped to [`MAX_REPEAT`].
fn parse_count(d: &[u8]) -> usize {
    d.iter()
        .try_fold(0usize, |n, c| n.checked_mul(10)?.checked_add(usize::from(c - b'0')))
        .map_or(MAX_REPEAT, |n| n.min(MAX_REPEAT))
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|c| matches!(c, b'\r' | b'\n' | b' ' | b'\t')).count();
    s.get(..s.len() - n).unwrap_or_default()
}

/// Ignored messages: (prefix, category). Checked in order; the first match wins.
const IGNORED: &[(&[u8], &str)] = &[
    (b"Received disconnect from ", "disconnect"),
    (b"Connection closed by ", "disconnect"),
    (b"input_userauth_request: invalid user ", "invalid user echo"),
    (b"reverse mapping checking getaddrinfo ", "reverse mapping"),
    (b"PAM ", "pam noise"),
    (b"pam_", "pam noise"),
    (b"Did not receive identification string", "no identification"),
    (b"Disconnecting: Too many authentication failures", "too many failures"),
    (b"maximum authentication attempts exceeded", "too many failures"),
    (b"Connection reset by ", "disconnect"),
    (b"Disconnected from ", "disconnect"),
    (b"Disconnecting ", "disconnect"),
    (b"Disconnecting: ", "disconnect"),
    (b"Address ", "reverse mapping"),
    (b"Nasty PTR record ", "reverse mapping"),
    (b"Bad protocol version identification", "no identification"),
    (b"kex_exchange_identification: ", "no identification"),
    (b"banner exchange: ", "no identification"),
    (b"Protocol major versions differ", "no identification"),
    (b"Unable to negotiate", "negotiation failure"),
    (b"no matching ", "negotiation failure"),
    (b"ssh_dispatch_run_fatal: ", "protocol error"),
    (b"Corrupted MAC ", "protocol error"),
    (b"Bad packet length ", "protocol error"),
    (b"Timeout before authentication", "timeout"),
    (b"ROOT LOGIN REFUSED ", "user not allowed"),
    (b"SSH: Server;", "audit"),
    (b"Postponed ", "postponed"),
    (b"Starting session: ", "session info"),
    (b"Close session: ", "session info"),
    (b"User child is on pid ", "session info"),
    (b"Changed root directory ", "session info"),
    (b"subsystem request ", "session info"),
    (b"Server listening on ", "server"),
    (b"Received signal ", "server"),
    (b"Received SIGHUP", "server"),
    (b"Exiting on signal ", "server"),
];

/// The category of an ignored message, if it is a known one.
fn category(m: &[u8]) -> Option<&'static str> {
    if m.starts_with(b"User ") && memmem::find(m, b" not allowed because ").is_some() {
        return Some("user not allowed");
    }
    IGNORED.iter().find(|(p, _)| m.starts_with(p)).map(|&(_, c)| c)
}

mod addr;
mod probe;
mod sessions;

pub use probe::MAX_TRACKED_CONNECTIONS;
#[cfg(test)]
mod tests;
