import {
  alreadyRunReason,
  isContentManifest,
  isRedisOutOfMemory,
  judgeOutcome,
  withHostVariables,
  type ContentManifest,
  type Interruption,
  type Outcome,
  type RunSpec,
  type SignatureVerdict,
} from '@fleet/core';
import type { ClaimedJob } from '@fleet/store';
import { heardSafely, UNOBSERVED, type JobObserver } from './agent-observer.js';
import { CappedOutput } from './capped-output.js';
import type { Executor, OutputListener } from './executor.js';
import type { JobLedger } from './job-ledger.js';
import type { RanMemory } from './ran-memory.js';

export interface JobRunnerOptions {
  /** Claims, output, outcomes and dispatch: {@link storeLedger} in the agent. */
  ledger: JobLedger;
  /** Whose claim this is (the agent's id). */
  agentId: string;
  /** Between SIGTERM and SIGKILL when a job is interrupted. */
  stopGraceMs: number;
  /** Chooses how a job runs: in a thread, locally, or over SSH. */
  executorFor: (location: string, spec: RunSpec) => Executor | null;
  /** Whether a claimed job carries a valid signature from a trusted key; nothing runs unless it does. */
  verify: (claimed: ClaimedJob) => Promise<SignatureVerdict>;
  /** The signed jobs already run here: a valid signature runs once, and a replay of it is refused. */
  ranMemory: RanMemory;
  /** Where diagnostics go. @defaultValue nowhere */
  log?: (line: string) => void;
  /** `--ask-sudo-pass`: opens the password sealed to this agent for a job, or says why it cannot. @defaultValue none */
  openSudoPassword?: (claimed: ClaimedJob) => Promise<{ password: string } | { refusal: string }>;
  /** Hears of each leaf's start and end, its command's run time and the bytes it moved (`--metrics`). @defaultValue nobody */
  observer?: JobObserver;
}

/**
 * What a run needs of the shard its job lives on (issue 21): its ledger,
 * and how its signature and its sealed password are checked there. A
 * runner's own options are the lane of a single Redis.
 */
export type JobLane = Pick<JobRunnerOptions, 'ledger' | 'verify' | 'openSudoPassword'>;

/**
 * Runs one leaf job end to end: claim it (at most once), check its signature
 * (a refused job fails and runs nothing), record that it runs (a signed job
 * already recorded, put back in the queue by someone, is refused), run it, stream its output into
 * Redis under the cap (waiting for a reader that follows it, else
 * dropping), record how it ended, and dispatch the next pending
 * sibling into the slot it frees.
 */
