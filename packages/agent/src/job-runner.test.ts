import type { Outcome, RunSpec, SignatureVerdict } from '@fleet/core';
import type { ClaimedJob } from '@fleet/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePrometheus } from '../../../test/support/prometheus-text.js';
import { startRun, type ExecutionRequest, type Executor } from './executor.js';
import type { JobObserver } from './agent-observer.js';
import type { JobLedger } from './job-ledger.js';
import { JobRunner, type JobRunnerOptions } from './job-runner.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import type { RanMemory } from './ran-memory.js';

const SPEC: RunSpec = {
  command: { kind: 'shell', line: 'make test' },
  workdir: null,
  env: {},
  timeoutMs: null,
  connectTimeoutMs: null,
  maxOutputBytes: 1024,
};

/** A ledger in memory: every job is claimable unless `unclaimable`, and finishing returns `next`. */
function fakeLedger(options: { spec?: Partial<RunSpec>; next?: number[]; unclaimable?: boolean } = {}) {
  const finished = new Map<number, Outcome>();
  const dispatched: number[][] = [];
  const output: { stream: string; text: string }[] = [];
  const ledger: JobLedger = {
    claim: (id) =>
      Promise.resolve<ClaimedJob | null>(
        options.unclaimable
          ? null
          : { id, rootId: 100, location: 'web1', spec: JSON.stringify({ ...SPEC, ...options.spec }), signature: 'signed', count: 3 },
      ),
    finish: (id, outcome) => {
      finished.set(id, outcome);
      return Promise.resolve(options.next ?? []);
    },
    dispatch: (ids) => {
      dispatched.push([...ids]);
      return Promise.resolve();
    },
    transferred: () => {},
    flushTransferred: () => Promise.resolve(),
    content: async function* (rootId, manifest) {
      yield await Promise.resolve(Buffer.from(`content of job ${rootId}, ${manifest.size} bytes`));
    },
    output: () => {
      // Nobody receives: everything written stays unreceived.
      let unreceivedBytes = 0;
      const keep = (stream: string, text: string): undefined => {
        output.push({ stream, text });
        unreceivedBytes += Buffer.byteLength(text);
      };
      return {
        writeBytes: (stream, chunk) => keep(stream, chunk.toString()),
        write: (stream, data) => keep(stream, String(data)),
        flush: () => Promise.resolve(),
        recount: () => Promise.resolve({ unreadBytes: unreceivedBytes, followed: false }),
        get unreceivedBytes() {
          return unreceivedBytes;
        },
        bytesDroppedOutOfMemory: 0,
      };
    },
  };
  return { ledger, finished, dispatched, output };
}

/** A valid signature; each job's signed bytes differ, so each has a digest of its own. */
const trusted = (claimed: ClaimedJob): Promise<SignatureVerdict> =>
  Promise.resolve({ ok: true, keyId: 'key', expiresAt: 2_000, digest: String(claimed.id).padStart(64, '0') });

/** A memory of runs in a set: what the agent's directory of entries does, in one process. */
function memoryInASet(): RanMemory {
  const ran = new Map<string, number>();
  return {
    remember: ({ digest, jobId }) => {
      const prior = ran.get(digest);
      if (prior !== undefined) return Promise.resolve({ first: false, prior: { agentId: 'agent-1', jobId: prior, at: 'then' } });
      ran.set(digest, jobId);
      return Promise.resolve({ first: true });
    },
  };
}

function runnerWith(
  ledger: JobLedger,
  executor: Executor | null,
  verify = trusted,
  ranMemory = memoryInASet(),
  heard: Pick<JobRunnerOptions, 'observer' | 'log'> = {},
): JobRunner {
  return new JobRunner({ ledger, agentId: 'agent-1', stopGraceMs: 5_000, executorFor: () => executor, verify, ranMemory, ...heard });
}

/** An observer that writes down what it hears, one line per call. */
function listeningObserver(): { observer: JobObserver; heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    observer: {
      childStarted: (waitedMs) => heard.push(`started after ${waitedMs} ms`),
      childFinished: (state) => heard.push(`finished ${state}`),
      commandRan: (durationMs) => heard.push(`ran ${durationMs} ms`),
      outputBytes: (stream, bytes) => heard.push(`${stream} ${bytes}`),
      transferBytes: (bytes) => heard.push(`transferred ${bytes}`),
    },
  };
}

