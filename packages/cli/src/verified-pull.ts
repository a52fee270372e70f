import { checkRerun, RerunRefused, UsageError, type JobView } from '@fleet/core';
import type { JobRecord } from '@fleet/store';
// Not the agent's main entry: that would load ssh2 and BullMQ into every CLI start.
import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import type { CliContext } from './context.js';
import { controllerDeployment } from './deployment.js';
import type { PullWriteOut } from './pull-writer.js';

/**
 * `receive --dest`: a pull's `-p` and cap as this user's key signed them,
 * and the children whose files are written out, each checked against its
 * signature (its host included), as --rerun-failed checks (`checkRerun`). A
 * Redis writer could otherwise turn `-p` on (modes as the host has them) or
 * move a host's files into another host's directory. Anything changed is
 * exit 2, before anything is written.
 */
export async function verifiedPullWriteOut(
  context: CliContext,
  parent: JobRecord,
  children: readonly Pick<JobView, 'id' | 'location' | 'command'>[],
): Promise<PullWriteOut> {
  const { store } = context;
  const signatures = await store.jobs.signatures(children.map((child) => child.id));
  try {
    const spec = await checkRerun(
      { id: parent.view.id, command: parent.view.command, spec: await store.jobs.runSpec(parent), childIds: parent.view.childIds },
      children.map((child, index) => ({
        id: child.id,
        location: child.location,
        command: child.command,
        signature: signatures[index] ?? null,
      })),
      await loadOrCreateSigningKey(context.settings.signingKeyPath),
      { prefix: store.keys.prefix, deployment: await controllerDeployment(context) },
    );
    if (spec.command.kind !== 'pull') throw new RerunRefused(parent.view.id, 'its signed command is not a pull');
    return { preserve: spec.command.preserve, maxBytes: spec.command.maxBytes };
  } catch (error) {
    if (!(error instanceof RerunRefused)) throw error;
    throw new UsageError(`refused to write out the files of job ${error.jobId}: ${error.why}`, {
      hint: "nothing was written; check who can write to fleet's Redis",
    });
  }
}
