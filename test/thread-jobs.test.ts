import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { parseRecords, untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/** Starts a thread job with --eval, waits for it to finish, and returns it with its records. */
async function runThread(code: string, args: string[] = [], extra: string[] = []) {
  const job = await fleet.env.json<JobJson>(['start', '--thread', ...extra, '--eval', code, ...(args.length ? ['--', ...args] : [])]);
  const done = await untilState(fleet.env, job.id, ['Completed', 'Failed', 'Stopped']);
  const records = parseRecords((await fleet.env.fleet(['receive', String(job.id), '--json', '--keep'])).stdout);
  return { job: done, records: records.map(({ stream, data }) => ({ stream, data })) };
}

describe('fleet start --thread', () => {
  it('turns the return value and each emit into output records holding the same JSON values', async () => {
    const value = { name: 'web1', load: [0.5, 1, 2.25], nested: { ok: true, none: null, text: 'é "q"' } };
    const { job, records } = await runThread(`emit(1); emit('two'); emit([3, [4]]); emit(${JSON.stringify(value)}); return { args };`, [
      'a b',
      'c',
    ]);
    expect(job).toMatchObject({ type: 'thread', state: 'Completed', location: 'localhost', reason: null });
    expect(records).toEqual([
      { stream: 'output', data: 1 },
      { stream: 'output', data: 'two' },
      { stream: 'output', data: [3, [4]] },
      { stream: 'output', data: value },
      { stream: 'output', data: { args: ['a b', 'c'] } },
    ]);
    const text = await fleet.env.fleet(['receive', String(job.id)]);
    expect(text.stdout).toBe(`1\n"two"\n[3,[4]]\n${JSON.stringify(value)}\n{"args":["a b","c"]}\n`);
  });

  it('records nothing for an undefined return value', async () => {
    const { job, records } = await runThread('const x = 1;');
    expect(job.state).toBe('Completed');
    expect(records).toEqual([]);
    expect(job.hasMoreData).toBe(false);
  });

  it("runs a module's default export with { args, emit }", async () => {
    const module = join(fleet.env.home, 'probe.mjs');
    await writeFile(
      module,
      `import { cpus } from 'node:os';\nexport default async function ({ args, emit }) {\n  emit(cpus().length > 0);\n  return args.map((arg) => arg.toUpperCase());\n}\n`,
    );
    const job = await fleet.env.json<JobJson>(['start-threadjob', '--script', module, '--', 'x', 'y']);
    expect(job.command).toBe(`${module} x y`);
    await untilState(fleet.env, job.id, ['Completed']);
    const records = parseRecords((await fleet.env.fleet(['receive', String(job.id), '--json'])).stdout);
    expect(records.map((record) => record.data)).toEqual([true, ['X', 'Y']]);
  });

  it('turns console.log and console.error into stdout and stderr lines', async () => {
    const { records } = await runThread(`console.log('out', 1); console.error('err'); console.log('two\\nlines');`);
    expect(records).toEqual([
      { stream: 'stdout', data: 'out 1' },
      { stream: 'stderr', data: 'err' },
      { stream: 'stdout', data: 'two' },
      { stream: 'stdout', data: 'lines' },
    ]);
  });

  it('runs inside the agent, with no process of its own', async () => {
    const { records } = await runThread('return process.pid;');
    const [agent] = await fleet.env.json<{ pid: number }[]>(['agents']);
    expect(records).toEqual([{ stream: 'output', data: agent?.pid }]);
  });

  it('fails with the thrown error as its reason', async () => {
    const { job, records } = await runThread(`console.log('before'); throw new Error('disk full on /var');`);
    expect(job).toMatchObject({ state: 'Failed', reason: 'disk full on /var', exitCode: null });
    expect(records).toEqual([
      { stream: 'stdout', data: 'before' },
      { stream: 'error', data: 'disk full on /var' },
    ]);
  });

  it.each([
    ['return () => 1;', 'the return value cannot be serialized as JSON (it is function)'],
    ['emit(10n);', 'a value passed to emit cannot be serialized as JSON: Do not know how to serialize a BigInt'],
    ['const a = {}; a.self = a; return a;', /^the return value cannot be serialized as JSON: Converting circular structure to JSON/],
  ])('fails clearly on a value JSON cannot hold: %s', async (code, reason) => {
    const { job } = await runThread(code);
    expect(job.state).toBe('Failed');
    expect(job.reason).toMatch(typeof reason === 'string' ? new RegExp(`^${reason.replace(/[()]/g, '\\$&')}$`) : reason);
  });
});

describe('stopping and limits', () => {
  it('stops an infinite loop, and fails one past --timeout', async () => {
    const spin = await fleet.env.json<JobJson>(['start', '--thread', '--eval', 'while (true) {}']);
    await untilState(fleet.env, spin.id, ['Running']);
    expect((await fleet.env.fleet(['stop', String(spin.id)])).code).toBe(0);
    expect((await fleet.env.json<JobJson[]>(['get', String(spin.id)]))[0]).toMatchObject({ state: 'Stopped', reason: 'stopped' });
    const { job } = await runThread('for (;;) {}', [], ['--timeout', '1']);
    expect(job).toMatchObject({ state: 'Failed', reason: 'timed out after 1s' });
  });

  it('lets a runaway thread die alone: the agent and its other jobs go on', async () => {
    const hog = await fleet.env.json<JobJson>([
      'start',
      '--thread',
      '--eval',
      'const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));',
    ]);
    const [before] = await fleet.env.json<{ pid: number }[]>(['agents']);
    const neighbour = await fleet.env.json<JobJson>(['start', '--', 'echo still here']);
    const failed = await untilState(fleet.env, hog.id, ['Failed'], 60_000);
    expect(failed.reason).toBe('out of memory (a thread job may use 256 MB)');
    await untilState(fleet.env, neighbour.id, ['Completed']);
    const [after] = await fleet.env.json<{ pid: number }[]>(['agents']);
    expect(after?.pid).toBe(before?.pid);
    const { job } = await runThread('return "fine";');
    expect(job.state).toBe('Completed');
  });

  it('runs at most FLEET_THREAD_LIMIT (default 5) at once per agent; the rest wait as NotStarted', async () => {
    const gate = join(fleet.env.home, 'gate');
    const code = `const fs = await import('node:fs'); while (!fs.existsSync(args[0])) await new Promise((r) => setTimeout(r, 20)); return 'done';`;
    const jobs: JobJson[] = [];
    for (let i = 0; i < 7; i += 1) jobs.push(await fleet.env.json<JobJson>(['start', '--thread', '--eval', code, '--', gate]));
    const states = () => fleet.env.json<JobJson[]>(['get']).then((listed) => listed.map((job) => job.state));
    await until(async () => (await states()).filter((state) => state === 'Running').length === 5, { what: 'five running' });
    expect((await states()).filter((state) => state === 'NotStarted')).toHaveLength(2);
    await writeFile(gate, '');
    for (const job of jobs) await untilState(fleet.env, job.id, ['Completed']);
  });

  it('behaves as other jobs under get, wait, receive and remove', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--thread', '--name', 'calc', '--eval', 'return 6 * 7;']);
    const waited = await fleet.env.fleet(['wait', 'calc', '--json']);
    expect(JSON.parse(waited.stdout)).toMatchObject([{ id: job.id, type: 'thread', state: 'Completed', hasMoreData: true }]);
    expect((await fleet.env.fleet(['receive', 'calc'])).stdout).toBe('42\n');
    expect((await fleet.env.fleet(['remove', 'calc'])).code).toBe(0);
    expect((await fleet.env.fleet(['get', 'calc'])).code).toBe(2);
  });
});

describe('bad input', () => {
  it.each([
    [['start', '--eval', 'return 1'], /--eval goes with --thread/],
    [['start', '--thread'], /needs --eval JS or --script MODULE.mjs/],
    [['start', '--thread', '--eval', 'return 1', '--script', 'x.mjs'], /needs --eval JS or --script MODULE.mjs, one of them/],
    [['start', '--thread', '--eval', '  '], /the JavaScript to run is empty/],
    [['start', '--thread', '--workdir', '/tmp', '--eval', 'return 1'], /no working directory of its own/],
    [['start', '--thread', '--script', '/no/such.mjs'], /cannot read the module \/no\/such.mjs: no such file/],
  ])('fleet %j exits 2', async (args, message) => {
    const result = await fleet.env.fleet(args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});
