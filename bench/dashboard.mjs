// Dashboard numbers (run by bench/serve.sh): first paint, full load (every panel drawn), page
// weight, and live-update latency (a syslog line sent → shown in "Latest events").
// Usage: node bench/dashboard.mjs URL SYSLOG_HOST:PORT   (playwright-core from crates/ipscope/tests/browser)
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
const require = createRequire(new URL('../crates/ipscope/tests/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, syslog] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loads = [];
let page;
for (let i = 0; i < 3; i++) {
  if (page) await page.close();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const t0 = Date.now();
  await page.goto(`${url}/#/?range=all`, { waitUntil: 'load' });
  await page.waitForFunction(() => [...document.querySelectorAll('.card .body')].every((b) => b.childElementCount > 0), null, { timeout: 300000 });
  await page.waitForLoadState('networkidle');
  const full = Date.now() - t0;
  const fcp = await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null);
  const bytes = await page.evaluate(() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((n, e) => n + (e.transferSize || 0), 0));
  const assets = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/assets/')).concat(performance.getEntriesByType('navigation')).reduce((n, e) => n + (e.transferSize || 0), 0));
  loads.push({ full, fcp, bytes, assets });
}
const lat = [];
const [host, port] = syslog.split(':');
const sock = dgram.createSocket('udp4');
for (let i = 0; i < 10; i++) {
  const marker = `bench${Date.now()}x${i}`;
  const msg = `<38>1 ${new Date().toISOString()} gw sshd 4242 - - Failed password for invalid user ${marker} from 192.0.2.77 port 4242 ssh2`;
  const t = Date.now();
  await new Promise((ok) => sock.send(msg, Number(port), host, ok));
  await page.waitForFunction((m) => document.querySelector('#card-recent').textContent.includes(m), marker, { timeout: 60000 });
  lat.push(Date.now() - t);
  await new Promise((r) => setTimeout(r, 500));
}
sock.close();
await browser.close();
console.log(`| first contentful paint | ${Math.round(med(loads.map((l) => l.fcp)))} ms |`);
console.log(`| full load (every panel drawn, network idle) | ${med(loads.map((l) => l.full))} ms (runs: ${loads.map((l) => l.full).join(', ')}) |`);
console.log(`| page weight: page + assets | ${(med(loads.map((l) => l.assets)) / 1024).toFixed(1)} KiB |`);
console.log(`| page weight: everything incl. report JSON | ${(med(loads.map((l) => l.bytes)) / 1024).toFixed(1)} KiB |`);
console.log(`| live update, syslog line → on the page | median ${med(lat)} ms, max ${Math.max(...lat)} ms (10 lines) |`);
