//! A syslog listener: UDP and TCP, RFC 3164 and RFC 5424 messages, each routed to the parser
//! that reads it by its content (`%ASA-` / `%FTD-` → the ASA parser, everything else → the sshd
//! parser, which ignores other programs' messages and counts them), the sending host as sensor
//! when the message names none.
//!
//! TCP frames are RFC 6587 octet-counted (`LEN SP MSG`) when a frame starts with a digit 1–9
//! followed by digits and a space, else newline-terminated (a trailing `\r` is dropped) — the rule
//! rsyslog, syslog-ng and Vector use; the framing itself, without I/O, is
//! `ipscope_formats::syslog::framing` (where it is fuzzed). Every message is bounded by
//! [`MAX_MESSAGE`]; oversize,
//! malformed and dropped messages are counted (`ipscope_syslog_dropped_total{reason}`), never
//! stored in part. What a SIGKILL can lose: messages received but not committed yet — at most
//! the last flush interval ([`crate::live::DEFAULT_FLUSH`], 0.5 s) plus what sits in the socket
//! buffers; a SIGTERM commits them.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TrySendError};
use std::time::Duration;

use ipscope_formats::{FormatKind, ParseOptions};
use ipscope_store::{Backend, InputProgress};
use tracing::{info, warn};

use crate::batcher::{Batcher, Pushed};
use crate::live::{CommitError, Context};
use crate::metrics::{DropLabels, SourceKind, TransportLabel};
use crate::{IngestError, Result};

pub use ipscope_formats::syslog::framing::{Frame, Framer, MAX_MESSAGE};
/// TCP connections served at once; more are closed at once and counted.
pub const MAX_TCP_CONNECTIONS: usize = 256;
/// Messages buffered between the sockets and the parsers. A UDP message that finds it full is
/// dropped (`queue_full`); a TCP sender waits (TCP's own flow control).
const QUEUE: usize = 65_536;
/// The UDP socket's receive buffer, so bursts are not lost in the kernel while a batch commits.
const UDP_RECV_BUFFER: usize = 8 * 1024 * 1024;
/// How often blocked socket calls look at the stop flag.
const TICK: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
    fn source(self) -> SourceKind {
        match self {
            Transport::Udp => SourceKind::SyslogUdp,
            Transport::Tcp => SourceKind::SyslogTcp,
        }
    }
}

/// Where to listen.
#[derive(Clone, Debug)]
pub struct SyslogConfig {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub parse: ParseOptions,
}

/// One received message.
struct Message {
    transport: Transport,
    peer: IpAddr,
    data: Vec<u8>,
}

/// The sockets, bound (so a bad address fails at start, before the daemon says it is ready).
pub struct Listeners {
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    cfg: SyslogConfig,
}

impl Listeners {
    pub fn bind(cfg: &SyslogConfig) -> Result<Listeners> {
        let udp = cfg.udp.map(bind_udp).transpose()?;
        let tcp = cfg
            .tcp
            .map(|a| {
                TcpListener::bind(a)
                    .map_err(|source| IngestError::Source { what: format!("cannot listen on tcp {a}"), source })
            })
            .transpose()?;
        Ok(Listeners { udp, tcp, cfg: cfg.clone() })
    }

    /// The addresses actually bound (port 0 → the port the system chose).
    pub fn local_addrs(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        (self.udp.as_ref().and_then(|s| s.local_addr().ok()), self.tcp.as_ref().and_then(|s| s.local_addr().ok()))
    }

    /// Receives and stores until `ctx.stop` is set; then commits what was received and returns.
    pub fn run(self, ctx: &Context) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Message>(QUEUE);
        let sockets = Sockets { metrics: ctx.metrics.clone(), stop: Arc::clone(&ctx.stop) };
        let sockets = &sockets;
        std::thread::scope(|s| {
            if let Some(sock) = self.udp {
                let tx = tx.clone();
                s.spawn(move || udp_loop(sockets, &sock, &tx));
            }
            if let Some(listener) = self.tcp {
                let tx = tx.clone();
                s.spawn(move || tcp_accept_loop(sockets, &listener, &tx));
            }
            drop(tx);
            process(ctx, &self.cfg, &rx)
        })
    }
}

