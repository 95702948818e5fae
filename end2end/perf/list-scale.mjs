// make bench-fleet (last part): the list with many containers. N labelled
// idle busybox containers on one engine; Binnacle serves with the list's
// numbers on; headless Chromium opens the list and we measure what a person
// waits for: the server's answer (HTML and the list call), the page becoming
// usable, the work each 2 s refresh costs the page (long tasks), and how long
// a click on "CPU" takes to reorder. Prints a markdown table.
//
// usage: node list-scale.mjs <binnacle binary> <site root> <N> [seconds]
import { execFile, execFileSync, spawn } from 'child_process';
import { promisify } from 'util';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const { chromium } = require('@playwright/test');
const run = promisify(execFile);

const [bin, site, nArg, secondsArg] = process.argv.slice(2);
const N = Number(nArg ?? 500);
const SECONDS = Number(secondsArg ?? 30);
const PORT = 3561;
const image = process.env.BINNACLE_TEST_IMAGE ?? 'binnacle-busybox:latest';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const IDLE = "trap 'exit 0' TERM; while true; do sleep 5; done";

// The containers, four `docker run` at a time.
const ids = [];
for (let i = 0; i < N; i += 4) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + 4); j++) {
    batch.push(run('docker', ['run', '-d', '--label', 'binnacle.bench=list', '--name', `binnacle-list-${j}`, image, 'sh', '-c', IDLE]));
  }
  for (const r of await Promise.all(batch)) ids.push(r.stdout.trim());
}

const server = spawn(bin, [], {
  env: {
    ...process.env, LEPTOS_SITE_ROOT: site, LEPTOS_ENV: 'PROD', BINNACLE_AUTH: 'none', BINNACLE_LISTEN: `127.0.0.1:${PORT}`,
    BINNACLE_LOG: 'warn',
  },
  stdio: 'ignore',
});
const base = `http://127.0.0.1:${PORT}`;
for (let i = 0; i < 100; i++) { try { await fetch(`${base}/healthz`); break; } catch { await sleep(100); } }
if (server.exitCode !== null) throw new Error(`Binnacle exited at start (is port ${PORT} taken?)`);
process.on('exit', () => { try { server.kill(); } catch {} });

async function timed(path, init) {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, init);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t0, bytes: body.byteLength };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});

// One view of the list: `query` is '' (pages of 100) or '?per_page=500'.
async function measure(query) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`${base}/${query}`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 120_000 });
  const hydrated = (Date.now() - t0) / 1000;
  const rows = await page.locator('tr[data-id]').count();
  // Numbers in every row shown (the fleet interval stretches with N: N / 5 s).
  await page.waitForFunction((n) => document.querySelectorAll('td.cpu .value').length >= n, rows, { timeout: (N / 5 + 60) * 1000 });
  const filled = (Date.now() - t0) / 1000;
  const perPage = query.includes('per_page=') ? Number(query.split('per_page=')[1]) : undefined;
  const html = await timed(`/${query}`);
  const call = await timed('/api/list_containers', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(perPage ? { per_page: perPage } : {}),
  });
  await page.evaluate(() => { window.__long = []; });
  await sleep(SECONDS * 1000);
  const long = await page.evaluate(() => window.__long);
  // A click on "CPU": until the URL and the rows say it is done.
  const c0 = Date.now();
  await page.locator('a.sort[data-sort="cpu"]').click();
  await page.waitForURL(/sort=cpu/);
  await page.waitForFunction(() => {
    const vals = [...document.querySelectorAll('tr[data-id] td.cpu')].map((td) => Number(td.dataset.value || -1));
    return vals.length > 1 && vals.every((v, i) => i === 0 || vals[i - 1] >= v);
  }, null, { timeout: 60_000 });
  const sortMs = Date.now() - c0;
  await page.close();
  return { query, rows, hydrated, filled, html, call, long, sortMs };
}
const results = [await measure('?per_page=500'), await measure('')];
await browser.close();
server.kill();
for (let i = 0; i < ids.length; i += 100) execFileSync('docker', ['rm', '-f', ...ids.slice(i, i + 100)], { stdio: 'ignore' });

const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
console.log(`| view | rows on the page | \`GET /\` | list call | usable (hydrated) | numbers in every row | long tasks in ${SECONDS} s of refreshes | sort by CPU |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const r of results) {
  const total = r.long.reduce((a, b) => a + b, 0);
  const label = r.query ? `all ${N} on one page (\`${r.query}\`)` : 'pages of 100 (the default)';
  console.log(`| ${label} | ${r.rows} | ${r.html.ms.toFixed(0)} ms, ${kib(r.html.bytes)} | ${r.call.ms.toFixed(0)} ms, ${kib(r.call.bytes)} | ${r.hydrated.toFixed(1)} s | ${r.filled.toFixed(1)} s | ${r.long.length} (${total.toFixed(0)} ms in all${r.long.length ? `, longest ${Math.max(...r.long).toFixed(0)} ms` : ''}) | ${r.sortMs} ms |`);
}
console.log('');
console.log(`- ${N} idle running containers on one engine; Chromium headless on this machine; the list refreshes every 2 s. Sizes are uncompressed.`);
