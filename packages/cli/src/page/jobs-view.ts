import { useState } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import { FilterBar } from './filter-bar.js';
import { html } from './html.js';
import { filterJobs, type JobFilter } from './job-filters.js';
import { useJobs } from './live-data.js';
import { routeHash } from './page-route.js';
import { ProgressBar } from './progress-view.js';
import { StateBadge } from './state-badge.js';
import { ErrorLine } from './error-line.js';
import { formatDuration, jobDuration } from './time-text.js';

/** Every top-level job, live: state, progress, duration, command, name; filtered by state and name. */
export function JobsView({ api }: { api: ApiClient }) {
  const live = useJobs(api);
  const [filter, setFilter] = useState<JobFilter>({ state: '', text: '' });
  const now = Date.now();
  const jobs = live.value === undefined ? [] : filterJobs(live.value.jobs, filter);
  return html`<section class="jobs">
    <h1>Jobs</h1>
    <${FilterBar} filter=${filter} onChange=${setFilter} textLabel="Name" />
    <${ErrorLine} error=${live.error} />
    ${
      live.value === undefined
        ? html`<p class="loading">Loading…</p>`
        : html`<table class="job-table">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Name</th>
                  <th>State</th>
                  <th>Progress</th>
                  <th>Duration</th>
                  <th>Command</th>
                </tr>
              </thead>
              <tbody>
                ${jobs.map((job) => {
                  const progress = live.value?.progress.get(job.id);
                  const duration = jobDuration(job, now);
                  return html`<tr key=${job.id} data-job-id=${job.id} class="job-row">
                    <td><a href=${routeHash({ view: 'job', id: job.id })}>${job.id}</a></td>
                    <td><a href=${routeHash({ view: 'job', id: job.id })}>${job.name}</a></td>
                    <td><${StateBadge} state=${job.state} /></td>
                    <td>${progress === undefined ? '' : html`<${ProgressBar} progress=${progress} />`}</td>
                    <td class="duration">${duration === null ? '' : formatDuration(duration)}</td>
                    <td class="command"><code>${job.command}</code></td>
                  </tr>`;
                })}
              </tbody>
            </table>
            ${jobs.length === 0 ? html`<p class="empty">No job${filter.state === '' && filter.text === '' ? '' : ' matches'}.</p>` : ''}`
    }
  </section>`;
}
