import { DEFAULTS, isRedisOutOfMemory, jobSigner, type JobRequest, type JobView } from '@fleet/core';
// Not the agent's main entry: that would load ssh2 and BullMQ into every CLI start.
import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import type { CliContext } from './context.js';
import { controllerDeployment } from './deployment.js';
import { ensureAgent } from './ensure-agent.js';

/**
 * Creates a job, signed with this user's key so that agents will run it, and
 * hands its first children to the queue, making sure an agent will take them.
 * `followed`: the caller follows the output itself (a synchronous invoke), so
 * agents wait for it at the output cap from the start rather than drop.
 */
export async function launchJob(
  context: CliContext,
  request: JobRequest,
  /** `rootId`: ids reserved before (JobStore.reserveIds), under which the job's content was stored. */
  options: { followed?: boolean; rootId?: number } = {},
): Promise<JobView> {
  // The key first: an agent this CLI starts trusts it only if it exists.
  const key = await loadOrCreateSigningKey(context.settings.signingKeyPath);
  await ensureAgent(context);
  // An agent this CLI started shares its state directory, so its pin: the two agree.
  const deployment = await controllerDeployment(context);
  const signer = jobSigner(key, Date.now() + context.settings.signatureTtlMs, deployment);
  const { job, dispatchIds } = await context.store.jobs.create(request, signer, {
    followMs: options.followed ? DEFAULTS.outputFollowTtlMs : undefined,
    rootId: options.rootId,
  });
  await context.store.dispatcher.dispatch(dispatchIds).catch(async (error: unknown) => {
    // Redis filled up between the job and its queue entries: nothing would run it
    // until memory is freed, so it is taken back (removing runs while Redis is full).
    if (isRedisOutOfMemory(error)) await context.store.transitions.remove([job.id]);
    throw error;
  });
  return job;
}
