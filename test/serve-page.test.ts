import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServe, type Served } from './support/fleet-serve.js';
import { until } from './support/poll.js';
import { processesWith, untilNoProcessesWith } from './support/processes.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// The web page of `fleet serve`, in Debian's chromium driven by playwright-core (Playwright's own browser
// download is not reachable here). Each test starts its own fleet serve on the file's sshd hosts and Redis.

const ssh = useSshFleet(20);

/** Where each test leaves a screenshot of the pages it saw (README, "fleet serve and the HTTP API"). */
const SCREENSHOTS = fileURLToPath(new URL('../test-artifacts/page/', import.meta.url));

let browser: Browser | undefined;
beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  // --no-sandbox: chromium's sandbox refuses to start as root, which the tests and CI run as.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});
/** The directories {@link hostGate} made, removed with the file's tests. */
const gateDirs: string[] = [];
afterAll(async () => {
  // By its own handle: playwright ends the chromium it started, and only that.
  await browser?.close();
  await Promise.all(gateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A tab that opened the URL fleet serve printed, and every console error and uncaught exception it has had. */
interface Tab {
  page: Page;
  errors: string[];
}

async function openTab(served: Served): Promise<Tab> {
  if (browser === undefined) throw new Error('no browser');
  // A context of its own (cookies, storage), as another browser profile would be; a test may open more tabs in it.
  const page = await (await browser.newContext()).newPage();
  const errors = consoleErrors(page);
  await page.goto(served.url);
  await page.locator('header nav').waitFor();
  return { page, errors };
}

/** The console errors and uncaught exceptions a page has from now on, as they come. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Saves the tab's screenshot, closes it, and checks that its console had no error but those `expected`. */
async function closeTab(tab: Tab, screenshot: string, expected: string[] = []): Promise<void> {
  await tab.page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`), fullPage: true });
  await tab.page.context().close();
  expect(tab.errors).toEqual(expected);
}

/** A directory every host's user can read, and a file in it that commands wait for until the test makes it. */
async function hostGate(): Promise<{ wait: string; open: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-page-gate-'));
  gateDirs.push(dir);
  await chmod(dir, 0o755);
  const path = join(dir, 'open');
  // Half a second between looks: 20 hosts looking 20 times a second kept a 2-core machine busy forking.
  return { wait: `while [ ! -e '${path}' ]; do ${ssh.env.sleep} 0.5; done`, open: () => writeFile(path, '') };
}

/** The text of the page's grouped output as `fleet receive --group` prints it on stdout, and its failure lines (stderr). */
async function groupedText(page: Page): Promise<{ stdout: string; stderr: string }> {
  const rule = '-'.repeat(15);
  let stdout = '';
  const groups = page.locator('.group');
  for (let index = 0; index < (await groups.count()); index++) {
    const group = groups.nth(index);
    stdout += `${rule}\n${await group.locator('.group-hosts').textContent()}\n${rule}\n${await group.locator('.group-text').textContent()}`;
  }
  const failures = await page.locator('.failure').allTextContents();
  return { stdout, stderr: failures.map((line) => `${line}\n`).join('') };
}

/** Shows a job's page as a link to it would (the test's Node has no DOM types: the page runs the string). */
async function showJob(page: Page, id: number): Promise<void> {
  await page.evaluate(`location.hash = '#/jobs/${id}'`);
}

async function jobsOf(served: Served, id: number): Promise<JobJson[]> {
  return (await (await api(served, `/api/jobs/${id}`)).json()) as JobJson[];
}

describe('fleet serve: the web page', () => {
  it('shows a 20-host fan-out go from Running to Completed live, its output grouped as receive --group, and a host tailing', async () => {
    const served = await startServe(ssh.env);
    const jobsTab = await openTab(served);
    const { page } = jobsTab;
    // The token is not left in the address bar, nor the page's secret.
    expect(new URL(page.url()).search).toBe('');
    expect(new URL(page.url()).hash).toBe('#/jobs');
    // Marks this document: still there at the end means the page was never reloaded.
    await page.evaluate('window.sameDocument = true');

    const gate = await hostGate();
    const hosts = ssh.fleet.entries;
    expect(hosts).toHaveLength(20);
    // Two distinct outputs (127.0.1.10-20 print one more line), and one host that prints markup.
    const command = [
      'echo waiting',
      gate.wait,
      'echo ok',
      'case $FLEET_HOST in *.1[0-9]|*.20) echo high;; esac',
      `if [ $FLEET_HOST = 127.0.1.3 ]; then echo '<img src=x onerror="document.title=1">'; fi`,
    ].join('; ');
    const name = `page-${ssh.env.marker}`;
    const job = await ssh.env.json<JobJson>(['invoke', '-c', hosts.join(','), '--as-job', '--name', name, '--', command]);
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.locator('.state', { hasText: 'Running' }).waitFor();
    await row.locator('.progress-label', { hasText: /running/ }).waitFor();

    // Filters: by state, then by name.
    const filters = page.locator('.filters');
    await filters.locator('select[name=state]').selectOption('Completed');
    await row.waitFor({ state: 'detached' });
    await filters.locator('select[name=state]').selectOption('');
    await filters.locator('input[name=text]').fill('no-such-job-name');
    await row.waitFor({ state: 'detached' });
    await filters.locator('input[name=text]').fill(name);
    await row.waitFor();

    // A second tab follows one host of the running job.
    const jobTab = await openTab(served);
    await jobTab.page.locator(`a[href="#/jobs/${job.id}"]`).first().click();
    await jobTab.page.locator(`.job[data-job-id="${job.id}"]`).waitFor();
    await jobTab.page.locator('.child-row[data-host="127.0.1.20"]').click();
    await jobTab.page.locator('.host-output .line.stdout', { hasText: 'waiting' }).waitFor();

    await gate.open();
    await row.locator('.state', { hasText: 'Completed' }).waitFor();
    await row.locator('.progress-label', { hasText: '20 done · 0 failed · 0 running · 0 waiting of 20' }).waitFor();
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    await closeTab(jobsTab, 'jobs');

    // The host's output went on as it came, in the same document.
    await jobTab.page.locator('.host-output .line.stdout', { hasText: 'high' }).waitFor();
    await jobTab.page.locator('h1 .state', { hasText: 'Completed' }).waitFor();
    // The grouped output is what fleet receive --group prints for the job.
    const cli = await ssh.env.fleet(['receive', String(job.id), '--keep', '--group']);
    await until(async () => (await groupedText(jobTab.page)).stdout === cli.stdout, {
      what: 'the grouped output to match receive --group',
    });
    expect((await groupedText(jobTab.page)).stderr).toBe(cli.stderr);
    // A host that printed markup shows it as text, and nothing of it ran.
    await jobTab.page.locator('.group-text', { hasText: '<img src=x onerror="document.title=1">' }).waitFor();
    expect(await jobTab.page.locator('img').count()).toBe(0);
    expect(await jobTab.page.title()).toBe('fleet');

    // Children by host: 127.0.1.2 and 127.0.1.20.
    const children = jobTab.page.locator('.children-section');
    await children.locator('input[name=text]').fill('127.0.1.2');
    await children.locator('.count', { hasText: '2 of 20' }).waitFor();
    await children.locator('select[name=state]').selectOption('Failed');
    await children.locator('.count', { hasText: '0 of 20' }).waitFor();
    await closeTab(jobTab, 'job');
    expect(await served.stop()).toBe(0);
  }, 300_000);

  it('stops a running job from its button after asking, and its commands are gone from the hosts; reruns the failed hosts', async () => {
    const served = await startServe(ssh.env);
    const tab = await openTab(served);
    const { page } = tab;
    const hosts = ssh.fleet.entries.slice(0, 6);
    const failing = ['127.0.1.2', '127.0.1.5'];
    const mixed = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      hosts.join(','),
      '--as-job',
      '--',
      `case $FLEET_HOST in ${failing.join('|')}) exit 3;; esac; echo fine`,
    ]);
    await untilState(ssh.env, mixed.id, ['Failed']);
    await showJob(page, mixed.id);
    const rerun = page.locator('button[name=rerun-failed]', { hasText: 'Rerun the 2 failed' });
    await rerun.click();
    await page.waitForURL((url) => url.hash !== `#/jobs/${mixed.id}`);
    const rerunId = Number(new URL(page.url()).hash.replace('#/jobs/', ''));
    expect(rerunId).toBeGreaterThan(mixed.id);
    const [rerunJob, ...rerunChildren] = await jobsOf(served, rerunId);
    expect(rerunJob?.command).toBe(mixed.command);
    expect(rerunChildren.map((child) => child.location).sort()).toEqual(failing);
    await untilState(ssh.env, rerunId, ['Failed']);

    const sleeper = await ssh.env.json<JobJson>(['invoke', '-c', hosts.slice(0, 3).join(','), '--as-job', '--', `${ssh.env.sleep} 120`]);
    await until(async () => (await processesWith(ssh.env.marker, '120')).length >= 3, { what: 'the sleeps to run on the hosts' });
    await showJob(page, sleeper.id);
    const stop = page.locator('button[name=stop]');
    await page.locator('h1 .state', { hasText: 'Running' }).waitFor();
    const stopPosts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/api/jobs/${sleeper.id}/stop`)) stopPosts.push(request.url());
    });
    // Declined: nothing is stopped. A stop would be sent as the dialog closes, before the job's next read begins.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await stop.click();
    await page.waitForRequest((request) => request.method() === 'GET' && request.url().endsWith(`/api/jobs/${sleeper.id}`));
    expect(stopPosts).toEqual([]);
    expect((await jobsOf(served, sleeper.id))[0]?.state).toBe('Running');
    // Accepted: stopped, and every command it ran gone from the hosts.
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => void dialog.accept().then(() => resolve(dialog.message()))),
    );
    await stop.click();
    expect(await asked).toContain(`Stop job ${sleeper.id}`);
    await until(() => stopPosts.length === 1, { what: 'the accepted stop to be sent' });
    await page.locator('h1 .state', { hasText: 'Stopped' }).waitFor();
    await untilNoProcessesWith([ssh.env.marker, '120'], { what: "the stopped job's commands to be gone" });
    // Remove asks too, then goes back to the list.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('button[name=remove]').click();
    await page.waitForURL((url) => url.hash === '#/jobs');
    expect((await api(served, `/api/jobs/${sleeper.id}`)).status).toBe(404);
    await closeTab(tab, 'stopped');
    expect(await served.stop()).toBe(0);
  }, 300_000);

  it("invokes from the form, and refuses a bad host entry with the CLI's message", async () => {
    const served = await startServe(ssh.env);
    const tab = await openTab(served);
    const { page } = tab;
    await page.locator('nav a', { hasText: 'Invoke' }).click();
    const form = page.locator('form.invoke-form');
    await form.locator('input[name=hosts]').fill('127.0.1.1,-oProxyCommand=x');
    await form.locator('input[name=command]').fill('echo from the form');
    await form.locator('button[type=submit]').click();
    const cli = await ssh.env.fleet(['invoke', '-c', '127.0.1.1,-oProxyCommand=x', '--', 'echo from the form']);
    expect(cli.code).toBe(2);
    const message = /^fleet: (.*)$/m.exec(cli.stderr)?.[1] ?? '';
    expect(message).not.toBe('');
    await page.locator('.invoke .error', { hasText: message }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'invoke-refused.png'), fullPage: true });
    // Chromium logs every answer of 400 and above to the console itself: the refusal is that one line, and the page adds none.
    const refusal = 'Failed to load resource: the server responded with a status of 400 (Bad Request)';

    await form.locator('input[name=hosts]').fill('127.0.1.[1-2]');
    await form.locator('input[name=name]').fill(`form-${ssh.env.marker}`);
    await form.locator('button[type=submit]').click();
    await page.locator('.job h1', { hasText: `form-${ssh.env.marker}` }).waitFor();
    await page.locator('h1 .state', { hasText: 'Completed' }).waitFor();
    await page.locator('.group-hosts', { hasText: '127.0.1.[1-2] (2)' }).waitFor();
    await page.locator('.group-text', { hasText: 'from the form' }).waitFor();
    await closeTab(tab, 'invoked', [refusal]);
    expect(await served.stop()).toBe(0);
  });

  it('shows the agents: the node each serves, what it runs, its heartbeat', async () => {
    const served = await startServe(ssh.env);
    const job = await ssh.env.json<JobJson>(['invoke', '-c', ssh.fleet.entries[0] as string, '--as-job', '--', `${ssh.env.sleep} 120`]);
    await untilState(ssh.env, job.id, ['Running']);
    const tab = await openTab(served);
    await tab.page.locator('nav a', { hasText: 'Agents' }).click();
    const [agent] = await ssh.env.json<{ id: string; pid: number }[]>(['agents']);
    const row = tab.page.locator(`tr[data-agent-id="${agent?.id}"]`);
    await row.waitFor();
    await row.locator('td', { hasText: 'the shared queue' }).waitFor();
    await row.locator(`a[href="#/jobs/${job.childIds[0]}"]`).waitFor();
    await row.locator('.heartbeat', { hasText: / ago$/ }).waitFor();
    // Another tab of the same browser sends the cookie but has no secret (sessionStorage is per tab): it says how to get one.
    const other = await tab.page.context().newPage();
    const otherErrors = consoleErrors(other);
    await other.goto(`${served.base}/#/jobs`);
    await other.locator('[role=alert]', { hasText: 'open the URL fleet serve printed' }).waitFor();
    expect(await other.locator('header nav').count()).toBe(0);
    await other.close();
    // What it asked with the cookie alone answered, or was never sent: it logged no error.
    expect(otherErrors).toEqual([]);
    await closeTab(tab, 'agents');
    await ssh.env.fleet(['stop', String(job.id)]);
    expect(await served.stop()).toBe(0);
  });

  it('keeps a 1,000-host job usable: its page draws only the rows in view, and filters them', async () => {
    const served = await startServe(ssh.env);
    // 1,000 addresses of the sshd hosts' ssh_config where no sshd listens: each child fails at once, connection refused.
    const ranges = [200, 201, 202, 203].map((third) => `127.0.${third}.[1-250]`).join(',');
    const job = await ssh.env.json<JobJson>(['invoke', '-c', ranges, '--as-job', '--', 'true']);
    expect(job.childIds).toHaveLength(1000);
    await untilState(ssh.env, job.id, ['Failed'], 300_000);
    const tab = await openTab(served);
    const { page } = tab;
    await showJob(page, job.id);
    const children = page.locator('.children-section');
    await children.locator('.count', { hasText: '1000 of 1000' }).waitFor({ timeout: 60_000 });
    await page.locator('.child-row').first().waitFor();
    expect(await page.locator('.child-row').count()).toBeLessThan(100);
    // Scrolled to the end, the last host is drawn.
    await page.locator('.children').hover();
    await page.mouse.wheel(0, 40_000);
    await page.locator('.child-row[data-host="127.0.203.250"]').waitFor();
    await children.locator('input[name=text]').fill('127.0.202.250');
    await children.locator('.count', { hasText: '1 of 1000' }).waitFor();
    await page.locator('.child-row[data-host="127.0.202.250"] .state', { hasText: 'Failed' }).waitFor();
    await children.locator('input[name=text]').fill('');
    await children.locator('select[name=state]').selectOption('Completed');
    await children.locator('.count', { hasText: '0 of 1000' }).waitFor();
    // The failures, grouped by reason, as receive --group prints them.
    const cli = await ssh.env.fleet(['receive', String(job.id), '--keep', '--group']);
    await until(async () => (await groupedText(page)).stderr === cli.stderr, { what: 'the failures to match receive --group' });
    await closeTab(tab, 'thousand');
    expect(await served.stop()).toBe(0);
  }, 400_000);
});
