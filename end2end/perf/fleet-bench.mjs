// make bench-fleet: what the list's live numbers cost, next to `docker stats`.
// N labelled busybox containers (half with a light periodic load, half idle)
// on one engine; Binnacle serves; four phases of SECONDS each:
//   (a) nothing watching, (b) the list open in headless Chromium,
//   (c) `docker stats` streaming the same containers (Binnacle idle again),
//   (d) nothing watching, past the fleet's idle timeout.
// For each: CPU of the engine's daemons (dockerd, containerd, shims), of
// Binnacle and of the docker CLI, Binnacle's RSS, and the stats requests
// Binnacle made. Prints a markdown table.
//
// usage: [BENCH_STATS_SOURCE=api] node fleet-bench.mjs <binnacle binary> <site root> <N> <seconds> [docker host]
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const { chromium } = require('@playwright/test');

const [bin, site, nArg, secondsArg, dockerHost] = process.argv.slice(2);
const N = Number(nArg ?? 50);
const SECONDS = Number(secondsArg ?? 60);
const IDLE_TIMEOUT = 20;
const PORT = 3560;
const env = { ...process.env, ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}) };
const second = (dockerHost ?? '').includes('docker26');
const image = process.env.BINNACLE_TEST_IMAGE ?? 'binnacle-busybox:latest';
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', env }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}
function rssMiB(pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line.split(/\s+/)[1]) / 1024;
  } catch { return 0; }
}
function daemonPids() {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let comm = '';
    try { comm = fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim(); } catch { continue; }
    if (!(comm === 'dockerd' || comm === 'containerd' || comm.startsWith('containerd-shim'))) continue;
    let cmdline = '';
    try { cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'); } catch { continue; }
    if (cmdline.includes('docker26') === second) out.push(Number(d));
  }
  return out;
}
const daemonCpu = (pids) => pids.reduce((a, p) => a + cpuSeconds(p), 0);
async function health() {
  const res = await fetch(`http://127.0.0.1:${PORT}/healthz`);
  return (await res.json()).metrics;
}

// The containers: half with a light periodic load, half idle.
const LOAD = "trap 'exit 0' TERM; while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done";
const IDLE = "trap 'exit 0' TERM; while true; do sleep 1; done";
const ids = [];
for (let i = 0; i < N; i++) {
  ids.push(docker('run', '-d', '--label', 'binnacle.bench=fleet', image, 'sh', '-c', i % 2 ? LOAD : IDLE));
}
await sleep(5000);

// A Binnacle left on this port by an earlier run would be measured instead.
if (await health().then(() => true, () => false)) throw new Error(`port ${PORT} is taken: stop the Binnacle on it`);
const server = spawn(bin, [], {
  env: {
    ...env, LEPTOS_SITE_ROOT: site, LEPTOS_ENV: 'PROD', BINNACLE_AUTH: 'none', BINNACLE_LISTEN: `127.0.0.1:${PORT}`,
    BINNACLE_FLEET_IDLE_TIMEOUT: `${IDLE_TIMEOUT}s`, BINNACLE_LOG: 'warn',
    BINNACLE_STATS_SOURCE: process.env.BENCH_STATS_SOURCE ?? 'auto',
  },
  stdio: 'ignore',
});
for (let i = 0; i < 100; i++) { try { await health(); break; } catch { await sleep(100); } }
if (server.exitCode !== null) throw new Error('Binnacle exited at start');
// A failure half-way leaves nothing running behind it.
let cleaned = false;
process.on('exit', () => {
  if (cleaned) return;
  try { server.kill(); } catch {}
  try { docker('rm', '-f', ...ids); } catch {}
});

const rows = [];
async function phase(label, run) {
  const pids = daemonPids();
  const [d0, b0, h0, t0] = [daemonCpu(pids), cpuSeconds(server.pid), await health(), Date.now()];
  const extra = await run();
  const seconds = (Date.now() - t0) / 1000;
  const h1 = await health();
  const daemon = daemonCpu(pids) - d0;
  const ours = cpuSeconds(server.pid) - b0;
  rows.push({ label, seconds, daemon, ours, rss: rssMiB(server.pid), requests: h1.fleet_requests - h0.fleet_requests, cli: extra ?? 0 });
}

const hold = async () => { await sleep(SECONDS * 1000); };
await phase('(a) nothing watching', hold);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// Every container on one page (the list shows 100 rows a page by default).
await page.goto(`http://127.0.0.1:${PORT}/?per_page=${Math.min(500, Math.max(100, N))}`);
await page.waitForSelector('body[data-hydrated="true"]');
const t0 = Date.now();
// Until every running container shows memory, then CPU.
const filled = (cell) => page.waitForFunction(
  ([cell, n]) => document.querySelectorAll(`td.${cell} .value`).length >= n, [cell, N], { timeout: 120_000 });
await filled('mem');
const firstMem = (Date.now() - t0) / 1000;
await filled('cpu');
const firstNumbers = (Date.now() - t0) / 1000;
await sleep(12_000); // into the steady state
// Tasks that keep the page from answering (50 ms or more), while it refreshes.
await page.evaluate(() => {
  window.__long = [];
  new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
});
await phase('(b) the list open in Chromium', hold);
const long = await page.evaluate(() => window.__long);
await browser.close();
await sleep((IDLE_TIMEOUT + 3) * 1000); // Binnacle goes idle
await phase('(c) `docker stats` streaming them', async () => {
  const cli = spawn('docker', ['stats', '--format', '{{.ID}} {{.CPUPerc}} {{.MemUsage}}', ...ids], { env, stdio: 'ignore' });
  await sleep(SECONDS * 1000);
  const used = cpuSeconds(cli.pid);
  cli.kill('SIGKILL'); // `docker stats` ignores SIGTERM
  return used;
});
await phase('(d) the list closed, past the idle timeout', hold);

server.kill();
docker('rm', '-f', ...ids);
cleaned = true;

const pct = (s, t) => `${((s / t) * 100).toFixed(2)} %`;
console.log(`| phase | daemon CPU | Binnacle CPU | Binnacle RSS | samples taken by Binnacle | docker CLI CPU |`);
console.log(`|---|---|---|---|---|---|`);
for (const r of rows) {
  console.log(`| ${r.label} | ${pct(r.daemon, r.seconds)} | ${pct(r.ours, r.seconds)} | ${r.rss.toFixed(1)} MiB | ${r.requests} | ${r.cli ? pct(r.cli, r.seconds) : '—'} |`);
}
console.log('');
const b = rows[1], a = rows[0], c = rows[2];
console.log(`- CPU of one core over ${SECONDS} s phases; ${N} containers (${N / 2} with a light periodic load, ${N / 2} idle).`);
console.log(`- (b) costs the daemon ${pct(b.daemon - a.daemon, b.seconds)} of a core more than (a); \`docker stats\` costs it ${pct(c.daemon - a.daemon, c.seconds)} more.`);
console.log(`- Every container showed its memory ${firstMem.toFixed(1)} s and its CPU ${firstNumbers.toFixed(1)} s after the list opened (the list refreshes every 2 s). While it refreshed every 2 s for ${SECONDS} s, the page had ${long.length} tasks of 50 ms or more${long.length ? ` (longest ${Math.max(...long).toFixed(0)} ms)` : ''}.`);
