// ipscope dashboard. Plain JavaScript and uPlot (vendored, embedded in the binary): no request
// leaves this origin. Every value that comes from the data is inserted as text (textContent or
// attributes through setAttribute), never as HTML: user names, commands and URLs were typed by
// attackers.
(function () {
  'use strict';

  // ---- small helpers -----------------------------------------------------------------------
  const $ = (sel, root = document) => root.querySelector(sel);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids) {
      if (k === undefined || k === null) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const NUMBER = /^-?\d+(\.\d+)?$/;

  // ---- state: the time range and filters, kept in the URL (#/path?query) --------------------
  const state = { range: '24h', from: '', to: '', zone: 'UTC', source: [], kind: [], sensor: '', where: '', asn: '' };
  let info = null; // /api/summary of the whole store: formats, kinds, sensors, zone, home networks

  function readHash() {
    const [path, query] = (location.hash.slice(1) || '/').split('?');
    const q = new URLSearchParams(query || '');
    state.range = q.get('range') || '24h';
    state.from = q.get('from') || '';
    state.to = q.get('to') || '';
    state.zone = q.get('zone') || 'UTC';
    state.source = q.getAll('source');
    state.kind = q.getAll('kind');
    state.sensor = q.get('sensor') || '';
    state.where = q.get('where') || '';
    state.asn = q.get('asn') || '';
    return path || '/';
  }

  function writeHash(path) {
    const q = new URLSearchParams();
    if (state.range !== '24h') q.set('range', state.range);
    if (state.range === 'custom') { q.set('from', state.from); q.set('to', state.to); }
    if (state.zone !== 'UTC') q.set('zone', state.zone);
    state.source.forEach((s) => q.append('source', s));
    state.kind.forEach((s) => q.append('kind', s));
    if (state.sensor) q.set('sensor', state.sensor);
    if (state.where) q.set('where', state.where);
    if (state.asn) q.set('asn', state.asn);
    const s = q.toString();
    const next = '#' + path + (s ? '?' + s : '');
    if (location.hash !== next) history.replaceState(null, '', next);
  }

  // ---- time ---------------------------------------------------------------------------------
  const SPAN = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };

  /** Milliseconds of the zone's offset from UTC at instant `ms`. */
  function zoneOffset(ms, zone) {
    if (zone === 'UTC') return 0;
    const p = {};
    for (const part of new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(ms))) p[part.type] = part.value;
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }

  /** A `datetime-local` value read in `zone` → UTC milliseconds. */
  function localToUtc(value, zone) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(value);
    if (!m) return null;
    const naive = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    let ms = naive - zoneOffset(naive, zone);
    ms = naive - zoneOffset(ms, zone); // once more, across a DST change
    return ms;
  }

  /** [since, until] in UTC milliseconds (null = open). */
  function window_() {
    const now = Date.now();
    if (state.range === 'all') return [null, null];
    if (state.range === 'custom') return [localToUtc(state.from, state.zone), localToUtc(state.to, state.zone)];
    return [now - (SPAN[state.range] || SPAN['24h']), null];
  }

  function fmtTime(iso) {
    if (typeof iso !== 'string' || !/T.*Z$/.test(iso)) return iso;
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return new Intl.DateTimeFormat('sv-SE', {
      timeZone: state.zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).format(d) + (state.zone === 'UTC' ? ' UTC' : '');
  }

  // ---- the API ------------------------------------------------------------------------------
  function filterParams(extra) {
    const q = new URLSearchParams();
    const [since, until] = window_();
    if (since !== null) q.set('since', new Date(since).toISOString());
    if (until !== null) q.set('until', new Date(until).toISOString());
    if (state.source.length) q.set('source', state.source.join(','));
    if (state.kind.length) q.set('kind', state.kind.join(','));
    if (state.sensor) q.set('sensor', state.sensor);
    if (state.where === 'home') q.set('home_only', 'true');
    if (state.where === 'external') q.set('external', 'true');
    if (state.asn) q.set('asn', state.asn);
    for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    return q;
  }

  function reportUrl(name, extra, format) {
    const q = filterParams(extra);
    if (format) q.set('format', format);
    return 'api/report/' + encodeURIComponent(name) + '?' + q.toString();
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    const text = await r.text();
    let body;
    try { body = JSON.parse(text); } catch (_) { body = { error: text.trim() || r.statusText }; }
    if (!r.ok) throw new Error(body && body.error ? body.error : r.statusText);
    return body;
  }

  // ---- cards --------------------------------------------------------------------------------
  function card(id, title, opts = {}) {
    const dl = el('span', { class: 'dl' });
    const c = el('section', { class: 'card' + (opts.wide ? ' wide' : ''), id: 'card-' + id, 'data-panel': id },
      el('h2', {}, el('span', {}, title), dl), el('div', { class: 'body' }));
    c.dl = dl;
    return c;
  }

  function setBody(c, ...nodes) {
    const b = $('.body', c);
    b.replaceChildren(...nodes);
  }

  function note(text, cls = 'note') { return el('p', { class: cls }, text); }

  /** The current time range and filters, as the query part of a page link. */
  function query() {
    const q = (location.hash.split('?')[1] || '');
    return q ? '?' + q : '';
  }

  /** Where a cell links to: addresses to their page, prefixes to the network's (same time range
   *  and filters). */
  function cellLink(column, value) {
    if (typeof value !== 'string' || value === '') return null;
    if (['ip', 'src_ip'].includes(column)) return '#/ip/' + encodeURIComponent(value) + query();
    if (column === 'prefix' && value.includes('/')) return '#/net/' + encodeURIComponent(value) + query();
    return null;
  }

  /** Control and bidirectional-override characters shown as escapes: typed by attackers, they
   *  would otherwise reorder or hide what is shown around them. */
  const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;
  function visible(text) {
    return String(text).replace(INVISIBLE, (ch) => '\\u{' + ch.codePointAt(0).toString(16) + '}');
  }

  /** Columns whose numbers are names (ports, AS numbers), printed without thousands separators. */
  const PLAIN = new Set(['port', 'dst_port', 'src_port', 'asn', 'hour']);

  function table(rows, columns) {
    if (!rows.length) return null;
    const cols = columns || Object.keys(rows[0]);
    const numeric = cols.map((c) => rows.every((r) => r[c] === null || typeof r[c] === 'number'));
    const thead = el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { class: numeric[i] ? 'num' : null, scope: 'col' }, c))));
    const tbody = el('tbody', {}, ...rows.map((r) => el('tr', {}, ...cols.map((c, i) => {
      const v = r[c];
      const text = v === null || v === undefined ? '' : typeof v === 'number'
        ? (PLAIN.has(c) ? String(v) : v.toLocaleString('en-US', { maximumFractionDigits: 4 })) : visible(fmtTime(String(v)));
      const link = cellLink(c, v);
      const td = el('td', { class: numeric[i] ? 'num' : 'text', title: typeof v === 'string' && v.length > 40 ? v : null, 'data-col': c, 'data-value': v === null ? '' : String(v) },
        link ? el('a', { href: link }, text) : text);
      return td;
    }))));
    return el('div', { class: 'scroll' }, el('table', {}, thead, tbody));
  }

  function downloads(c, name, extra, chart) {
    const links = [el('a', { href: reportUrl(name, extra, 'csv'), download: name + '.csv' }, 'CSV')];
    if (chart) {
      links.push(el('a', { href: reportUrl(name, Object.assign({}, extra, { chart: 'svg' })), download: name + '.svg' }, 'SVG'));
      links.push(el('a', { href: reportUrl(name, Object.assign({}, extra, { chart: 'png' })), download: name + '.png' }, 'PNG'));
    }
    c.dl.replaceChildren(...links);
  }

  async function tablePanel(c, name, extra, columns) {
    downloads(c, name, extra, true);
    try {
      const rows = await getJson(reportUrl(name, extra, 'json'));
      setBody(c, table(rows, columns) || note('No data for this time range and these filters.'));
    } catch (e) {
      setBody(c, note(e.message, 'error'));
    }
  }

  // ---- time series (uPlot) ------------------------------------------------------------------
  /** The bucket for a span of milliseconds: minutes up to 3 hours, hours up to 4 days, else days. */
  function bucketFor(span) {
    if (span <= 3 * 3600e3) return 'minute';
    if (span <= 4 * 86400e3) return 'hour';
    return 'day';
  }

  /** The span a time series covers: the chosen window, narrowed to the store's first and last
   *  event, or to those of the address or network (`extra.src`) — an address seen on one
   *  afternoon is drawn by the minute, not over years. */
  async function spanOf(extra) {
    const [since, until] = window_();
    let first = info && info.first ? Date.parse(info.first) : null;
    let last = info && info.last ? Date.parse(info.last) : Date.now();
    if (extra && extra.src) {
      try {
        const rows = await getJson(reportUrl('summary', { src: extra.src }, 'json'));
        const f = rows.map((r) => Date.parse(r.first_seen)).filter((x) => !isNaN(x));
        const l = rows.map((r) => Date.parse(r.last_seen)).filter((x) => !isNaN(x));
        if (f.length) first = Math.min(...f);
        if (l.length) last = Math.max(...l);
      } catch (_) { /* the series query reports the error */ }
    }
    const lo = Math.max(since === null ? -Infinity : since, first === null ? -Infinity : first);
    const hi = Math.min(until === null ? Infinity : until, last);
    return Number.isFinite(lo) && Number.isFinite(hi) ? Math.max(0, hi - lo) : 365 * 86400e3;
  }

  const COLORS = ['#1f5fbf', '#d1495b', '#2a9d8f', '#e9a03b', '#6a4c93', '#4c956c', '#8a5a44', '#ef476f', '#118ab2', '#555'];

  async function timelinePanel(c, by, extra) {
    const bucket = bucketFor(await spanOf(extra));
    const ex = Object.assign({ by, bucket, top: 1000000 }, extra || {});
    downloads(c, 'timeline', ex, true);
    let rows;
    try { rows = await getJson(reportUrl('timeline', ex, 'json')); } catch (e) { setBody(c, note(e.message, 'error')); return; }
    if (!rows.length) { setBody(c, note('No events in this time range.')); return; }
    const keyCol = Object.keys(rows[0])[1];
    const step = { minute: 60, hour: 3600, day: 86400 }[bucket];
    const seen = rows.map((r) => Date.parse(r.time) / 1000);
    // One empty bucket on each side, so a single busy bucket is a peak, not a dot.
    const lo = Math.min(...seen) - step;
    const hi = Math.max(...seen) + step;
    // Every bucket of the range gets a point: a bucket without events is a 0, not a line drawn
    // across the gap. (Past 20 000 buckets, only those with events, and the lines break.)
    const dense = (hi - lo) / step <= 20000;
    const times = dense
      ? Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step)
      : [...new Set(seen)].sort((a, b) => a - b);
    const keys = [...new Set(rows.map((r) => r[keyCol]))];
    const index = new Map(times.map((t, i) => [t, i]));
    const series = keys.map(() => new Array(times.length).fill(dense ? 0 : null));
    for (const r of rows) series[keys.indexOf(r[keyCol])][index.get(Date.parse(r.time) / 1000)] = r.events;
    const box = el('div', { class: 'plot', 'data-series': keys.join(',') });
    setBody(c, box);
    const width = Math.max(300, box.clientWidth || 600);
    const plot = new uPlot({
      width, height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), state.zone),
      series: [{}].concat(keys.map((k, i) => ({ label: visible(k), stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: times.length < 60 } }))),
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
    }, [times].concat(series), box);
    c.plot = plot;
    const png = el('a', { href: '#', onclick: (e) => { e.preventDefault(); const a = el('a', { href: plot.ctx.canvas.toDataURL('image/png'), download: 'timeline-' + by + '.png' }); document.body.append(a); a.click(); a.remove(); } }, 'PNG');
    c.dl.replaceChildren(el('a', { href: reportUrl('timeline', ex, 'csv'), download: 'timeline-' + by + '.csv' }, 'CSV'),
      el('a', { href: reportUrl('timeline', Object.assign({}, ex, { chart: 'svg' })), download: 'timeline-' + by + '.svg' }, 'SVG'), png);
  }

  async function mapPanel(c) {
    const ex = { top: 250 };
    downloads(c, 'countries', ex, false);
    const svg = reportUrl('countries', Object.assign({}, ex, { chart: 'svg', chart_type: 'map' }));
    c.dl.append(el('a', { href: svg, download: 'map.svg' }, 'SVG'),
      el('a', { href: reportUrl('countries', Object.assign({}, ex, { chart: 'png', chart_type: 'map' })), download: 'map.png' }, 'PNG'));
    try {
      const rows = await getJson(reportUrl('countries', ex, 'json'));
      if (!rows.some((r) => r.country)) { setBody(c, note('No located addresses in this range (GeoIP databases: see ipscope status).')); return; }
      setBody(c, el('div', { class: 'map' }, el('img', { src: svg, alt: 'world map of events per country' })));
    } catch (e) {
      setBody(c, note(e.message, 'error'));
    }
  }

  // ---- pages --------------------------------------------------------------------------------
  const OVERVIEW = [
    { id: 'timeline-kind', title: 'Events over time, by kind', wide: true, render: (c) => timelinePanel(c, 'kind') },
    { id: 'timeline-format', title: 'Events over time, by source format', wide: true, render: (c) => timelinePanel(c, 'format') },
    { id: 'recent', title: 'Latest events', wide: true, live: true, render: (c) => tablePanel(c, 'recent', { top: 12 }) },
    { id: 'top-ips', title: 'Top source addresses', render: (c) => tablePanel(c, 'top-ips', { top: 15 }, ['ip', 'events', 'users', 'sessions', 'country', 'as_org', 'last_seen']) },
    { id: 'top-users', title: 'Top users', render: (c) => tablePanel(c, 'top-users', { top: 15 }, ['user', 'events', 'ips', 'per_day', 'last_seen']) },
    { id: 'low-success', title: 'Brute-force suspects (session:auth ratio below 0.05)', render: (c) => tablePanel(c, 'low-success', { top: 15 }) },
    { id: 'open-sessions', title: 'Sessions still open from outside', needsHome: true, render: (c) => tablePanel(c, 'open-sessions', { top: 15 }, ['user', 'ip', 'open', 'events', 'last_seen']) },
    { id: 'nets', title: 'Busiest networks', render: (c) => tablePanel(c, 'nets', { top: 15 }, ['prefix', 'events', 'ips', 'users', 'last_seen']) },
    { id: 'ports', title: 'Ports', needsKinds: ['connection', 'deny'], render: (c) => tablePanel(c, 'ports', { top: 15 }, ['port', 'proto', 'events', 'ips', 'denies']) },
    { id: 'scans', title: 'Scans: unanswered connections and denies per port', needsKinds: ['connection', 'deny'], render: (c) => tablePanel(c, 'scans', { top: 5 }) },
    { id: 'map', title: 'Where they come from', wide: true, render: (c) => mapPanel(c) },
    { id: 'countries', title: 'Countries', render: (c) => tablePanel(c, 'countries', { top: 15 }, ['country', 'country_name', 'events', 'ips']) },
    { id: 'asns', title: 'Networks by ASN', render: (c) => tablePanel(c, 'asns', { top: 15 }, ['asn', 'as_org', 'events', 'ips']) },
    { id: 'attackers', title: 'Honeypot attackers', needsFormats: ['cowrie'], render: (c) => tablePanel(c, 'attackers', { top: 15 }, ['ip', 'attempts', 'successes', 'severity', 'country', 'as_org', 'last_attempt']) },
    { id: 'credentials', title: 'Credentials tried', needsFormats: ['cowrie'], render: (c) => tablePanel(c, 'credentials', { top: 15 }, ['user', 'password', 'events', 'ips', 'successes']) },
    { id: 'commands', title: 'Commands run', needsFormats: ['cowrie'], render: (c) => tablePanel(c, 'commands', { top: 15 }, ['command', 'events', 'ips', 'sessions']) },
    { id: 'taxonomy', title: 'Feed events by taxonomy', needsFormats: ['intelmq'], wide: true, render: (c) => tablePanel(c, 'taxonomy', { top: 10 }) },
  ];

  /** Why a panel has nothing to show for this store, or null. */
  function absent(p) {
    if (!info) return null;
    if (p.needsFormats && !p.needsFormats.some((f) => (info.formats || {})[f])) return 'No ' + p.needsFormats.join('/') + ' events in the store.';
    if (p.needsKinds && !p.needsKinds.some((k) => (info.kinds || {})[k])) return 'No ' + p.needsKinds.join(' or ') + ' events in the store.';
    if (p.needsHome && !info.home_networks) return 'No home networks configured ([home] in the config): nothing is "outside" yet.';
    return null;
  }

  let cards = [];

  function overview() {
    cards = OVERVIEW.map((p) => {
      const c = card(p.id, p.title, p);
      c.panel = p;
      return c;
    });
    $('#main').replaceChildren(...cards);
    refresh(false);
  }

  function refresh(liveOnly) {
    for (const c of cards) {
      const p = c.panel;
      if (liveOnly && !p.live && !p.id.startsWith('timeline')) continue;
      const why = absent(p);
      if (why) { setBody(c, note(why)); c.dl.replaceChildren(); continue; }
      p.render(c);
    }
  }

  async function addressPage(ip) {
    const back = el('p', {}, el('a', { href: '#/' }, '← overview'));
    const head = card('lookup', 'Address ' + ip, { wide: true });
    const time = card('ip-timeline', 'Activity over time', { wide: true });
    const users = card('ip-users', 'Users tried', {});
    const kinds = card('ip-kinds', 'What it did', {});
    cards = [];
    $('#main').replaceChildren(back, head, time, users, kinds);
    try {
      const rows = await getJson('api/lookup?ip=' + encodeURIComponent(ip));
      const r = rows[0] || {};
      const fields = Object.entries(r).filter(([, v]) => v !== null && v !== '');
      setBody(head, el('table', { class: 'fields' }, el('tbody', {}, ...fields.map(([k, v]) => el('tr', {}, el('td', {}, k),
        el('td', { 'data-col': k }, k === 'prefix' ? el('a', { href: '#/net/' + encodeURIComponent(String(v)) + query() }, String(v)) : typeof v === 'number' ? String(v) : visible(fmtTime(String(v)))))))));
      const list = (text) => (text ? String(text).split(', ').map((p) => { const i = p.lastIndexOf(':'); return { what: p.slice(0, i), events: +p.slice(i + 1) }; }) : []);
      setBody(kinds, table(list(r.by_kind).map((x) => ({ kind: x.what, events: x.events }))
        .concat(list(r.by_source).map((x) => ({ kind: 'source: ' + x.what, events: x.events })))) || note('No stored activity.'));
    } catch (e) { setBody(head, note(e.message, 'error')); }
    timelinePanel(time, 'kind', { src: ip });
    tablePanel(users, 'top-users', { src: ip, top: 50 }, ['user', 'events', 'first_seen', 'last_seen']);
  }

  function networkPage(net) {
    const back = el('p', {}, el('a', { href: '#/' }, '← overview'));
    const time = card('net-timeline', 'Network ' + net + ' over time', { wide: true });
    const list = card('net-drill', 'Addresses in ' + net, { wide: true });
    cards = [];
    $('#main').replaceChildren(back, time, list);
    timelinePanel(time, 'kind', { src: net });
    tablePanel(list, 'nets', { drill: net, top: 100 });
  }

  function route() {
    const path = readHash();
    syncControls();
    const ip = /^\/ip\/(.+)$/.exec(path);
    const net = /^\/net\/(.+)$/.exec(path);
    if (ip) addressPage(decodeURIComponent(ip[1]));
    else if (net) networkPage(decodeURIComponent(net[1]));
    else overview();
  }

  // ---- controls -----------------------------------------------------------------------------
  const form = $('#controls');
  function syncControls() {
    form.range.value = state.range;
    form.from.value = state.from;
    form.to.value = state.to;
    form.zone.value = state.zone;
    for (const o of form.source.options) o.selected = state.source.includes(o.value);
    for (const o of form.kind.options) o.selected = state.kind.includes(o.value);
    form.sensor.value = state.sensor;
    form.where.value = state.where;
    form.asn.value = state.asn;
  }

  function fillOptions(select, values, keep) {
    const have = new Set([...select.options].map((o) => o.value));
    for (const v of values) if (!have.has(v)) select.append(el('option', { value: v }, v));
    if (keep) syncControls();
  }

  form.addEventListener('change', () => {
    state.range = form.range.value;
    if (state.range === 'custom' && !form.from.value) {
      // Custom starts as the last day, in the chosen zone.
      const fmt = (ms) => new Date(ms + zoneOffset(ms, form.zone.value)).toISOString().slice(0, 19);
      form.to.value = fmt(Date.now());
      form.from.value = fmt(Date.now() - 86400e3);
    }
    state.from = form.from.value;
    state.to = form.to.value;
    state.zone = form.zone.value;
    state.source = [...form.source.selectedOptions].map((o) => o.value);
    state.kind = [...form.kind.selectedOptions].map((o) => o.value);
    state.sensor = form.sensor.value;
    state.where = form.where.value;
    state.asn = form.asn.value.trim();
    writeHash(readHashPath());
    route();
  });
  form.addEventListener('reset', (e) => {
    e.preventDefault();
    Object.assign(state, { range: '24h', from: '', to: '', source: [], kind: [], sensor: '', where: '', asn: '' });
    writeHash(readHashPath());
    route();
  });
  function readHashPath() { return (location.hash.slice(1) || '/').split('?')[0] || '/'; }

  // ---- live updates (server-sent events on this origin) --------------------------------------
  let pending = null;
  let lastFull = 0;
  function connectLive() {
    const live = $('#live');
    const es = new EventSource('api/live');
    es.addEventListener('open', () => { live.textContent = '● live'; live.className = 'live on'; });
    es.addEventListener('error', () => { live.textContent = '○ reconnecting'; live.className = 'live off'; });
    es.addEventListener('commit', () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        // The latest events and the time series at once; everything else at most every 15 s.
        const full = Date.now() - lastFull > 15000;
        if (full) lastFull = Date.now();
        if (readHashPath() === '/') refresh(!full);
        summary();
      }, 300);
    });
  }

  async function summary() {
    try {
      const rows = await getJson(reportUrl('summary', {}, 'json'));
      const events = rows.reduce((n, r) => n + r.events, 0);
      const last = rows.map((r) => r.last_seen).filter(Boolean).sort().pop();
      $('#stats').textContent = events.toLocaleString('en-US') + ' events in range' + (last ? ' · last ' + fmtTime(last) : '');
    } catch (e) {
      $('#stats').textContent = e.message;
    }
  }

  async function start() {
    readHash();
    try {
      info = await getJson('api/info');
    } catch (e) {
      info = null;
    }
    if (info) {
      $('#version').textContent = 'ipscope ' + info.version;
      if (info.zone && info.zone !== 'UTC') fillOptions(form.zone, [info.zone]);
      fillOptions(form.source, Object.keys(info.formats || {}));
      fillOptions(form.kind, Object.keys(info.kinds || {}));
      fillOptions(form.sensor, info.sensors || []);
      form.where.disabled = !info.home_networks;
    }
    route();
    summary();
    connectLive();
    lastFull = Date.now();
  }
  window.addEventListener('hashchange', route);
  start();
})();