/// What the socket threads need: counters and the stop flag (not the store).
struct Sockets {
    metrics: crate::metrics::Metrics,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Sockets {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

fn bind_udp(addr: SocketAddr) -> Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let err = |source| IngestError::Source { what: format!("cannot listen on udp {addr}"), source };
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
    // A smaller buffer than asked for (the kernel's limit) is still a buffer: not an error, but
    // bursts beyond it are lost in the kernel, so say how to raise it.
    let _ = sock.set_recv_buffer_size(UDP_RECV_BUFFER);
    if let Ok(got) = sock.recv_buffer_size()
        && got < UDP_RECV_BUFFER / 2
    {
        warn!(
            asked = UDP_RECV_BUFFER,
            got,
            "the kernel limits the syslog UDP receive buffer (net.core.rmem_max): bursts beyond it are dropped \
             before ipscope sees them; raise it with `sysctl -w net.core.rmem_max={UDP_RECV_BUFFER}`"
        );
    }
    sock.bind(&addr.into()).map_err(err)?;
    let sock: UdpSocket = sock.into();
    sock.set_read_timeout(Some(TICK)).map_err(err)?;
    Ok(sock)
}

fn dropped(ctx: &Sockets, transport: Transport, reason: &'static str) {
    ctx.metrics.syslog_dropped.get_or_create(&DropLabels { transport: transport.as_str(), reason }).inc();
}

fn received(ctx: &Sockets, transport: Transport) {
    ctx.metrics.syslog_messages.get_or_create(&TransportLabel { transport: transport.as_str() }).inc();
}

fn udp_loop(ctx: &Sockets, sock: &UdpSocket, tx: &mpsc::SyncSender<Message>) {
    // One datagram at most 64 KiB; longer than MAX_MESSAGE is dropped whole.
    let mut buf = vec![0u8; 65_536];
    while !ctx.stopping() {
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                warn!(error = %e, "syslog udp receive failed");
                std::thread::sleep(TICK);
                continue;
            }
        };
        received(ctx, Transport::Udp);
        if n > MAX_MESSAGE {
            dropped(ctx, Transport::Udp, "oversize");
            continue;
        }
        let data = trim_message(&buf[..n]).to_vec();
        if data.is_empty() {
            dropped(ctx, Transport::Udp, "empty");
            continue;
        }
        match tx.try_send(Message { transport: Transport::Udp, peer: peer.ip(), data }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => dropped(ctx, Transport::Udp, "queue_full"),
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}

/// A datagram or frame without trailing line terminators / NULs.
fn trim_message(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|c| !matches!(c, b'\n' | b'\r' | 0)).map_or(0, |i| i + 1);
    &b[..end]
}

fn tcp_accept_loop(ctx: &Sockets, listener: &TcpListener, tx: &mpsc::SyncSender<Message>) {
    if let Err(e) = listener.set_nonblocking(true) {
        warn!(error = %e, "syslog tcp listener unusable");
        return;
    }
    let active = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        while !ctx.stopping() {
            match listener.accept() {
                Ok((stream, peer)) => {
                    if active.load(Ordering::Relaxed) >= MAX_TCP_CONNECTIONS {
                        dropped(ctx, Transport::Tcp, "too_many_connections");
                        continue; // dropping the stream closes it
                    }
                    active.fetch_add(1, Ordering::Relaxed);
                    let active = Arc::clone(&active);
                    let tx = tx.clone();
                    s.spawn(move || {
                        tcp_connection(ctx, stream, peer.ip(), &tx);
                        active.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
                Err(e) => {
                    warn!(error = %e, "syslog tcp accept failed");
                    std::thread::sleep(TICK);
                }
            }
        }
    });
}

fn tcp_connection(ctx: &Sockets, mut stream: TcpStream, peer: IpAddr, tx: &mpsc::SyncSender<Message>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(TICK));
    let mut framer = Framer::default();
    let mut buf = vec![0u8; 64 * 1024];
    while !ctx.stopping() {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut gone = false;
        framer.push(&buf[..n], &mut |f| match f {
            Frame::Message(m) => {
                received(ctx, Transport::Tcp);
                let data = trim_message(m);
                if data.is_empty() {
                    return;
                }
                if tx.send(Message { transport: Transport::Tcp, peer, data: data.to_vec() }).is_err() {
                    gone = true;
                }
            }
            Frame::Oversize => {
                received(ctx, Transport::Tcp);
                dropped(ctx, Transport::Tcp, "oversize");
            }
        });
        if gone {
            return;
        }
    }
    // A last message without its newline, from a sender that closed the connection.
    if let Some(m) = framer.finish() {
        received(ctx, Transport::Tcp);
        let data = trim_message(&m);
        if !data.is_empty() {
            let _ = tx.send(Message { transport: Transport::Tcp, peer, data: data.to_vec() });
        }
    }
}

