import { DEFAULTS, isRedisOutOfMemory, jobSigner, type JobRequest, type JobView } from '@fleet/core';
// Not the agent's main entry: that would load ssh2 and BullMQ into every CLI start.
import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import { jobIdCount } from '@fleet/store';
import type { CliContext } from './context.js';
import { controllerDeployment } from './deployment.js';
import { ensureAgent } from './ensure-agent.js';
import { onShard } from './job-shards.js';
import { NodeSealingRecord } from './node-sealing-record.js';
import { sealPassword, vouchedAgents } from './seal-password.js';

export interface LaunchOptions {
  /**
   * The caller follows the output itself (a synchronous invoke), so agents
   * wait for it at the output cap from the start rather than drop.
   * @defaultValue false
   */
  followed?: boolean;
  /**
   * `--stdin`: the bytes every command reads on its standard input. They are
   * stored once for the job (the chunk store) before it is created, and their
   * manifest goes into its run spec, which the signatures cover.
   * @defaultValue none: the commands' standard input is closed
   */
  input?: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | null;
  /**
   * Ids reserved before (JobStore.reserveIds), under which the job's content
   * (a push's files) was stored; the job is created under them.
   * @defaultValue ids taken now
   */
  rootId?: number;
  /**
   * `--ask-sudo-pass`: sealed, before any child is handed out, to the agents this
   * user's own key vouched for that may run one of the job's children; with none,
   * nothing is made.
   */
  sudoPassword?: string;
}

/** A job just made, and a context whose store is the shard it lives on. */
export interface LaunchedJob {
  job: JobView;
  context: CliContext;
}

/**
 * Creates a job, signed with this user's key so that agents will run it, and
 * hands its first children to the queue, making sure an agent will take them.
 * The job goes on the shard its id picks (see FleetShards.forNewJob), and is
 * signed for that shard's prefix.
 */
export async function launchJob(controller: CliContext, request: JobRequest, options: LaunchOptions = {}): Promise<LaunchedJob> {
  // The key first: an agent this CLI starts trusts it only if it exists.
  const key = await loadOrCreateSigningKey(controller.settings.signingKeyPath);
  await ensureAgent(controller);
  // An agent this CLI started shares its state directory, so its pin: the two agree.
  const deployment = await controllerDeployment(controller);
  const signer = jobSigner(key, Date.now() + controller.settings.signatureTtlMs, deployment);
  let stored = request;
  // The ids first (one counter for every shard): they choose the shard.
  const rootId = options.rootId ?? (await controller.store.jobs.reserveIds(jobIdCount(request)));
  const context = onShard(controller, await controller.shards.forNewJob(rootId));
  if (options.input) {
    // Stored under the job's ids before the job exists: no agent can take a child before its input is there.
    stored = { ...request, run: { ...request.run, stdin: await context.store.chunks.put(rootId, piecesOf(options.input)) } };
  }
  const password = options.sudoPassword;
  // Only a remote job's children run on a node's agent; the others run on this side.
  const entries = request.type === 'remote' ? request.hosts.map((host) => host.raw) : [];
  const recipients =
    password === undefined
      ? []
      : await vouchedAgents(controller, key, deployment, entries, NodeSealingRecord.inStateDir(controller.settings.stateDir));
  if (password !== undefined && recipients.length === 0) {
    throw new Error(
      "no running agent can receive the sudo password: none that may run this job's children has a sealing key vouched for by your own signing key (keys in FLEET_TRUSTED_KEYS do not count; a node's agent counts only with the key fleet deploy last sent it from this machine: run fleet deploy for it again; agents of an older fleet on this side have none: restart them)",
    );
  }
  const { job, dispatchIds } = await context.store.jobs.create(stored, signer, {
    followMs: options.followed ? DEFAULTS.outputFollowTtlMs : undefined,
    rootId,
  });
  if (password !== undefined) {
    // Nothing is dispatched yet: a job without its sealed copies would only fail, so it goes.
    await sealPassword(context, recipients, { deployment, rootId: job.id, expiresAt: signer.expiresAt }, password).catch(
      async (error: unknown) => {
        await context.store.transitions.remove([job.id]).catch(() => {});
        throw error;
      },
    );
  }
  await context.store.dispatcher.dispatch(dispatchIds).catch(async (error: unknown) => {
    // Redis filled up between the job and its queue entries: nothing would run it
    // until memory is freed, so it is taken back (removing runs while Redis is full).
    if (isRedisOutOfMemory(error)) await context.store.transitions.remove([job.id]);
    throw error;
  });
  return { job, context };
}

async function* piecesOf(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) yield piece;
}
