import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_CURSOR_OUTPUTS, quoteShellWord } from '@fleet/core';
import { FLEET_BIN } from './support/fleet-cli.js';
import { api, startServe, withHost, type Served } from './support/fleet-serve.js';
import { until } from './support/poll.js';
import { untilNoProcessesWith } from './support/processes.js';
import { SseReader, type SseMessage } from './support/sse-client.js';
import { invokeAsJob, untilState, useFleet, type JobJson } from './support/use-fleet.js';

// Issue 19: the live event stream, GET /api/events (SSE) and `fleet events`.

const fleet = useFleet();
const run = promisify(execFile);

interface EventJson {
  event: 'created' | 'state' | 'removed' | 'reset';
  jobId: number;
  rootId: number;
  state: string | null;
  exitCode: number | null;
  reason: string | null;
  at: string;
}

interface PieceJson {
  jobId: number;
  host: string;
  stream: string;
  data?: unknown;
  dataBase64?: string;
}

const FINAL = ['Completed', 'Failed', 'Stopped'];
const eventOf = (message: SseMessage) => message.data as EventJson;
/** Whether the messages hold the final state of this job. */
const endOf = (jobId: number) => (messages: SseMessage[]) =>
  messages.some((message) => message.event === 'state' && eventOf(message).jobId === jobId && FINAL.includes(eventOf(message).state ?? ''));

/** The bytes a job wrote on a stream, from its output pieces (joined in order). */
function pieceBytes(pieces: readonly PieceJson[], jobId: number, stream: string): Buffer {
  return Buffer.concat(
    pieces
      .filter((piece) => piece.jobId === jobId && piece.stream === stream)
      .map((piece) => (piece.dataBase64 === undefined ? Buffer.from(String(piece.data)) : Buffer.from(piece.dataBase64, 'base64'))),
  );
}

/** Blocked XREADs on the file's Redis: one per live event reader. */
async function blockedReads(): Promise<number> {
  const client = fleet.redis.client();
  try {
    const list = (await client.call('CLIENT', 'LIST')) as string;
    return list.split('\n').filter((line) => / flags=b /.test(line) && / cmd=xread /.test(line)).length;
  } finally {
    client.disconnect();
  }
}

async function withServer<T>(test: (served: Served) => Promise<T>, extraEnv: NodeJS.ProcessEnv = {}): Promise<T> {
  const served = await startServe(fleet.env, [], '127.0.0.1:0', extraEnv);
  try {
    return await test(served);
  } finally {
    expect(await served.stop()).toBe(0);
  }
}

/** `fleet events ARGS` running, with what it printed so far. */
function spawnEvents(args: string[]) {
  const child = fleet.env.spawn(['events', ...args]);
  const printed = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (printed.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, printed, exited };
}

/** A follower of every job (`fleet events --json`) prints a job's end, then Ctrl-C exits it 130. */
async function expectFollowsThenCtrlC(follower: ReturnType<typeof spawnEvents>): Promise<void> {
  const job = await invokeAsJob(fleet.env, 'localhost', `true # ${fleet.env.marker}`);
  await until(() => follower.printed.stdout.includes(`"jobId":${job.id},"rootId":${job.id},"state":"Completed"`), {
    what: 'the job to end in the output',
  });
  follower.child.kill('SIGINT');
  expect(await follower.exited).toBe(130);
}

