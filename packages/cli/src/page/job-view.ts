import { useState } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import { ChildrenList } from './children-list.js';
import { ErrorLine } from './error-line.js';
import { FilterBar } from './filter-bar.js';
import { GroupedOutputView } from './grouped-output.js';
import { HostOutput } from './host-output.js';
import { html } from './html.js';
import { JobActions } from './job-actions.js';
import { isEnded } from './job-ended.js';
import { filterChildren, type JobFilter } from './job-filters.js';
import { useJob } from './live-data.js';
import { childrenProgress } from './progress-bar.js';
import { ProgressBar } from './progress-view.js';
import { StateBadge } from './state-badge.js';
import { formatDuration, jobDuration } from './time-text.js';

/** One job: what it runs, its actions, its output grouped, its children, and one host's output tailing. */
export function JobView({ api, id }: { api: ApiClient; id: number }) {
  const live = useJob(api, id);
  const [filter, setFilter] = useState<JobFilter>({ state: '', text: '' });
  const [host, setHost] = useState<string | null>(null);
  const [job, ...children] = live.value ?? [];
  if (job === undefined) {
    return html`<section class="job">
      <h1>Job ${id}</h1>
      <${ErrorLine} error=${live.error} />${live.error === null ? html`<p class="loading">Loading…</p>` : ''}
    </section>`;
  }
  const progress = childrenProgress(id, children);
  const duration = jobDuration(job, Date.now());
  const ended = isEnded(job.state);
  const shown = filterChildren(children, filter);
  return html`<section class="job" data-job-id=${job.id}>
    <h1>Job ${job.id}: ${job.name} <${StateBadge} state=${job.state} /></h1>
    <dl class="job-facts">
      <dt>Command</dt>
      <dd><code>${job.command}</code></dd>
      <dt>Hosts</dt>
      <dd class="hosts">${job.location}</dd>
      <dt>Duration</dt>
      <dd>${duration === null ? 'not begun' : formatDuration(duration)}</dd>
      ${
        job.reason === null
          ? ''
          : html`<dt>Reason</dt>
              <dd>${job.reason}</dd>`
      }
    </dl>
    ${children.length > 0 ? html`<${ProgressBar} progress=${progress} />` : ''}
    <${JobActions} api=${api} job=${job} children=${children} />
    <${ErrorLine} error=${live.error} />
    ${
      children.length === 0
        ? html`<${HostOutput} api=${api} id=${job.id} host=${null} ended=${ended} />`
        : html`<${GroupedOutputView} api=${api} id=${job.id} ended=${ended} />
            <section class="children-section">
              <h2>Hosts <span class="count">${shown.length} of ${children.length}</span></h2>
              <${FilterBar} filter=${filter} onChange=${setFilter} textLabel="Host" />
              <${ChildrenList} children=${shown} chosen=${host} onChoose=${setHost} />
            </section>
            ${host === null ? html`<p class="hint">Choose a host to follow its own output.</p>` : html`<${HostOutput} api=${api} id=${job.id} host=${host} ended=${ended} />`}`
    }
  </section>`;
}