export class JobRunner {
  private readonly running = new Map<number, AbortController>();
  private readonly observer: JobObserver;
  /** Jobs whose claim is on its way: a second run of one returns at once, before a second claim. */
  private readonly claiming = new Set<number>();
  /** Set by {@link interruptAll}: the agent shuts down, and claims nothing more. */
  private shutDown = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.observer = heardSafely(options.observer ?? UNOBSERVED, options.log ?? (() => {}));
  }

  /** The jobs running here now, from their claim to their end. */
  get runningIds(): number[] {
    return [...this.running.keys()];
  }

  /** Interrupts a running job; a no-op for one this runner is not running. */
  interrupt(id: number, reason: Interruption): void {
    const controller = this.running.get(id);
    if (controller && !controller.signal.aborted) controller.abort(reason);
  }

  /** Interrupts every job running here, and claims no more (agent shutdown). */
  interruptAll(reason: Interruption): void {
    this.shutDown = true;
    for (const id of this.running.keys()) this.interrupt(id, reason);
  }

  /**
   * Runs one queued job, if its claim succeeds; resolves once its outcome is
   * recorded and its successors dispatched. `queuedAt` (ms since the epoch)
   * is when it was handed to the queue, for its wait. @defaultValue now
   * `lane`: the shard it came from. @defaultValue the runner's own options
   */
  async run(id: number, queuedAt: number = Date.now(), lane: JobLane = this.options): Promise<void> {
    const { agentId } = this.options;
    const { ledger } = lane;
    // Stopped before it started, or already run (or being claimed, or running here): never run twice.
    // After a shutdown nothing new is claimed: the job stays NotStarted for another agent.
    if (this.shutDown || this.claiming.has(id) || this.running.has(id)) return;
    this.claiming.add(id);
    let claimed: ClaimedJob | null;
    try {
      claimed = await ledger.claim(id, agentId);
    } finally {
      this.claiming.delete(id);
    }
    if (claimed === null) return;
    // Interruptible from the claim on: a stop or a shutdown that comes while the
    // signature is being checked (on the thread pool) must still reach it.
    const controller = new AbortController();
    this.running.set(id, controller);
    // A shutdown that came while the claim was on its way ends this run as it ends the others.
    if (this.shutDown) controller.abort('shutdown');
    let outcome: Outcome;
    try {
      // Inside the try: nothing between the claim and the finish may leave the job Running.
      this.observer.childStarted(queueWait(queuedAt, Date.now()));
      const verdict = await lane.verify(claimed).catch((error: unknown): SignatureVerdict => ({
        ok: false,
        reason: `refused: the signature could not be checked: ${(error as Error).message}`,
      }));
      const refusal = verdict.ok ? await this.alreadyRun(claimed, verdict) : verdict.reason;
      if (refusal === null) {
        outcome = await this.execute(claimed, controller, lane);
      } else {
        this.options.log?.(`job ${id} for ${claimed.location}: ${refusal}`);
        outcome = { state: 'Failed', exitCode: null, reason: refusal };
      }
    } catch (error) {
      const why = isRedisOutOfMemory(error) ? 'Redis out of memory' : error instanceof Error ? error.message : String(error);
      outcome = { state: 'Failed', exitCode: null, reason: `agent error: ${why}` };
    } finally {
      this.running.delete(id);
    }
    this.observer.childFinished(outcome.state);
    const next = await ledger.finish(id, outcome, agentId);
    if (next.length > 0) await this.dispatchNext(next, ledger);
  }

  /**
   * Hands the siblings due now to the queue. Redis full refuses it: they are
   * noted as being dispatched (the finish did that), so a reaper hands them
   * out again once memory is freed.
   */
  private async dispatchNext(ids: readonly number[], ledger: JobLedger): Promise<void> {
    try {
      await ledger.dispatch(ids);
    } catch (error) {
      if (!isRedisOutOfMemory(error)) throw error;
      this.options.log?.(`Redis is out of memory: job(s) ${ids.join(', ')} wait to be handed out until memory is freed`);
    }
  }

  /** Records the run before it starts; the refusal when this signed job was recorded before. */
  private async alreadyRun(claimed: ClaimedJob, verdict: SignatureVerdict & { ok: true }): Promise<string | null> {
    const remembered = await this.options.ranMemory.remember({
      expiresAt: verdict.expiresAt,
      digest: verdict.digest,
      jobId: claimed.id,
      agentId: this.options.agentId,
    });
    return remembered.first ? null : alreadyRunReason(remembered.prior);
  }

  private async execute(claimed: ClaimedJob, controller: AbortController, lane: JobLane): Promise<Outcome> {
    const { stopGraceMs } = this.options;
    const { ledger } = lane;
    // Fleet's per-child variables join the environment here, after the signature
    // check and never stored: every executor (SSH header, spawn, thread) passes env on.
    const spec = withHostVariables(JSON.parse(claimed.spec) as RunSpec, claimed);
    const executor = this.options.executorFor(claimed.location, spec);
    if (executor === null) return { state: 'Failed', exitCode: null, reason: `${claimed.location} is not a host entry fleet can reach` };
    const manifest = spec.stdin;
    if (manifest !== undefined && spec.command.kind === 'thread') {
      return { state: 'Failed', exitCode: null, reason: 'refused: a thread job has no standard input (--stdin)' };
    }
    if (manifest !== undefined && !isContentManifest(manifest)) {
      return { state: 'Failed', exitCode: null, reason: 'refused: its standard input (--stdin) is not a content manifest' };
    }
    const input = manifest === undefined ? null : { size: manifest.size, read: () => ledger.content(claimed.rootId, manifest) };
    const output = new CappedOutput(ledger.output(claimed), { capBytes: spec.maxOutputBytes, signal: controller.signal });
    const { onValue } = output;
    const onOutput: OutputListener = (stream, chunk) => {
      this.observer.outputBytes(stream, chunk.length);
      return output.onOutput(stream, chunk);
    };

    let sudoPassword: string | null = null;
    if (spec.sudo?.askPassword === true) {
      const opened = (await lane.openSudoPassword?.(claimed)) ?? { refusal: 'this agent cannot open a sealed password' };
      if ('refusal' in opened) return { state: 'Failed', exitCode: null, reason: opened.refusal };
      sudoPassword = opened.password;
    }
    const timer = spec.timeoutMs === null ? null : setTimeout(() => controller.abort('timeout'), spec.timeoutMs);
    try {
      const content = (manifest: ContentManifest) => ledger.content(claimed.rootId, manifest);
      const pulled = ledger.pulled?.(claimed);
      const onTransferred = (bytes: number) => {
        this.observer.transferBytes(bytes);
        ledger.transferred(claimed.rootId, bytes);
      };
      const result = await executor({
        spec,
        input,
        signal: controller.signal,
        stopGraceMs,
        onOutput,
        onValue,
        content,
        pulled,
        onTransferred,
        sudoPassword,
      });
      this.observer.commandRan(result.durationMs);
      await ledger.flushTransferred(claimed.rootId);
      const dropped = await output.end();
      return judgeOutcome({ ...result, ...dropped }, spec);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }
}

/**
 * How long a leaf waited in the queue, from BullMQ's stamp to now: never
 * negative (another machine's clock may run ahead), and null for a stamp that
 * is no time (BullMQ's job.timestamp is whatever Redis holds).
 */
function queueWait(queuedAt: number, now: number): number | null {
  const waited = now - queuedAt;
  return Number.isFinite(waited) ? Math.max(0, waited) : null;
}