describe('GET /api/events', () => {
  it('gives every transition of a fan-out in order, and a client resuming with Last-Event-ID or ?since= gets exactly the rest', async () => {
    await withServer(async (served) => {
      const whole = await SseReader.open(served);
      const cut = await SseReader.open(served);
      expect(whole.response.status).toBe(200);
      expect(whole.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const job = await invokeAsJob(fleet.env, 'localhost,localhost,localhost', `echo hi # ${fleet.env.marker}`);
      const all = await whole.readUntil(endOf(job.id));
      const events = all.map(eventOf);
      expect(events.every((event) => event.rootId === job.id)).toBe(true);
      expect(events[0]).toMatchObject({ event: 'created', jobId: job.id, state: 'Running' });
      for (const childId of job.childIds) {
        expect(events.filter((event) => event.jobId === childId).map((event) => [event.state, event.exitCode])).toEqual([
          ['Running', null],
          ['Completed', 0],
        ]);
      }
      expect(events.at(-1)).toMatchObject({ event: 'state', jobId: job.id, state: 'Completed', reason: null });
      expect(events).toHaveLength(2 + 2 * job.childIds.length);
      // The SSE event name is the kind of event, and each id is a stream id after the one before.
      expect(all.every((message) => message.event === eventOf(message).event)).toBe(true);
      const ids = all.map((message) => message.id.split('-').map(Number) as [number, number]);
      ids.slice(1).forEach(([ms, seq], index) => {
        const [lastMs, lastSeq] = ids[index] as [number, number];
        expect(ms > lastMs || (ms === lastMs && seq > lastSeq)).toBe(true);
      });

      // A client that had three events, went away, and came back.
      const before = (await cut.readUntil((messages) => messages.length >= 3)).slice(0, 3);
      cut.close();
      const resumed = await SseReader.open(served, '/api/events', { 'last-event-id': (before[2] as SseMessage).id });
      expect([...before, ...(await resumed.readUntil(endOf(job.id)))]).toEqual(all);
      const since = await SseReader.open(served, `/api/events?since=${encodeURIComponent((all[4] as SseMessage).id)}`);
      expect(await since.readUntil(endOf(job.id))).toEqual(all.slice(5));

      // Removal is an event too.
      expect((await api(served, `/api/jobs/${job.id}`, { method: 'DELETE', headers: { 'x-fleet-csrf': '1' } })).status).toBe(204);
      const removed = await whole.readUntil((messages) => messages.some((message) => message.event === 'removed'));
      expect(eventOf(removed.at(-1) as SseMessage)).toMatchObject({ event: 'removed', jobId: job.id, rootId: job.id, state: null });
      for (const reader of [whole, resumed, since]) reader.close();
    });
  });

  it('gives one reset for an id trimmed away or from another stream, and 400 for one that is not an id', async () => {
    await withServer(async (served) => {
      const reader = await SseReader.open(served);
      const first = await invokeAsJob(fleet.env, 'localhost,localhost', `true # ${fleet.env.marker}`);
      const seen = await reader.readUntil(endOf(first.id));
      reader.close();
      // The stream keeps ~100,000 events; trimming it here stands for a client away for that long.
      const trimmer = fleet.redis.client();
      await trimmer.xtrim(`${fleet.env.prefix}:events`, 'MAXLEN', 1);
      trimmer.disconnect();
      // The boundary: the entry just before the one kept loses nothing, so no reset, and exactly the one kept.
      const boundary = await SseReader.open(served, '/api/events', { 'last-event-id': (seen.at(-2) as SseMessage).id });
      expect(await boundary.readUntil((messages) => messages.length >= 1)).toEqual([seen.at(-1)]);
      boundary.close();
      const old = await SseReader.open(served, '/api/events', { 'last-event-id': (seen[1] as SseMessage).id });
      const [reset] = await old.readUntil((messages) => messages.length >= 1);
      expect(reset?.event).toBe('reset');
      expect(reset?.data).toEqual({
        event: 'reset',
        reason: expect.stringMatching(/^the id is too old: the events after it were trimmed away/),
      });
      expect(reset?.id).toBe((seen.at(-1) as SseMessage).id);
      // After the reset the stream goes on.
      const second = await invokeAsJob(fleet.env, 'localhost', `true # ${fleet.env.marker}`);
      const after = await old.readUntil(endOf(second.id));
      expect(after.slice(1).map((message) => eventOf(message).rootId)).toEqual(after.slice(1).map(() => second.id));
      old.close();
      // The last id before the trim lost nothing: no reset.
      const latest = await SseReader.open(served, '/api/events', { 'last-event-id': (after.at(-1) as SseMessage).id });
      const third = await invokeAsJob(fleet.env, 'localhost', `true # ${fleet.env.marker}`);
      expect((await latest.readUntil(endOf(third.id)))[0]?.data).toMatchObject({ event: 'created', jobId: third.id });
      latest.close();

      const future = await SseReader.open(served, '/api/events?since=99999999999999-0');
      expect((await future.readUntil((messages) => messages.length >= 1))[0]?.data).toEqual({
        event: 'reset',
        reason: 'the id is not from this stream (Redis was emptied, or is another one)',
      });
      future.close();
      for (const bad of ['yesterday', '1-0~x', '1-0\u0000']) {
        const response = await api(served, `/api/events?since=${encodeURIComponent(bad)}`);
        expect(response.status, bad).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/^\?since= .* is not an event id$/);
      }
      const header = await api(served, '/api/events', { headers: { 'last-event-id': 'nope' } });
      expect(header.status).toBe(400);
    });
  });

  it('keeps the trees of ?job= with their output, every byte as written, and resumes the output exactly too', async () => {
    await withServer(async (served) => {
      // Not UTF-8, a NUL, a line across two writes, and no final newline.
      const printBytes = `printf 'caf\\351 \\000x\\n'; printf 'half'; printf ' line\\n\\377end' >&2 # ${fleet.env.marker}`;
      const expectedStdout = Buffer.from([...Buffer.from('caf'), 0xe9, 0x20, 0x00, ...Buffer.from('x\nhalf')]);
      const expectedStderr = Buffer.from([...Buffer.from(' line\n'), 0xff, ...Buffer.from('end')]);
      const wanted = await invokeAsJob(fleet.env, 'localhost,localhost', printBytes);
      const other = await invokeAsJob(fleet.env, 'localhost', `echo other # ${fleet.env.marker}`);
      // Opened once it has ended, so that its whole output is read from Redis at once: the order
      // across streams (events, output) is then the one a resumed reader reads too.
      await untilState(fleet.env, wanted.id, FINAL);
      // Opened after both were made: a job named is followed from its creation.
      const reader = await SseReader.open(served, `/api/events?job=${wanted.id}`);
      const messages = await reader.readUntil(endOf(wanted.id));
      reader.close();
      const pieces = messages.filter((message) => message.event === 'output').map((message) => message.data as PieceJson);
      const jobEvents = messages.filter((message) => message.event !== 'output').map(eventOf);
      expect(jobEvents.every((event) => event.rootId === wanted.id)).toBe(true);
      expect(jobEvents[0]).toMatchObject({ event: 'created', jobId: wanted.id });
      for (const childId of wanted.childIds) {
        expect(pieceBytes(pieces, childId, 'stdout')).toEqual(expectedStdout);
        expect(pieceBytes(pieces, childId, 'stderr')).toEqual(expectedStderr);
        // A child's output comes before its end.
        const end = messages.findIndex(
          (message) => message.event === 'state' && eventOf(message).jobId === childId && eventOf(message).state === 'Completed',
        );
        const lastPiece = messages.findLastIndex((message) => message.event === 'output' && (message.data as PieceJson).jobId === childId);
        expect(lastPiece).toBeLessThan(end);
      }
      expect(pieces.every((piece) => piece.host === 'localhost' && wanted.childIds.includes(piece.jobId))).toBe(true);
      expect(messages.some((message) => JSON.stringify(message.data).includes('other'))).toBe(false);

      // Resuming from an output piece gives exactly the rest, output and events.
      const at = messages.findIndex((message) => message.event === 'output');
      const resumed = await SseReader.open(served, `/api/events?job=${wanted.id}`, { 'last-event-id': (messages[at] as SseMessage).id });
      expect(await resumed.readUntil(endOf(wanted.id))).toEqual(messages.slice(at + 1));
      resumed.close();

      // A child alone: its own events and output, not its siblings'.
      const childId = wanted.childIds[1] as number;
      const child = await SseReader.open(served, `/api/events?job=${childId}`);
      const own = await child.readUntil(endOf(childId));
      child.close();
      expect(own.every((message) => (message.data as { jobId: number }).jobId === childId)).toBe(true);
      expect(
        pieceBytes(
          own.filter((message) => message.event === 'output').map((message) => message.data as PieceJson),
          childId,
          'stdout',
        ),
      ).toEqual(expectedStdout);

      const unknown = await api(served, '/api/events?job=999999');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: 'no job with id 999999', hint: "'fleet get' lists the jobs there are" });
      expect((await api(served, '/api/events?job=abc')).status).toBe(400);
      expect(other.id).toBeGreaterThan(wanted.id);
    });
  });

  it('ends the reader of a client that goes away: no blocked Redis connection is left', async () => {
    await withServer(async (served) => {
      expect(await blockedReads()).toBe(0);
      const readers = await Promise.all([SseReader.open(served), SseReader.open(served), SseReader.open(served, '/api/events?since=0-0')]);
      await until(async () => (await blockedReads()) === 3, { what: 'three blocked reads' });
      for (const reader of readers) reader.close();
      await until(async () => (await blockedReads()) === 0, { what: 'the blocked reads to end' });
    });
  });

  it('sends a heartbeat while nothing happens (FLEET_EVENT_HEARTBEAT, a test setting, makes it come after 1 s)', async () => {
    await withServer(
      async (served) => {
        const reader = await SseReader.open(served);
        await reader.readUntilComment('heartbeat');
        const job = await invokeAsJob(fleet.env, 'localhost', `true # ${fleet.env.marker}`);
        // The parent made, its child started and ended, the parent ended.
        expect((await reader.readUntil(endOf(job.id))).length).toBe(4);
        reader.close();
      },
      { FLEET_EVENT_HEARTBEAT: '1s' },
    );
  });

  it('asks for the token and checks the Host, as every API route', async () => {
    await withServer(async (served) => {
      expect((await fetch(`${served.base}/api/events`)).status).toBe(401);
      expect((await withHost(served, '/api/events', `attacker.example:${new URL(served.base).port}`)).status).toBe(403);
      expect(await blockedReads()).toBe(0);
    });
  });

  it('refuses ?job= naming more trees than an id can resume (400 before the stream)', async () => {
    await withServer(async (served) => {
      const created = await Promise.all(
        Array.from({ length: MAX_CURSOR_OUTPUTS + 1 }, () => api(served, '/api/jobs', { method: 'POST', json: { command: ['true'] } })),
      );
      const ids = await Promise.all(created.map(async (response) => ((await response.json()) as JobJson).id));
      const tooMany = await api(served, `/api/events?${ids.map((id) => `job=${id}`).join('&')}`);
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as { error: string }).error).toBe(
        `the jobs named are in ${MAX_CURSOR_OUTPUTS + 1} trees: events follow at most ${MAX_CURSOR_OUTPUTS} at once`,
      );
      const enough = await SseReader.open(
        served,
        `/api/events?${ids
          .slice(1)
          .map((id) => `job=${id}`)
          .join('&')}`,
      );
      expect(enough.response.status).toBe(200);
      enough.close();
    });
  });

  it('exits 0 on SIGTERM with a client still reading, and leaves no blocked read in Redis', async () => {
    const served = await startServe(fleet.env);
    const reader = await SseReader.open(served);
    await until(async () => (await blockedReads()) === 1, { what: 'the stream to read' });
    expect(await served.stop('SIGTERM')).toBe(0);
    await until(async () => (await blockedReads()) === 0, { what: 'the blocked read to end' });
    reader.close();
  });
});

