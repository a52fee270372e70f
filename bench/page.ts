// The web page of fleet serve with a 1,000-host job, in Debian's chromium driven by playwright-core:
// how long the job's page takes to show its hosts, how long a host filter takes to apply, and the
// server's memory. Writes bench/PAGE.md. Not part of npm test (the tests assert no time).
//
// The job's 1,000 hosts are addresses of the loopback sshd fleet's ssh_config where no sshd listens,
// so each child fails at once (connection refused): the page shows 1,000 children and one failure group.
// Settings (environment): BENCH_ROUNDS (page loads, default 5), BENCH_OUT_DIR (where the report goes).
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { until } from '../test/support/poll.js';
import { startSshFleet } from '../test/support/ssh-fleet.js';
import { FLEET, reportFile } from './paths.js';
import { benchRedis } from './redis.js';
import { median } from './report.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const work = await mkdtemp(join(tmpdir(), 'fleet-page-bench-'));
const fleet = await startSshFleet(1);
const redis = await benchRedis();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: join(work, 'home'),
  FLEET_REDIS_URL: redis.url,
  FLEET_PREFIX: '{bench-page}',
  FLEET_STATE_DIR: join(work, 'state'),
  FLEET_SSH_CONFIG: fleet.sshConfig,
};
await mkdir(env.HOME as string);
const fleetJson = async <T>(args: string[]): Promise<T> => JSON.parse((await run(process.execPath, [FLEET, ...args], { env })).stdout) as T;

const ranges = [200, 201, 202, 203].map((third) => `127.0.${third}.[1-250]`).join(',');
const job = await fleetJson<{ id: number }>(['invoke', '-c', ranges, '--as-job', '--json', '--', 'true']);
log(`job ${job.id}: 1,000 hosts, waiting for them to fail`);
await until(async () => (await fleetJson<{ state: string }[]>(['get', String(job.id), '--json']))[0]?.state === 'Failed', {
  timeoutMs: 600_000,
  intervalMs: 500,
  what: 'the job to end',
});

const serve = spawn(process.execPath, [FLEET, 'serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let printed = '';
serve.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
const url = await until(() => (printed.includes('\n') ? printed.split('\n')[0] : undefined), { what: 'the URL' });
const rssMb = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${serve.pid}/status`, 'utf8'))?.[1]) / 1024;
const idleRss = await rssMb();

// --no-sandbox: chromium's sandbox refuses root.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const shown: number[] = [];
const filtered: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('header nav').waitFor();
    const started = performance.now();
    await page.evaluate(`location.hash = '#/jobs/${job.id}'`);
    await page.locator('.children-section .count', { hasText: '1000 of 1000' }).waitFor({ timeout: 120_000 });
    await page.locator('.child-row').first().waitFor();
    shown.push(performance.now() - started);
    const typed = performance.now();
    await page.locator('.children-section input[name=text]').fill('127.0.202.250');
    await page.locator('.children-section .count', { hasText: '1 of 1000' }).waitFor();
    filtered.push(performance.now() - typed);
    await page.close();
    log(`round ${round + 1}: shown in ${Math.round(shown.at(-1) ?? 0)} ms, filtered in ${Math.round(filtered.at(-1) ?? 0)} ms`);
  }
} finally {
  await browser.close();
}
const busyRss = await rssMb();
serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('close', resolve));
await run(process.execPath, [FLEET, 'remove', String(job.id)], { env }).catch(() => undefined);
await run(process.execPath, [FLEET, 'agent', 'stop', '--all'], { env });
await Promise.all([redis.stop(), fleet.close()]);
await rm(work, { recursive: true, force: true });

const ms = (values: number[]) => `${Math.round(median(values))} ms (${values.map((value) => Math.round(value)).join(', ')})`;
const report = `# The page of fleet serve with a 1,000-host job

\`npm run bench\` with \`BENCH_ONLY=page.ts\` (bench/page.ts); ${cpus().length} cores, Node ${process.version}, Debian's chromium
headless, on the same machine as the server, Redis and the agent. ${ROUNDS} page loads; medians, each run in brackets.

| what | time |
| --- | --- |
| the job's page shows its 1,000 hosts (from the link to the first row drawn) | ${ms(shown)} |
| a host filter applies (typed to \`1 of 1000\` shown) | ${ms(filtered)} |

fleet serve's resident memory: ${idleRss.toFixed(0)} MB started, ${busyRss.toFixed(0)} MB after the ${ROUNDS} loads (each
polling the job, its groups and its children each second until closed).
`;
await writeFile(reportFile('PAGE.md'), report);
log(`wrote ${reportFile('PAGE.md')}`);
