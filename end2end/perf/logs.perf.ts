import { test, expect } from '@playwright/test';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// `make bench-logs`: a container writing about 10,000 lines a second, followed
// for 20 s three ways: in the Logs tab in headless Chromium, by
// `docker logs -f` (what a user would run instead; Dozzle, the log viewer
// users compare with, cannot be fetched on this offline machine), and by
// nobody (the baseline). Reported: what reached the reader, the page's
// input latency and longest frame gap while flooded, and the CPU and memory
// of the reader and of dockerd. Writes docs/performance-logs.md.

const SECONDS = 20;
const LABEL = 'binnacle.test=perf-logs';
const IMAGE = process.env.BINNACLE_TEST_IMAGE ?? 'binnacle-busybox:latest';
// 1000 lines of ~80 bytes, then a 0.1 s pause: about 10,000 lines a second
// (a little less: writing takes time too; the real rate is measured).
const FLOOD =
  'awk \'BEGIN { n = 0; while (1) { for (i = 0; i < 1000; i++) printf "flood %09d with some text to make the line about eighty bytes ......\\n", n++; fflush(); system("sleep 0.1") } }\'';

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** utime + stime (clock ticks) and RSS (KiB) of a process. */
function usage(pid: number): { ticks: number; rssKib: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { ticks, rssKib: rss };
}

const HZ = Number(sh('getconf', 'CLK_TCK')) || 100;

/** Samples a process's CPU (% of one core) and peak RSS while `during` runs. */
async function measure(pid: number, during: () => Promise<void>) {
  const start = usage(pid);
  let peak = start.rssKib;
  const t0 = Date.now();
  const timer = setInterval(() => { try { peak = Math.max(peak, usage(pid).rssKib); } catch { /* gone */ } }, 250);
  await during();
  clearInterval(timer);
  const end = usage(pid);
  const secs = (Date.now() - t0) / 1000;
  return { cpu: ((end.ticks - start.ticks) / HZ / secs) * 100, rssStart: start.rssKib, rssPeak: Math.max(peak, end.rssKib) };
}

function pidListeningOn(port: string): number {
  const out = sh('ss', '-ltnpH', `sport = :${port}`);
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`nothing listens on ${port}: ${out}`);
  return Number(m[1]);
}

