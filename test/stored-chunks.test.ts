import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmp } from './support/cmp.js';
import { fileGate } from './support/gate.js';
import { fleetToFile } from './support/fleet-bytes.js';
import { cutInto, storeOutput, type StoredChunk } from './support/stored-output.js';
import { invokeAsJob, parseAllRecords, streamBytes, untilState, useFleet, type JobJson } from './support/use-fleet.js';

// Output stored as raw chunks of what a command wrote (field `r` = 1): the
// readers must give back exactly those bytes. Entries are written here as an
// agent writes them, into the stream of a job that ran and wrote nothing.
const fleet = useFleet();

/** A fan-out over `localhost` entries that has run and written nothing: its parent and its children's ids. */
async function quietJob(hosts = 'localhost'): Promise<JobJson> {
  const parent = await invokeAsJob(fleet.env, hosts, 'true');
  return untilState(fleet.env, parent.id, ['Completed']);
}

async function store(parent: JobJson, child: number, chunks: StoredChunk[], host = 'localhost'): Promise<void> {
  await storeOutput(fleet.redis.client(), fleet.env.prefix, { rootId: parent.id, jobId: child, host }, chunks);
}

const TEN_MB_LINE = Buffer.concat([Buffer.alloc(10_000_000, 'x'), Buffer.from('\n')]);
const CASES: [string, Buffer][] = [
  ['a random binary file', randomBytes(100_000)],
  ['a 10 MB single line', TEN_MB_LINE],
  ['text without a final newline', Buffer.from('a\r\nb')],
];

