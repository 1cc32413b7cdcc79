// Drives the ipscope dashboard in Debian's headless Chromium and prints what it saw as JSON.
// Usage: node dashboard.mjs '{"url": "http://127.0.0.1:PORT", "syslog": "127.0.0.1:PORT", "shots": "DIR"}'
// Called by crates/ipscope/tests/dashboard.rs, which judges the result.
import { chromium } from 'playwright-core';
import dgram from 'node:dgram';

const cfg = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: cfg.chromium || '/usr/bin/chromium',
  // Offline machine: no background connections, no sandbox as root.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const out = { errors: [], foreign: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') out.errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => out.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(cfg.url) && !u.startsWith('data:')) out.foreign.push(u); });
  page.on('dialog', (d) => { out.errors.push(`dialog: ${d.message()}`); d.dismiss(); });

  const settled = async () => {
    await page.waitForFunction(() => [...document.querySelectorAll('.card .body')].every((b) => b.childElementCount > 0), null, { timeout: 60000 });
    await page.waitForLoadState('networkidle');
  };
  const panels = () => page.evaluate(() => {
    const res = {};
    for (const c of document.querySelectorAll('.card')) {
      res[c.dataset.panel] = {
        rows: [...c.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.dataset.value]))),
        note: (c.querySelector('.note, .error') || {}).textContent || null,
        error: !!c.querySelector('.error'),
        plot: !!c.querySelector('.plot canvas'),
        series: (c.querySelector('.plot') || { dataset: {} }).dataset.series || null,
        img: !!c.querySelector('img'),
      };
    }
    return res;
  });

  const t0 = Date.now();
  await page.goto(`${cfg.url}/#/?range=all`, { waitUntil: 'load' });
  await settled();
  out.load_ms = Date.now() - t0;
  out.paint = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, Math.round(p.startTime)])));
  out.bytes = await page.evaluate(() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
    .reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0));
  out.panels = await panels();
  out.stats_all = await page.textContent('#stats');
  // Attacker-typed markup must stay text: nothing ran, no element was made from it.
  out.injected = await page.evaluate(() => ({
    flag: window.__xss !== undefined,
    img: !!document.querySelector('img[src="x"], img[src="y"]'),
    script: [...document.scripts].some((s) => s.textContent.includes('__xss')),
  }));
  out.user_cells = await page.evaluate(() => [...document.querySelectorAll('#card-top-users td[data-col="user"]')].map((td) => td.textContent));
  await page.screenshot({ path: `${cfg.shots}/overview.png`, fullPage: true });

  // Live: a syslog line sent now is on the page within seconds, without a reload.
  const marker = `live${Date.now()}`;
  const [host, port] = cfg.syslog.split(':');
  const sock = dgram.createSocket('udp4');
  const msg = `<38>1 ${new Date().toISOString()} gw sshd 4242 - - Failed password for invalid user ${marker} from 192.0.2.77 port 4242 ssh2`;
  const sent = Date.now();
  await new Promise((ok, bad) => sock.send(msg, Number(port), host, (e) => (e ? bad(e) : ok())));
  sock.close();
  await page.waitForFunction((m) => (document.querySelector('#card-recent') || { textContent: '' }).textContent.includes(m), marker, { timeout: 15000 });
  out.live_ms = Date.now() - sent;
  out.reloaded = await page.evaluate(() => performance.getEntriesByType('navigation').length !== 1);

  // The time range changes the numbers.
  await page.check('input[name=range][value="1h"]');
  await settled();
  out.stats_hour = await page.textContent('#stats');
  out.panels_hour = await panels();

  // A filter changes them too.
  await page.check('input[name=range][value="all"]');
  await settled();
  await page.selectOption('select[name=source]', ['asa']);
  await settled();
  out.panels_asa = await panels();
  out.hash_asa = await page.evaluate(() => location.hash);

  // Clicking an address opens its page.
  await page.selectOption('select[name=source]', []);
  await settled();
  const link = await page.$('#card-top-ips a[href^="#/ip/"]');
  out.clicked = await link.textContent();
  await link.click();
  await page.waitForSelector('#card-lookup td[data-col="ip"]', { timeout: 30000 });
  await settled();
  out.address_page = await page.evaluate(() => ({
    hash: location.hash,
    ip: document.querySelector('#card-lookup td[data-col="ip"]').textContent,
    fields: [...document.querySelectorAll('#card-lookup td[data-col]')].map((t) => t.dataset.col),
  }));
  out.address_panels = await panels();
  await page.screenshot({ path: `${cfg.shots}/address.png`, fullPage: true });

  // A network drill-down.
  await page.goto(`${cfg.url}/#/net/${encodeURIComponent(cfg.net || '173.234.31.0/24')}?range=all`);
  await settled();
  out.net_panels = await panels();
  await page.screenshot({ path: `${cfg.shots}/network.png`, fullPage: true });
  // Print view renders too.
  await page.goto(`${cfg.url}/#/?range=all`);
  await settled();
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: `${cfg.shots}/print.png`, fullPage: true });
} catch (e) {
  out.failure = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out));