describe('a forged event in Redis', () => {
  const HOSTILE = 'a\u001b]0;PWNED\u0007b\rfake: forged\n\u001b[2J';

  it('crashes neither the server nor the CLI, is skipped when malformed, and reaches a terminal escaped', async () => {
    await withServer(async (served) => {
      const job = await fleet.env.json<JobJson>(['start', '--', fleet.env.sleep, '30']);
      const reader = await SseReader.open(served, `/api/events?job=${job.id}`);
      const redis = fleet.redis.client();
      const key = `${fleet.env.prefix}:events`;
      await redis.xadd(key, '*', 'k', 'hacked', 'j', String(job.id), 'r', String(job.id));
      await redis.xadd(key, '*', 'x', '1');
      await redis.xadd(key, '*', 'k', 'state', 'j', `${job.id}\n`, 'r', String(job.id), 's', 'Failed');
      await redis.xadd(
        key,
        '*',
        'k',
        'state',
        'j',
        String(job.id),
        'r',
        String(job.id),
        's',
        'Failed',
        'x',
        '',
        'w',
        HOSTILE,
        't',
        '',
        'n',
        '',
      );
      const messages = await reader.readUntil(endOf(job.id));
      reader.close();
      // The malformed ones are skipped (the job's start may come before or after them); the well-formed one arrives, its reason as JSON.
      expect(messages[0]?.event).toBe('created');
      expect(messages.slice(1).map((message) => [message.event, eventOf(message).jobId])).toEqual(
        messages.slice(1).map(() => ['state', job.id]),
      );
      expect(messages.map((message) => eventOf(message).reason).filter((reason) => reason !== null)).toEqual([HOSTILE]);
      redis.disconnect();
      expect((await api(served, '/api/jobs')).status).toBe(200);

      const piped = await fleet.env.fleet(['events', String(job.id), '--json']);
      expect(piped.code).toBe(1);
      expect(
        piped.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as EventJson)
          .at(-1)?.reason,
      ).toBe(HOSTILE);
      // On a terminal (a real pty), the reason's control characters are shown, not obeyed.
      const line = [process.execPath, FLEET_BIN, 'events', String(job.id)].map(quoteShellWord).join(' ');
      // `script -e` exits as the command did: 1, for the (forged) failure.
      const screen = await run('script', ['-qfec', line, '/dev/null'], { env: { ...fleet.env.env, NO_COLOR: '1' }, timeout: 60_000 }).then(
        () => {
          throw new Error('fleet events exited 0 on a failed job');
        },
        (error: { code?: number; stdout?: string }) => {
          expect(error.code).toBe(1);
          return error.stdout ?? '';
        },
      );
      expect(screen).toContain('Failed: a^[]0;PWNED^Gb^Mfake: forged^J^[[2J');
      expect(screen).not.toContain('\u001b');
      await fleet.env.fleet(['stop', String(job.id)]);
    });
  });
});