/** An executor that runs until it is interrupted; `started` resolves once `jobs` runs of it have begun. */
function untilInterrupted(jobs = 1) {
  let began!: () => void;
  const started = new Promise<void>((resolve) => (began = resolve));
  let running = 0;
  const executor: Executor = async ({ signal }: ExecutionRequest) => {
    const done = startRun(signal);
    running += 1;
    if (running === jobs) began();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return done({ signal: 'SIGTERM' });
  };
  return { executor, started };
}

describe('JobRunner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records a finished job, and dispatches the siblings its slot frees', async () => {
    const { ledger, finished, dispatched } = fakeLedger({ next: [7, 8] });
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    const runner = runnerWith(ledger, executor);
    await runner.run(1);
    expect(executor).toHaveBeenCalledOnce();
    expect(finished.get(1)).toEqual({ state: 'Completed', exitCode: 0, reason: null });
    expect(dispatched).toEqual([[7, 8]]);
    expect(runner.runningIds).toEqual([]);
  });

  it("gives the executor fleet's per-child variables beside the --env values, after the signature check", async () => {
    const { ledger } = fakeLedger({ spec: { env: { TOKEN: 'abc' } } });
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    await runnerWith(ledger, executor).run(102);
    expect(executor.mock.calls[0]?.[0].spec.env).toEqual({
      TOKEN: 'abc',
      FLEET_HOST: 'web1',
      FLEET_RANK: '1',
      FLEET_COUNT: '3',
      FLEET_JOB_ID: '102',
    });
  });

  it("gives the executor --stdin's content, read from the job's root, and none without it", async () => {
    const manifest = { size: 7, sha256: 'a'.repeat(64), chunks: ['b'.repeat(64)] };
    const { ledger } = fakeLedger({ spec: { stdin: manifest } });
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    await runnerWith(ledger, executor).run(102);
    const input = executor.mock.calls[0]?.[0].input;
    expect(input?.size).toBe(7);
    const read: Buffer[] = [];
    for await (const chunk of input?.read() ?? []) read.push(chunk);
    expect(Buffer.concat(read).toString()).toBe('content of job 100, 7 bytes');
    const plain = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    await runnerWith(fakeLedger().ledger, plain).run(103);
    expect(plain.mock.calls[0]?.[0].input).toBeNull();
  });

  it('refuses --stdin for a thread job, running nothing', async () => {
    const manifest = { size: 0, sha256: 'a'.repeat(64), chunks: [] };
    const { ledger, finished } = fakeLedger({
      spec: { stdin: manifest, command: { kind: 'thread', source: 'eval', name: '', code: 'return 1', args: [] } },
    });
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    await runnerWith(ledger, executor).run(104);
    expect(executor).not.toHaveBeenCalled();
    expect(finished.get(104)?.reason).toBe('refused: a thread job has no standard input (--stdin)');
  });

  it('dispatches nothing when no sibling is due, and reports a failing command by its exit code', async () => {
    const { ledger, finished, dispatched } = fakeLedger();
    const runner = runnerWith(ledger, ({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 3 })));
    await runner.run(1);
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: 3, reason: 'exit code 3' });
    expect(dispatched).toEqual([]);
  });

  it('runs nothing and records nothing for a job it could not claim', async () => {
    const { ledger, finished } = fakeLedger({ unclaimable: true });
    const executor = vi.fn<Executor>();
    await runnerWith(ledger, executor).run(1);
    expect(executor).not.toHaveBeenCalled();
    expect(finished.size).toBe(0);
  });

  it.each([
    [
      'a refused signature',
      () => Promise.resolve<SignatureVerdict>({ ok: false, reason: 'refused: signed by an unknown key' }),
      'refused: signed by an unknown key',
    ],
    [
      'a signature check that failed',
      () => Promise.reject(new Error('no key file')),
      'refused: the signature could not be checked: no key file',
    ],
  ])('fails a job with %s and runs nothing', async (_case, verify, reason) => {
    const { ledger, finished, output } = fakeLedger();
    const executor = vi.fn<Executor>();
    await runnerWith(ledger, executor, verify).run(1);
    expect(executor).not.toHaveBeenCalled();
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason });
    expect(output).toEqual([]);
  });

  it('runs a signed job once: the same signature again is refused as already run, and nothing runs', async () => {
    const { ledger, finished } = fakeLedger();
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    const runner = runnerWith(ledger, executor);
    await runner.run(1);
    expect(finished.get(1)).toMatchObject({ state: 'Completed' });
    await runner.run(1);
    expect(executor).toHaveBeenCalledTimes(1);
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason: 'refused: already run (job 1, by agent agent-1 at then)' });
  });

  it('fails a job, and runs nothing, when its run cannot be recorded', async () => {
    const { ledger, finished } = fakeLedger();
    const executor = vi.fn<Executor>();
    const broken: RanMemory = { remember: () => Promise.reject(new Error('EACCES: ran/x')) };
    await runnerWith(ledger, executor, trusted, broken).run(1);
    expect(executor).not.toHaveBeenCalled();
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason: 'agent error: EACCES: ran/x' });
  });

  it('fails a job whose location no executor can reach', async () => {
    const { ledger, finished } = fakeLedger();
    await runnerWith(ledger, null).run(1);
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason: 'web1 is not a host entry fleet can reach' });
  });

  it('interrupts a job at its timeout, and fails it as timed out', async () => {
    vi.useFakeTimers();
    const { ledger, finished } = fakeLedger({ spec: { timeoutMs: 2_000 } });
    const { executor, started } = untilInterrupted();
    const runner = runnerWith(ledger, executor);
    const running = runner.run(1);
    await started;
    await vi.advanceTimersByTimeAsync(1_999);
    expect(runner.runningIds).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    await running;
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason: 'timed out after 2s' });
  });

  it('ends a job asked to stop as Stopped, leaving the others running, and fails those a shutdown interrupts', async () => {
    const { ledger, finished } = fakeLedger();
    const { executor, started } = untilInterrupted(2);
    const runner = runnerWith(ledger, executor);
    const runs = [runner.run(1), runner.run(2)];
    await started;

    runner.interrupt(1, 'stop');
    await runs[0];
    expect(finished.get(1)).toEqual({ state: 'Stopped', exitCode: null, reason: 'stopped' });
    expect(runner.runningIds).toEqual([2]);

    runner.interruptAll('shutdown');
    await runs[1];
    expect(finished.get(2)).toEqual({ state: 'Failed', exitCode: null, reason: 'agent shut down' });
    expect(runner.runningIds).toEqual([]);
  });

  it('claims a job once when it is handed to the runner twice while its claim is on its way', async () => {
    const { ledger, finished } = fakeLedger();
    const claim = vi.spyOn(ledger, 'claim');
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    const runner = runnerWith(ledger, executor);
    await Promise.all([runner.run(1), runner.run(1)]);
    expect(claim).toHaveBeenCalledOnce();
    expect(executor).toHaveBeenCalledOnce();
    expect(finished.get(1)).toEqual({ state: 'Completed', exitCode: 0, reason: null });
    // Once its claim has been answered, the id may be claimed again (the ledger says no to a run twice).
    await runner.run(1);
    expect(claim).toHaveBeenCalledTimes(2);
  });

  it('claims nothing after a shutdown, and ends a run whose claim was on its way as shut down', async () => {
    const { ledger, finished } = fakeLedger();
    const claim = vi.spyOn(ledger, 'claim');
    // Like the real executors: a run interrupted before it began runs nothing.
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)(signal.aborted ? {} : { exitCode: 0 })));
    const runner = runnerWith(ledger, executor);
    const onItsWay = runner.run(1);
    runner.interruptAll('shutdown');
    await onItsWay;
    expect(finished.get(1)).toEqual({ state: 'Failed', exitCode: null, reason: 'agent shut down' });

    await runner.run(2);
    expect(claim).toHaveBeenCalledOnce();
    expect(finished.has(2)).toBe(false);
  });

  it('keeps output up to the cap when nobody reads it, drops the rest, says how much, and fails the job for it', async () => {
    const { ledger, finished, output } = fakeLedger({ spec: { maxOutputBytes: 10 } });
    const runner = runnerWith(ledger, async ({ signal, onOutput }) => {
      await onOutput('stdout', Buffer.from('hello\nworld\n'));
      await onOutput('stdout', Buffer.from('more\n'));
      return startRun(signal)({ exitCode: 0 });
    });
    await runner.run(1);
    expect(output).toEqual([
      { stream: 'stdout', text: 'hello\nworl' },
      { stream: 'error', text: 'output exceeded 10 bytes: dropped the remaining 7 bytes (set FLEET_MAX_OUTPUT to keep more)' },
    ]);
    expect(finished.get(1)).toEqual({
      state: 'Failed',
      exitCode: 0,
      reason: 'exit code 0, but 7 bytes of output past FLEET_MAX_OUTPUT (10 bytes) was dropped',
    });
  });

  it('tells its observer of each start (with its wait in the queue), output byte, transfer, run time and end', async () => {
    vi.useFakeTimers({ now: 10_000 });
    const { ledger } = fakeLedger({ spec: { maxOutputBytes: 4 } });
    const { observer, heard } = listeningObserver();
    const runner = runnerWith(
      ledger,
      async ({ signal, onOutput, onTransferred }) => {
        const done = startRun(signal);
        await onOutput('stdout', Buffer.from('hello\n')); // past the cap: counted all the same
        await onOutput('stderr', Buffer.from('!'));
        onTransferred?.(1_000);
        vi.advanceTimersByTime(250);
        return done({ exitCode: 0 });
      },
      trusted,
      memoryInASet(),
      { observer },
    );
    await runner.run(1, 9_400);
    // A queue stamp from a clock running ahead is no negative wait.
    await runner.run(2, 20_000);
    expect(heard).toEqual([
      'started after 600 ms',
      'stdout 6',
      'stderr 1',
      'transferred 1000',
      'ran 250 ms',
      'finished Failed',
      'started after 0 ms',
      'stdout 6',
      'stderr 1',
      'transferred 1000',
      'ran 250 ms',
      'finished Failed',
    ]);
  });

  it('finishes a job whose queue stamp is no time (a Redis writer set it), counting its start but no wait', async () => {
    const { ledger, finished } = fakeLedger();
    const metrics = new AgentMetrics();
    const executor: Executor = ({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 }));
    await runnerWith(ledger, executor, trusted, memoryInASet(), { observer: metrics }).run(1, Number.NaN);
    expect(finished.get(1)).toMatchObject({ state: 'Completed' });
    const samples = parsePrometheus(await metrics.render());
    expect(samples.get('fleet_children_started_total')).toBe(1);
    expect(samples.get('fleet_children_finished_total')).toBe(1);
    expect(samples.get('fleet_agent_queue_wait_seconds_count')).toBe(0);
  });

  it('finishes its jobs when its observer throws, and logs that once per kind of call', async () => {
    const { ledger, finished } = fakeLedger();
    const lines: string[] = [];
    const refuse = () => {
      throw new Error('Value is not a valid number');
    };
    const observer: JobObserver = {
      childStarted: refuse,
      childFinished: refuse,
      commandRan: refuse,
      outputBytes: refuse,
      transferBytes: refuse,
    };
    const executor: Executor = async ({ signal, onOutput }) => {
      await onOutput('stdout', Buffer.from('out\n'));
      return startRun(signal)({ exitCode: 0 });
    };
    const runner = runnerWith(ledger, executor, trusted, memoryInASet(), { observer, log: (line) => lines.push(line) });
    await runner.run(1);
    await runner.run(2);
    expect([...finished.values()].map((outcome) => outcome.state)).toEqual(['Completed', 'Completed']);
    expect(lines).toEqual(
      ['childStarted', 'outputBytes', 'commandRan', 'childFinished'].map(
        (call) => `metrics: ${call} failed (not counted; further failures of it are not logged): Value is not a valid number`,
      ),
    );
  });

  it('tells its observer nothing of a job it cannot claim, and of a refused one only its start and end', async () => {
    const { observer, heard } = listeningObserver();
    const executor = vi.fn<Executor>(({ signal }) => Promise.resolve(startRun(signal)({ exitCode: 0 })));
    await runnerWith(fakeLedger({ unclaimable: true }).ledger, executor, trusted, memoryInASet(), { observer }).run(1);
    expect(heard).toEqual([]);
    const refuse = () => Promise.resolve<SignatureVerdict>({ ok: false, reason: 'refused: no trusted key signed it' });
    await runnerWith(fakeLedger().ledger, executor, refuse, memoryInASet(), { observer }).run(2);
    expect(heard).toEqual([expect.stringMatching(/^started after \d+ ms$/), 'finished Failed']);
    expect(executor).not.toHaveBeenCalled();
  });
});
