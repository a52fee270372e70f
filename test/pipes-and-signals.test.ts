import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { quoteShellWord } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { processesWith } from './support/fleet-env.js';
import { FLEET_BIN } from './support/fleet-cli.js';
import { until } from './support/poll.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

const run = promisify(execFile);
const fleet = useFleet();

/** The shell words that run `fleet ARGS`. */
function fleetLine(args: string[]): string {
  return [process.execPath, FLEET_BIN, ...args].map(quoteShellWord).join(' ');
}

/** Runs a bash line, as a user types it, with the test's environment. */
async function bash(line: string): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', line], { env: fleet.env.env, timeout: 60_000 });
}

describe('a closed stdout (| head)', () => {
  it('ends a synchronous invoke quietly with 141, stops its hosts and leaves no job', async () => {
    const { stdout, stderr } = await bash(
      `${fleetLine(['invoke', '-c', 'localhost,localhost', '--', `seq 100000; ${fleet.env.sleep} 300`])} | head -3; echo "status=\${PIPESTATUS[0]}"`,
    );
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([expect.stringMatching(/^localhost: \d+$/), expect.anything(), expect.anything()]);
    expect(lines.at(-1)).toBe('status=141');
    expect(stderr).toBe('');
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    expect(await processesWith(fleet.env.marker)).toEqual([]);
  });

  it('ends --json the same way', async () => {
    const { stdout, stderr } = await bash(
      `${fleetLine(['invoke', '-c', 'localhost', '--json', '--', `seq 100000; ${fleet.env.sleep} 300`])} | head -1; echo "status=\${PIPESTATUS[0]}"`,
    );
    const [record, status] = stdout.trimEnd().split('\n');
    expect(JSON.parse(record as string)).toMatchObject({ host: 'localhost', stream: 'stdout', data: '1' });
    expect(status).toBe('status=141');
    expect(stderr).toBe('');
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('ends receive quietly with 141, and the job it does not own stays', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--name', 'counting', '--', 'seq 200000']);
    await untilState(fleet.env, job.id, ['Completed']);
    const { stdout, stderr } = await bash(`${fleetLine(['receive', 'counting'])} | head -2; echo "status=\${PIPESTATUS[0]}"`);
    expect(stdout).toBe('1\n2\nstatus=141\n');
    expect(stderr).toBe('');
    expect(await fleet.env.json<JobJson[]>(['get'])).toMatchObject([{ id: job.id, state: 'Completed' }]);
  });

  it('does not matter when fleet had written everything before the reader left', async () => {
    const { stdout } = await bash(
      `${fleetLine(['invoke', '-c', 'localhost', '--', 'echo one'])} | head -1; echo "status=\${PIPESTATUS[0]}"`,
    );
    expect(stdout).toBe('localhost: one\nstatus=0\n');
  });
});

describe('signals on a synchronous invoke', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s stops the command on every host, removes the job and exits %i', async (signal, code) => {
    const invoke = fleet.env.spawn(['invoke', '-c', 'localhost,localhost', '--', `echo up; ${fleet.env.sleep} 300`]);
    let stdout = '';
    let stderr = '';
    invoke.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    invoke.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => invoke.on('close', resolve));
    await until(() => stdout === 'localhost: up\nlocalhost: up\n', { what: 'both hosts to start' });
    invoke.kill(signal);
    expect(await exited).toBe(code);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('0 of 2 hosts completed; stopped: localhost (2): stopped');
    expect(await processesWith(fleet.env.marker)).toEqual([]);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});

describe('on a real terminal', () => {
  /** Starts `fleet ARGS` on a pty (util-linux `script`), whose output and input the test holds. */
  function onTerminal(args: string[]) {
    const terminal = spawn('script', ['-qfec', fleetLine(args), '/dev/null'], { env: fleet.env.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    terminal.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => terminal.on('close', resolve));
    return { terminal, exited, screen: () => screen.replaceAll('\r\n', '\n') };
  }

  it('Ctrl-C stops and removes the job, and exits 130', async () => {
    const { terminal, exited, screen } = onTerminal(['invoke', '-c', 'localhost', '--', `echo up; ${fleet.env.sleep} 300`]);
    await until(() => screen().includes(': up\n'), { what: 'the host to start' });
    terminal.stdin.write('\u0003'); // the terminal turns it into SIGINT for the foreground process group
    expect(await exited).toBe(130);
    expect(screen()).toContain('0 of 1 host completed; stopped: localhost (1): stopped');
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    expect(await processesWith(fleet.env.marker)).toEqual([]);
  });

  it('closing the terminal (SIGHUP) stops and removes the job as Ctrl-C does', async () => {
    const { terminal, exited, screen } = onTerminal(['invoke', '-c', 'localhost', '--', `echo up; ${fleet.env.sleep} 300`]);
    await until(() => screen().includes(': up\n'), { what: 'the host to start' });
    // The terminal goes away under fleet: the kernel hangs up on its session, and writes to it fail.
    terminal.kill('SIGKILL');
    await exited;
    await until(async () => (await fleet.env.json<JobJson[]>(['get'])).length === 0, { what: 'the job to be removed' });
    await untilNoProcessesWith(fleet.env.marker, { what: 'fleet and the command to end' });
  });
});
