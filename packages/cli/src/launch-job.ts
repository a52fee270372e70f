import type { JobRequest, JobView } from '@fleet/core';
import type { CliContext } from './context.js';
import { ensureAgent } from './ensure-agent.js';

/** Creates a job and hands its first children to the queue, making sure an agent will take them. */
export async function launchJob(context: CliContext, request: JobRequest): Promise<JobView> {
  await ensureAgent(context);
  const { job, dispatchIds } = await context.store.jobs.create(request);
  await context.store.dispatcher.dispatch(dispatchIds);
  return job;
}
