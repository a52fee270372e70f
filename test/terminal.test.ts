import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FLEET_BIN } from './support/fleet-cli.js';
import { quoteShellWord } from '@fleet/core';
import { storeOutput } from './support/stored-output.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const run = promisify(execFile);
const fleet = useFleet();

const ESC = '\u001b';
const ERASE = '\r\u001b[K';
const PROGRESS_HEAD = /\d+ done · \d+ failed · \d+ running · \d+ waiting of \d+/;
const PROGRESS = new RegExp(`${PROGRESS_HEAD.source} · \\d+\\.\\ds`);

/** Runs `fleet ARGS` on a real terminal (a pty made by util-linux `script`); returns all it drew, \r\n as \n. */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const line = [process.execPath, FLEET_BIN, ...args].map(quoteShellWord).join(' ');
  const { stdout } = await run('script', ['-qfec', line, '/dev/null'], { env: { ...fleet.env.env, ...env }, timeout: 60_000 });
  return stdout.replaceAll('\r\n', '\n');
}

/** Two local children that each take a moment, so that a progress line has something to show. */
const slowPair = () => ['invoke', '-c', 'localhost,localhost', '--', `sleep 0.6; echo done-here # ${fleet.env.marker}`];

describe('on a terminal', () => {
  it('invoke shows a live progress line on stderr, redrawn in place, erased before the summary, and colours host prefixes', async () => {
    const screen = await onTerminal(slowPair());
    expect(screen).toMatch(new RegExp(`\\r${ESC}\\[K${PROGRESS.source}`));
    expect(screen).toMatch(/2 waiting of 2|1 running · 1 waiting of 2|2 running · 0 waiting of 2/);
    // Erased before the summary line, and nothing of it after.
    const summary = screen.indexOf('2 of 2 hosts completed');
    expect(screen.slice(summary - ERASE.length, summary)).toBe(ERASE);
    expect(screen.slice(summary)).not.toMatch(PROGRESS);
    // Each line's prefix in its host's colour.
    expect(screen).toMatch(new RegExp(`${ESC}\\[3[1-6]mlocalhost${ESC}\\[0m: done-here`));
  });

  it('honours NO_COLOR, and --quiet drops the progress line', async () => {
    const plain = await onTerminal(slowPair(), { NO_COLOR: '1' });
    expect(plain).toContain('localhost: done-here');
    expect(plain).not.toMatch(new RegExp(`${ESC}\\[3[1-6]m`));
    expect(plain).toMatch(PROGRESS);
    const quiet = await onTerminal([...slowPair().slice(0, 3), '--quiet', ...slowPair().slice(3)]);
    expect(quiet).not.toMatch(PROGRESS);
    expect(quiet).toContain('2 of 2 hosts completed');
  });

  it('wait and receive --wait show it too, and erase it before what they print', async () => {
    const job = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      'localhost,localhost',
      '--as-job',
      '--',
      `sleep 0.6; echo late # ${fleet.env.marker}`,
    ]);
    const waited = await onTerminal(['wait', String(job.id)]);
    expect(waited).toMatch(PROGRESS);
    const table = waited.indexOf('Id ');
    expect(waited.slice(table - ERASE.length, table)).toBe(ERASE);

    const again = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      'localhost',
      '--as-job',
      '--',
      `sleep 0.6; echo late # ${fleet.env.marker}`,
    ]);
    const received = await onTerminal(['receive', String(again.id), '--wait']);
    expect(received).toMatch(PROGRESS);
    expect(received).toMatch(/localhost.*: late\n/);
    await untilState(fleet.env, again.id, ['Completed']);
  });

  it('push shows the bytes moved of the bytes to move, up to all of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-terminal-push-'));
    try {
      await writeFile(join(dir, 'three.bin'), randomBytes(3 * 1024 * 1024));
      await mkdir(join(dir, 'to'));
      const screen = await onTerminal(['push', '-c', 'localhost,localhost', join(dir, 'three.bin'), join(dir, 'to/')]);
      expect(screen).toMatch(new RegExp(`${PROGRESS_HEAD.source} · [0-9.]+ (bytes|KiB|MiB) of 6 MiB · \\d+\\.\\ds`));
      // The last round, after both children ended, counts every byte.
      expect(screen).toContain('2 done · 0 failed · 0 running · 0 waiting of 2 · 6 MiB of 6 MiB ·');
      expect(screen).toContain('2 of 2 hosts completed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('off a terminal there is no progress line and no colour', async () => {
    const result = await fleet.env.fleet(slowPair());
    expect(result.stdout).toBe('localhost: done-here\nlocalhost: done-here\n');
    expect(result.stderr).toBe('2 of 2 hosts completed\n');
  });

  it('ends a last line without a newline on the terminal, so the progress line does not draw over it', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', 'true']);
    await untilState(fleet.env, job.id, ['Completed']);
    // Stored as an agent writes it: a raw chunk of the command's bytes.
    await storeOutput(fleet.redis.client(), fleet.env.prefix, { rootId: job.id, jobId: job.id, host: 'localhost' }, [
      { stream: 'stdout', data: Buffer.from('no newline') },
    ]);
    const screen = await onTerminal(['receive', String(job.id), '--wait']);
    expect(screen).toMatch(PROGRESS);
    expect(screen).toContain('no newline\n');
  });
});