/// One parser per (transport, format), each an input of its own in the ledger.
struct Route {
    name: String,
    batcher: Batcher,
    progress: InputProgress,
}

fn route_for<'a>(
    ctx: &Context,
    cfg: &SyslogConfig,
    routes: &'a mut HashMap<(Transport, FormatKind), Route>,
    transport: Transport,
    format: FormatKind,
) -> Result<&'a mut Route> {
    let slot = match routes.entry((transport, format)) {
        std::collections::hash_map::Entry::Occupied(e) => return Ok(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(v) => v,
    };
    let addr = match transport {
        Transport::Udp => cfg.udp,
        Transport::Tcp => cfg.tcp,
    };
    let name = format!("syslog-{}:{}#{}", transport.as_str(), addr.map_or_else(String::new, |a| a.to_string()), format);
    let progress =
        match ctx.reader.find_named_input(&name).map_err(|source| IngestError::Store { name: name.clone(), source })? {
            Some(rec) => InputProgress::resume(&rec, &name),
            None => InputProgress { path: name.clone(), format: format.as_str().to_owned(), ..Default::default() },
        };
    let parser = ipscope_formats::new_parser(format, &cfg.parse, crate::batcher::now_micros());
    let batcher = Batcher::new(parser, progress.id, ctx.batch_events, progress.bytes);
    Ok(slot.insert(Route { name, batcher, progress }))
}

/// Which parser reads a message.
fn format_of(msg: &[u8]) -> FormatKind {
    if memchr::memmem::find(msg, b"%ASA-").is_some() || memchr::memmem::find(msg, b"%FTD-").is_some() {
        FormatKind::Asa
    } else {
        FormatKind::Sshd
    }
}

fn process(ctx: &Context, cfg: &SyslogConfig, rx: &mpsc::Receiver<Message>) -> Result<()> {
    let mut routes: HashMap<(Transport, FormatKind), Route> = HashMap::new();
    info!(udp = ?cfg.udp, tcp = ?cfg.tcp, "syslog listener started");
    let poll = ctx.flush_after.min(Duration::from_millis(200));
    loop {
        match rx.recv_timeout(poll) {
            Ok(m) => {
                let route = route_for(ctx, cfg, &mut routes, m.transport, format_of(&m.data))?;
                route.batcher.set_reference(crate::batcher::now_micros());
                let end = route.batcher.end_bytes() + m.data.len() as u64 + 1;
                if let Pushed::Rejected(r, _) = route.batcher.push(&m.data, end, true, false) {
                    tracing::debug!(reason = %r, "rejected syslog message");
                }
                // The sending host is the sensor of messages that name none.
                for e in route.batcher.last_events() {
                    if e.sensor.is_none() {
                        e.sensor = Some(m.peer.to_string());
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        for (&(transport, _), route) in routes.iter_mut() {
            if ctx.due(&route.batcher) {
                commit(ctx, transport, route)?;
            }
        }
    }
    for (&(transport, _), route) in routes.iter_mut() {
        if route.batcher.has_pending() {
            commit(ctx, transport, route)?;
        }
    }
    Ok(())
}

fn commit(ctx: &Context, transport: Transport, route: &mut Route) -> Result<()> {
    match ctx.commit(transport.source(), &route.name, &mut route.batcher, &mut route.progress, &[]) {
        Ok(()) => Ok(()),
        Err(CommitError::Conflict) => {
            // Only this daemon writes a listener's input; a conflict means its ledger row moved
            // under us (a second daemon?): take the ledger's word and go on.
            if let Some(rec) = ctx
                .reader
                .find_named_input(&route.name)
                .map_err(|source| IngestError::Store { name: route.name.clone(), source })?
            {
                route.progress = InputProgress::resume(&rec, &route.name);
            }
            Ok(())
        }
        Err(CommitError::Other(e)) => Err(*e),
    }
}
