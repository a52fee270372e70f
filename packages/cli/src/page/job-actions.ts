import type { ApiClient } from './api-client.js';
import type { Job } from './api-shapes.js';
import { ErrorLine } from './error-line.js';
import { html } from './html.js';
import { isEnded } from './job-ended.js';
import { routeHash } from './page-route.js';
import { useAction } from './use-action.js';

/**
 * Stop, remove and rerun the failed hosts, each by its route of the API.
 * Stop and remove ask first (the browser's own confirmation); a refusal
 * shows the server's message, which is the CLI's (a refused remove in an
 * alert: the page has already gone back to the list).
 */
export function JobActions({ api, job, children }: { api: ApiClient; job: Job; children: Job[] }) {
  const { busy, error, run: act } = useAction();
  const ended = isEnded(job.state);
  const failed = children.filter((child) => child.state === 'Failed').length;
  const stop = () =>
    act(async () => {
      if (!confirm(`Stop job ${job.id} (${job.name}) and every command it runs?`)) return;
      await api.send('POST', `/api/jobs/${job.id}/stop`);
    });
  const remove = () =>
    act(async () => {
      const force = !ended;
      const question = force
        ? `Job ${job.id} (${job.name}) is ${job.state}: stop it and remove it, with its output?`
        : `Remove job ${job.id} (${job.name}) and its output?`;
      if (!confirm(question)) return;
      // To the list first: the job's view stops reading it, so no read of a job just removed answers 404.
      location.hash = routeHash({ view: 'jobs' });
      try {
        await api.send('DELETE', `/api/jobs/${job.id}${force ? '?force' : ''}`);
      } catch (error) {
        // This view has gone with the job's page: back to it, and the browser says why the job stays.
        location.hash = routeHash({ view: 'job', id: job.id });
        alert(`Job ${job.id} was not removed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  const rerun = () =>
    act(async () => {
      const created = await api.send<Job>('POST', `/api/jobs/${job.id}/rerun-failed`);
      if (created !== null) location.hash = routeHash({ view: 'job', id: created.id });
    });
  return html`<div class="actions">
    <button type="button" name="stop" disabled=${busy || ended} onClick=${stop}>Stop</button>
    <button type="button" name="remove" disabled=${busy} onClick=${remove}>Remove</button>
    ${
      job.type === 'remote' && job.childIds.length > 0
        ? html`<button type="button" name="rerun-failed" disabled=${busy || !ended || failed === 0} onClick=${rerun}>
            Rerun the ${failed} failed
          </button>`
        : ''
    }
    <${ErrorLine} error=${error} />
  </div>`;
}