describe('fleet events', () => {
  it('prints every transition of the jobs named as JSON lines and exits when they end, 1 when one failed, as wait', async () => {
    const job = await invokeAsJob(fleet.env, 'localhost,localhost', `echo out; test "$FLEET_RANK" = 0 || exit 3 # ${fleet.env.marker}`);
    const result = await fleet.env.fleet(['events', String(job.id), '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as EventJson & PieceJson);
    const events = lines.filter((line) => line.event !== undefined);
    expect(events[0]).toMatchObject({ event: 'created', jobId: job.id, state: 'Running' });
    const [first, second] = job.childIds as [number, number];
    expect(events.filter((event) => event.jobId === first).map((event) => event.state)).toEqual(['Running', 'Completed']);
    expect(events.filter((event) => event.jobId === second).map((event) => [event.state, event.exitCode, event.reason])).toEqual([
      ['Running', null, null],
      ['Failed', 3, 'exit code 3'],
    ]);
    expect(events.at(-1)).toMatchObject({ jobId: job.id, state: 'Failed', reason: '1 failed of 2 children' });
    const pieces = lines.filter((line) => line.stream !== undefined);
    for (const childId of job.childIds) expect(pieceBytes(pieces, childId, 'stdout').toString()).toBe('out\n');
    expect(pieces.find((piece) => piece.stream === 'error')).toMatchObject({ jobId: second, data: 'exit code 3' });

    const completed = await invokeAsJob(fleet.env, 'localhost', `true # ${fleet.env.marker}`);
    const text = await fleet.env.fleet(['events', String(completed.id)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^\\S+Z job ${completed.id} created, Running\\n`));
    expect(text.stdout).toMatch(new RegExp(`\\S+Z job ${completed.id} Completed\\n$`));
  });

  it('ends for a job gone without an event (expired), as wait does: the records are read every second', async () => {
    // Commands that run until the test lets them end (their records gone, stop cannot reach them).
    const go = join(fleet.env.home, 'go');
    const job = await invokeAsJob(
      fleet.env,
      'localhost,localhost',
      `until [ -e ${quoteShellWord(go)} ]; do ${fleet.env.sleep} 0.1; done # ${fleet.env.marker}`,
    );
    const childId = job.childIds[1] as number;
    await untilState(fleet.env, childId, ['Running']);
    const follower = spawnEvents([String(childId), '--json']);
    await until(() => follower.printed.stdout.includes(`"jobId":${childId},"rootId":${job.id},"state":"Running"`), {
      what: 'fleet events to print the child running',
    });
    // The tree's records deleted under it, as expiry deletes them: no event says so.
    const client = fleet.redis.client();
    try {
      await client.del(...[job.id, ...job.childIds].map((id) => `${fleet.env.prefix}:job:${id}`));
    } finally {
      client.disconnect();
    }
    expect(await follower.exited).toBe(1);
    expect(follower.printed.stdout).not.toContain('"removed"');
    await writeFile(go, '');
    await untilNoProcessesWith(fleet.env.marker, { what: 'the commands to end' });
  });

  it('refuses an unknown job as get does', async () => {
    const events = await fleet.env.fleet(['events', '424242']);
    const get = await fleet.env.fleet(['get', '424242']);
    expect(events.code).toBe(2);
    expect(events.code).toBe(get.code);
    expect(events.stderr).toBe(get.stderr);
  });

  it('without a job follows every job until Ctrl-C, then exits 130', async () => {
    const follower = spawnEvents(['--json']);
    await until(async () => (await blockedReads()) === 1, { what: 'fleet events to read' });
    await expectFollowsThenCtrlC(follower);
  });
});

describe('Redis going away', () => {
  it('ends the stream, and a new one is refused 503 until it is back', async () => {
    await withServer(async (served) => {
      const reader = await SseReader.open(served);
      await until(async () => (await blockedReads()) === 1, { what: 'the stream to read' });
      await fleet.redis.kill();
      try {
        await reader.readToEnd();
        const refused = await api(served, '/api/events');
        expect(refused.status).toBe(503);
      } finally {
        await fleet.redis.start();
      }
      const again = await until(
        async () => {
          const opened = await SseReader.open(served);
          if (opened.response.status === 200) return opened;
          opened.close();
          return undefined;
        },
        { what: 'the server to reconnect' },
      );
      again.close();
    });
  });

  it('fleet events waits for it, as wait does, and goes on once it is back', async () => {
    const follower = spawnEvents(['--json']);
    await until(async () => (await blockedReads()) === 1, { what: 'fleet events to read' });
    await fleet.redis.kill();
    try {
      await until(() => follower.printed.stderr.includes('reading again once Redis is back'), { what: 'fleet events to see Redis go' });
    } finally {
      await fleet.redis.start();
    }
    await until(async () => (await blockedReads()) === 1, { what: 'fleet events to read again' });
    await expectFollowsThenCtrlC(follower);
  });
});