/** The flood's own count: the number in its newest line. */
function floodCounter(id: string): number {
  const last = sh('docker', 'logs', '--tail', '1', id);
  return Number(/flood (\d+)/.exec(last)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN; };

test('logs tab under a flood of 10,000 lines a second', async ({ page }) => {
  test.setTimeout(240_000);
  const port = new URL(test.info().project.use.baseURL ?? 'http://127.0.0.1:3100').port;
  const server = pidListeningOn(port);
  const dockerd = Number(sh('pidof', 'dockerd').split(' ')[0]);
  const name = `perf-logs-${Date.now()}`;
  const id = sh('docker', 'run', '-d', '--label', LABEL, '--name', name, IMAGE, 'sh', '-c', FLOOD);
  try {
    await sleep(2000);

    // Baseline: the flood alone.
    let n0 = floodCounter(id);
    const idle = await measure(dockerd, () => sleep(SECONDS * 1000));
    const rate = (floodCounter(id) - n0) / SECONDS;

    // docker logs -f, its output thrown away.
    let cliLines = 0;
    const cli = spawn('docker', ['logs', '-f', '--tail', '1000', id], { stdio: ['ignore', 'pipe', 'ignore'] });
    cli.stdout.on('data', (b: Buffer) => { for (const c of b) if (c === 10) cliLines++; });
    await sleep(500);
    const cliDockerd = measure(dockerd, () => sleep(SECONDS * 1000));
    const cliSelf = await measure(cli.pid!, () => sleep(SECONDS * 1000));
    const cliD = await cliDockerd;
    cli.kill();

    // The Logs tab.
    await page.goto(`/containers/local/${id}/logs`);
    await page.waitForSelector('body[data-hydrated="true"]');
    const view = page.getByTestId('log-view');
    await expect(view).toHaveAttribute('data-lines', /[1-9]/, { timeout: 15_000 });
    // In the page: count what arrives (a second EventSource would double the
    // load, so count the rendered buffer's growth instead), and time input
    // and frames.
    await page.evaluate(() => {
      const w = window as any;
      w.__frames = []; w.__inputs = [];
      let last = performance.now();
      const frame = (t: number) => { w.__frames.push(t - last); last = t; if (!w.__stop) requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      document.addEventListener('keydown', (e) => {
        const t0 = e.timeStamp;
        requestAnimationFrame(() => w.__inputs.push(performance.now() - t0));
      }, true);
    });
    const filter = page.getByRole('textbox').first();
    const serverDockerd = measure(dockerd, () => sleep(SECONDS * 1000));
    const serverSelf = measure(server, () => sleep(SECONDS * 1000));
    n0 = floodCounter(id);
    const t0 = Date.now();
    for (let i = 0; i < SECONDS * 2; i++) {
      await filter.press(i % 2 ? 'Backspace' : 'z');
      await sleep(500);
    }
    const secs = (Date.now() - t0) / 1000;
    const appRate = (floodCounter(id) - n0) / secs;
    const [bin, binD] = [await serverSelf, await serverDockerd];
    const inPage = await page.evaluate(() => { const w = window as any; w.__stop = true; return { frames: w.__frames as number[], inputs: w.__inputs as number[] }; });
    const lines = Number(await view.getAttribute('data-lines'));
    // The newest line on the page, against the container's own count now.
    const newest = await page.evaluate(() => {
      let max = 0;
      for (const el of Array.from(document.querySelectorAll('[data-testid="log-view"] .log-line'))) {
        const m = /flood (\d+)/.exec(el.textContent ?? '');
        if (m) max = Math.max(max, Number(m[1]));
      }
      return max;
    });
    const behind = floodCounter(id) - newest;
    const heap = await page.evaluate(() => (performance as any).memory?.usedJSHeapSize ?? 0);
    const chromium = (await page.context().browser()?.version()) ?? 'unknown';

    const kib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
    const report = [
      '# Logs under a flood (generated by `make bench-logs`)',
      '',
      `- date: ${new Date().toISOString().slice(0, 16)}Z; ${sh('nproc')} cores; Docker ${sh('docker', 'version', '-f', '{{.Server.Version}}')}; headless Chromium ${chromium}`,
      `- the container writes ${Math.round(rate)} lines/s of ~80 bytes (${Math.round(appRate)} lines/s while the tab was open), measured by its own counter; each reader follows it for ${SECONDS} s`,
      '- Dozzle, the log viewer users would compare with, is a registry image: it cannot be fetched here, so the comparison is `docker logs -f`, what users run otherwise',
      '',
      '| reader | reader CPU (% of one core) | reader memory | dockerd CPU | what reached the reader |',
      '|---|---|---|---|---|',
      `| nobody (the flood alone) | - | - | ${idle.cpu.toFixed(0)} % | - |`,
      `| \`docker logs -f\` | ${cliSelf.cpu.toFixed(0)} % | ${kib(cliSelf.rssPeak)} peak | ${cliD.cpu.toFixed(0)} % | ${cliLines} lines in ${SECONDS + 0.5} s |`,
      `| Binnacle server + Logs tab | ${bin.cpu.toFixed(0)} % (server) | ${kib(bin.rssStart)} -> ${kib(bin.rssPeak)} peak (server); JS heap ${kib(heap / 1024)} | ${binD.cpu.toFixed(0)} % | the newest line on the page was ${behind} lines (${(behind / appRate).toFixed(2)} s) behind the container's; the tab keeps ${lines} lines |`,
      '',
      'The page while flooded (a key typed into the filter twice a second; latency from the key event to the next frame):',
      '',
      '| figure | median | p95 | max |',
      '|---|---|---|---|',
      `| input to next frame | ${pct(inPage.inputs, 0.5).toFixed(0)} ms | ${pct(inPage.inputs, 0.95).toFixed(0)} ms | ${Math.max(...inPage.inputs).toFixed(0)} ms |`,
      `| gap between frames | ${pct(inPage.frames, 0.5).toFixed(0)} ms | ${pct(inPage.frames, 0.95).toFixed(0)} ms | ${Math.max(...inPage.frames).toFixed(0)} ms |`,
      '',
    ].join('\n');
    const out = path.resolve(__dirname, '../../docs/performance-logs.md');
    fs.writeFileSync(out, report);
    console.log(report);
    expect(inPage.inputs.length).toBeGreaterThan(0);
  } finally {
    try { sh('docker', 'rm', '-f', id); } catch { /* gone */ }
  }
});
