import {
  checkRerun,
  parseHostEntry,
  parseJobSelector,
  resolveJobRequest,
  UsageError,
  type JobRequest,
  type JobRequestOptions,
} from '@fleet/core';
// Not the agent's main entry: that would load ssh2 and BullMQ into every CLI start.
import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import type { CliContext } from './context.js';
import { controllerDeployment } from './deployment.js';
import { selectByShard } from './job-shards.js';

/**
 * `invoke --rerun-failed JOB`: the same command, run as JOB ran it (script,
 * working directory, environment, time limits), on exactly the hosts whose
 * child in JOB failed, as a new job. `options` carries what this invoke sets
 * of its own (name, throttle, error budget, waves). What Redis holds is
 * checked against the signatures this user's key made for JOB first
 * (`checkRerun`): the new job is signed anew, so it must be what was signed.
 * A job that read standard input (`--stdin`) gives the rerun the same
 * bytes, read from JOB's stored chunks, each checked against the signed
 * manifest, to be stored again for the new job.
 */
export async function rerunFailedRequest(
  context: CliContext,
  job: string,
  options: Pick<JobRequestOptions, 'name' | 'throttle' | 'maxErrors' | 'batch' | 'retentionMs'>,
  /** Which command reruns it: a push is rerun by `fleet push`, which carries its content over; anything else by invoke. */
  rerunBy: 'invoke' | 'push' | 'pull' = 'invoke',
): Promise<{ request: JobRequest; input: AsyncIterable<Buffer> | null; jobId: number; from: CliContext }> {
  const shares = await selectByShard(context, [parseJobSelector(job)]);
  const selected = shares.flatMap((share) => share.records);
  if (selected.length !== 1) throw new UsageError(`${job} names ${selected.length} jobs; give the id of the one to rerun`);
  const [parent] = selected as [(typeof selected)[number]];
  // The shard JOB lives on: its records, signatures and content are read there.
  const from = shares[0]?.context ?? context;
  const { store } = from;
  if (!parent.isParent || parent.view.type !== 'remote') {
    throw new UsageError(`job ${parent.view.id} is not a fan-out over hosts (invoke); --rerun-failed reruns one of those`);
  }
  const failed = (await store.jobs.leaves([parent])).filter((child) => child.view.state === 'Failed');
  if (failed.length === 0) {
    throw new UsageError(`no host failed in job ${parent.view.id} (${parent.view.state}): nothing to rerun`);
  }
  const signatures = await store.jobs.signatures(failed.map((child) => child.view.id));
  const spec = await checkRerun(
    { id: parent.view.id, command: parent.view.command, spec: await store.jobs.runSpec(parent), childIds: parent.view.childIds },
    failed.map((child, index) => ({
      id: child.view.id,
      location: child.view.location,
      command: child.view.command,
      signature: signatures[index] ?? null,
    })),
    await loadOrCreateSigningKey(context.settings.signingKeyPath),
    { prefix: store.keys.prefix, deployment: await controllerDeployment(context) },
  );
  const kind = spec.command.kind === 'push' || spec.command.kind === 'pull' ? spec.command.kind : 'invoke';
  if (kind !== rerunBy) {
    throw new UsageError(
      kind === 'invoke'
        ? `job ${parent.view.id} is not a ${rerunBy}: rerun it with fleet invoke --rerun-failed ${parent.view.id}`
        : `job ${parent.view.id} is a ${kind}: rerun it with fleet ${kind} --rerun-failed ${parent.view.id}${kind === 'pull' ? ' LOCAL_DIR' : ''}`,
    );
  }
  const stdin = spec.stdin;
  const request = resolveJobRequest({
    ...options,
    type: 'remote',
    command: spec.command,
    hosts: failed.map((child) => parseHostEntry(child.view.location)),
    workdir: spec.workdir ?? undefined,
    env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    timeoutSeconds: spec.timeoutMs === null ? undefined : spec.timeoutMs / 1000,
    connectTimeoutSeconds: spec.connectTimeoutMs === null ? undefined : spec.connectTimeoutMs / 1000,
    maxOutputBytes: spec.maxOutputBytes,
  });
  return { request, input: stdin === undefined ? null : store.chunks.read(parent.rootId, stdin), jobId: parent.view.id, from };
}
