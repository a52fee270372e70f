import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ORPHAN_HEARTBEAT, ORPHAN_PID_FROM_INPUT, ORPHAN_WATCH, orphanWatchArgs } from './orphan-watch.js';
import { childrenOf, isRunning, until } from './process-table.fixture.js';

// The watcher run alone, beside a `sleep` that stands for the command (a session
// leader, as the wrapper makes it), under shells and tools other than the host's usual.

const started: ChildProcess[] = [];
const madeDirs: string[] = [];

/** A fresh directory of stand-in tools for PATH, removed after the file's tests. */
function toolDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fleet-${name}-`));
  madeDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
});

/** A `sleep 300` leading a session of its own, as the wrapped command does. */
function startCommand(): number {
  const command = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(command);
  return command.pid!;
}

/** Starts the watcher on `pid` with `shell`, its input a pipe this test holds, and PATH as given. */
function startWatcher(shell: string[], pid: number | typeof ORPHAN_PID_FROM_INPUT, silenceSeconds: number, path: string): ChildProcess {
  const watcher = spawn(
    shell[0]!,
    [...shell.slice(1), '-c', ORPHAN_WATCH, ...orphanWatchArgs(String(pid), { silenceSeconds, graceSeconds: 1 })],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: path },
    },
  );
  watcher.stdin.on('error', () => {});
  started.push(watcher);
  return watcher;
}

const hasBusybox = spawnSync('busybox', ['true']).status === 0;

describe.skipIf(!hasBusybox)('the orphan watcher under busybox sh with BusyBox applets first on PATH', () => {
  let applets: string;
  beforeAll(() => {
    applets = toolDir('busybox');
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
    for (const applet of ['timeout', 'head', 'sleep', 'pkill', 'printf', 'kill']) symlinkSync(busybox, join(applets, applet));
  });

  it('ends the command when its input ends', async () => {
    const pid = startCommand();
    const watcher = startWatcher(['busybox', 'sh'], pid, 60, `${applets}:${process.env.PATH}`);
    watcher.stdin!.write(ORPHAN_HEARTBEAT);
    watcher.stdin!.end();
    await until(() => !isRunning(pid), 'the command to end');
  }, 40_000);

  it('ends the command when its input falls silent', async () => {
    const pid = startCommand();
    const watcher = startWatcher(['busybox', 'sh'], pid, 1, `${applets}:${process.env.PATH}`);
    watcher.stdin!.write(ORPHAN_HEARTBEAT);
    await until(() => !isRunning(pid), 'the command to end once the heartbeat stops');
    watcher.stdin!.end();
  }, 40_000);
});

describe('the orphan watcher with an old-style `timeout [-t SECS] PROG` on PATH (BusyBox before 1.30)', () => {
  it('never kills a healthy command: it falls back to the end of its input', async () => {
    const bin = toolDir('old-timeout');
    const calls = join(bin, 'calls');
    // Takes its first word as the program, as old BusyBox does with `timeout 20 head`.
    writeFileSync(
      join(bin, 'timeout'),
      `#!/bin/sh\necho "$*" >> ${calls}\nwhile [ "$1" = -s ] || [ "$1" = -t ]; do shift 2; done\nexec "$@"\n`,
    );
    chmodSync(join(bin, 'timeout'), 0o755);
    const pid = startCommand();
    const watcher = startWatcher(['/bin/sh'], pid, 1, `${bin}:${process.env.PATH}`);
    // The probe ran and failed; the watcher now waits in `read`, with no child of its own.
    await until(() => {
      try {
        return readFileSync(calls, 'utf8').length > 0 && childrenOf(watcher.pid!).length === 0;
      } catch {
        return false;
      }
    }, 'the watcher to probe `timeout` and settle');
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(isRunning(pid)).toBe(true);
    // It still ends the command at the end of its input.
    watcher.stdin!.end();
    await until(() => !isRunning(pid), 'the command to end once the input ends');
  }, 40_000);
});

describe('the orphan watcher with a `timeout` that returns at once without reading', () => {
  it('takes the empty read for an end only once its own `read` reaches the end: the command lives on', async () => {
    const bin = toolDir('quick-timeout');
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'timeout'), `#!/bin/sh\necho "$*" >> ${calls}\nexit 0\n`);
    chmodSync(join(bin, 'timeout'), 0o755);
    const pid = startCommand();
    const watcher = startWatcher(['/bin/sh'], pid, 1, `${bin}:${process.env.PATH}`);
    watcher.stdin!.write(ORPHAN_HEARTBEAT);
    await until(() => {
      try {
        return readFileSync(calls, 'utf8').length > 0 && childrenOf(watcher.pid!).length === 0;
      } catch {
        return false;
      }
    }, 'the watcher to try `timeout` and settle in `read`');
    // Settled means waiting in `read` with no child: a watcher that took the empty read for
    // silence would have signalled the command and slept its grace, then exited.
    expect(isRunning(pid)).toBe(true);
    watcher.stdin!.end();
    await until(() => !isRunning(pid), 'the command to end once the input ends');
  }, 40_000);
});

describe('the orphan watcher with a `timeout` that exits 124 on its timeout (POSIX.1-2024, FreeBSD)', () => {
  it('takes 124 for silence and ends the command', async () => {
    const bin = toolDir('124-timeout');
    // `timeout -s KILL SECS head -c 1` that reads nothing and reports a timeout after SECS.
    writeFileSync(join(bin, 'timeout'), '#!/bin/sh\nsleep "$3"\nexit 124\n');
    chmodSync(join(bin, 'timeout'), 0o755);
    const pid = startCommand();
    const watcher = startWatcher(['/bin/sh'], pid, 1, `${bin}:${process.env.PATH}`);
    await until(() => !isRunning(pid), 'the command to end once the timeout reports silence');
    watcher.stdin!.end();
  }, 40_000);
});

describe('the orphan watcher started before its command (the pid on its input, as the agent runs it locally)', () => {
  it('reads the pid from its first line and ends that command when its input ends', async () => {
    const watcher = startWatcher(['/bin/sh'], ORPHAN_PID_FROM_INPUT, 0, process.env.PATH ?? '/usr/bin:/bin');
    const pid = startCommand();
    watcher.stdin!.write(`${pid}\n`);
    watcher.stdin!.end();
    await until(() => !isRunning(pid), 'the command to end once the input ends');
  }, 40_000);

  it('exits quietly when its input ends before a pid came: no command was started', async () => {
    const watcher = startWatcher(['/bin/sh'], ORPHAN_PID_FROM_INPUT, 0, process.env.PATH ?? '/usr/bin:/bin');
    const bystander = startCommand();
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
    watcher.stdin!.end();
    expect(await exited).toBe(0);
    expect(isRunning(bystander)).toBe(true);
  }, 40_000);
});