describe('output stored as raw chunks', () => {
  it.each(CASES)('comes back byte for byte from --no-prefix, --outdir and --json: %s', async (_, bytes) => {
    const parent = await quietJob();
    const child = parent.childIds[0] as number;
    const chunks = cutInto(bytes, [1, 4093, 65_536, 7]);
    await store(
      parent,
      child,
      chunks.flatMap((data) => [
        { stream: 'stdout' as const, data },
        { stream: 'stderr' as const, data },
      ]),
    );
    const expected = join(fleet.env.home, 'expected');
    await writeFile(expected, bytes);
    const id = String(parent.id);

    const piped = join(fleet.env.home, 'piped');
    expect((await fleetToFile(['receive', id, '--keep', '--no-prefix'], fleet.env.env, piped)).code).toBe(0);
    expect(await cmp(expected, piped)).toBe('');
    const short = join(fleet.env.home, 'short');
    await fleetToFile(['receive', id, '--keep', '-N', '--host', 'localhost'], fleet.env.env, short);
    expect(await cmp(expected, short)).toBe('');

    const dir = join(fleet.env.home, 'out');
    expect((await fleet.env.fleet(['receive', id, '--keep', '--outdir', dir])).code).toBe(0);
    expect(await cmp(expected, join(dir, 'localhost.out'))).toBe('');
    expect(await cmp(expected, join(dir, 'localhost.err'))).toBe('');

    const json = join(fleet.env.home, 'json');
    await fleetToFile(['receive', id, '--json'], fleet.env.env, json);
    const records = parseAllRecords(await readFile(json, 'utf8'));
    for (const stream of ['stdout', 'stderr'] as const) {
      expect(streamBytes(records, stream).equals(bytes)).toBe(true);
    }
    expect(records.at(-1)).toEqual({
      jobId: child,
      host: 'localhost',
      stream: 'end',
      data: { state: 'Completed', exitCode: 0, reason: null },
      ts: expect.any(String),
    });
  });

  it('prints a 10 MB line as one prefixed line, and a last line without a newline with one added', async () => {
    const parent = await quietJob();
    const child = parent.childIds[0] as number;
    const chunks = cutInto(TEN_MB_LINE, [65_536]).map((data) => ({ stream: 'stdout' as const, data }));
    await store(parent, child, [...chunks, { stream: 'stdout', data: Buffer.from('no newline') }]);
    const out = join(fleet.env.home, 'out');
    expect((await fleetToFile(['receive', String(parent.id)], fleet.env.env, out)).code).toBe(0);
    const text = await readFile(out, 'latin1');
    expect(text.length).toBe('localhost: '.length * 2 + TEN_MB_LINE.length + 'no newline\n'.length);
    expect(text.startsWith(`localhost: ${'x'.repeat(100)}`)).toBe(true);
    expect(text.endsWith(`${'x'.repeat(100)}\nlocalhost: no newline\n`)).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
  });

  it('interleaves hosts only between lines, each stream apart', async () => {
    const parent = await quietJob('localhost,localhost');
    const [a, b] = parent.childIds as [number, number];
    const at = (child: number, host: string, stream: 'stdout' | 'stderr', text: string) =>
      store(parent, child, [{ stream, data: Buffer.from(text) }], host);
    await at(a, 'web1', 'stdout', 'one\ntw');
    await at(b, 'web2', 'stdout', 'uno\n');
    await at(a, 'web1', 'stderr', 'warn');
    await at(a, 'web1', 'stdout', 'o\n');
    await at(b, 'web2', 'stdout', 'dos');
    await at(a, 'web1', 'stderr', 'ing\n');
    const result = await fleet.env.fleet(['receive', String(parent.id)]);
    expect(result.stdout).toBe('web1: one\nweb2: uno\nweb1: two\nweb2: dos\n');
    expect(result.stderr).toBe('web1: warning\n');
  });

  it('reads entries of the older form (whole lines) and raw chunks alike', async () => {
    const parent = await quietJob();
    const child = parent.childIds[0] as number;
    await store(parent, child, [
      { stream: 'stdout', data: Buffer.from('old one\nold two'), raw: false },
      { stream: 'stdout', data: Buffer.from('new '), raw: true },
      { stream: 'stdout', data: Buffer.from('three\nfour'), raw: true },
    ]);
    const dir = join(fleet.env.home, 'out');
    await fleet.env.fleet(['receive', String(parent.id), '--keep', '--outdir', dir]);
    expect(await readFile(join(dir, 'localhost.out'), 'utf8')).toBe('old one\nold two\nnew three\nfour');
    expect((await fleet.env.fleet(['receive', String(parent.id), '--keep', '-N'])).stdout).toBe('old one\nold two\nnew three\nfour');
    expect((await fleet.env.fleet(['receive', String(parent.id)])).stdout).toBe(
      'localhost: old one\nlocalhost: old two\nlocalhost: new three\nlocalhost: four\n',
    );
  });

  it('carries a line that is not UTF-8 as base64 in --json, and marks a last line without a newline', async () => {
    const parent = await quietJob();
    const child = parent.childIds[0] as number;
    await store(parent, child, [{ stream: 'stdout', data: Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0x00, 0x0a, 0x74, 0x61, 0x69, 0x6c]) }]);
    const records = parseAllRecords((await fleet.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    expect(records.map(({ ts: _, ...record }) => record)).toEqual([
      { jobId: child, host: 'localhost', stream: 'stdout', data: 'ok' },
      { jobId: child, host: 'localhost', stream: 'stdout', dataBase64: Buffer.from([0xff, 0x00]).toString('base64') },
      { jobId: child, host: 'localhost', stream: 'stdout', data: 'tail', newline: false },
      { jobId: child, host: 'localhost', stream: 'end', data: { state: 'Completed', exitCode: 0, reason: null } },
    ]);
  });

  it('gives a line cut by a receive while its job runs in two records, the first without its newline', async () => {
    const gate = fileGate(fleet.env);
    const parent = await invokeAsJob(fleet.env, 'localhost', `${gate.wait} # ${fleet.env.marker}`);
    const child = parent.childIds[0] as number;
    await untilState(fleet.env, parent.id, ['Running']);
    await store(parent, child, [{ stream: 'stdout', data: Buffer.from('first\npar') }]);
    const early = parseAllRecords((await fleet.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    expect(early.map(({ data, newline }) => ({ data, newline }))).toEqual([
      { data: 'first', newline: undefined },
      { data: 'par', newline: false },
    ]);
    await store(parent, child, [{ stream: 'stdout', data: Buffer.from('tial\n') }]);
    await gate.open();
    await untilState(fleet.env, parent.id, ['Completed']);
    const late = parseAllRecords((await fleet.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    expect(late.map(({ stream, data }) => ({ stream, data }))).toEqual([
      { stream: 'stdout', data: 'tial' },
      { stream: 'end', data: { state: 'Completed', exitCode: 0, reason: null } },
    ]);
  });

  it('--no-prefix goes only with printed text: refused with --json, --group, --outdir and --as-job', async () => {
    for (const flags of [['--json'], ['--group'], ['--outdir', join(fleet.env.home, 'out')], ['--as-job']]) {
      const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '-N', ...flags, '--', 'echo ran']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--no-prefix/);
    }
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});
