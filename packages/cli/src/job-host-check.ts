import { HostNotInJobError } from '@fleet/core';
import type { JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
import { groupByShard } from './job-shards.js';
import { matchesHost } from './output/output-pump.js';

/** `--host H` (`?host=H`) must name a host of the jobs: else a receive would print nothing, and say nothing of why. */
export async function checkHost(context: CliContext, selected: readonly JobRecord[], host: string): Promise<void> {
  const leaves = (
    await Promise.all((await groupByShard(context, selected)).map((share) => share.context.store.jobs.leaves(share.records)))
  ).flat();
  if (leaves.some((leaf) => matchesHost(leaf.view.location, host))) return;
  const hosts = [...new Set(leaves.map((leaf) => leaf.view.location))];
  throw new HostNotInJobError(
    host,
    selected.map((record) => record.view.id),
    hosts,
  );
}
