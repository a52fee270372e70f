import type { ApiClient } from './api-client.js';
import { ErrorLine } from './error-line.js';
import { html } from './html.js';
import { useGroups } from './live-data.js';

/** The output as `fleet receive --group` prints it: each distinct stdout once under its hosts folded, then the failures by reason. */
export function GroupedOutputView({ api, id, ended }: { api: ApiClient; id: number; ended: boolean }) {
  const live = useGroups(api, id, ended);
  const grouped = live.value;
  return html`<section class="grouped">
    <h2>Output, grouped</h2>
    <${ErrorLine} error=${live.error} />
    ${
      grouped === undefined
        ? html`<p class="loading">Loading…</p>`
        : html`${grouped.groups.length === 0 ? html`<p class="empty">No output yet.</p>` : ''}
          ${grouped.groups.map(
            (group) =>
              html`<div class="group" key=${group.hosts}>
                <div class="group-header">
                  <span class="group-hosts">${group.hosts} (${group.count})</span>
                  ${group.exitCode === null || group.exitCode === 0 ? '' : html`<span class="group-exit">exit ${group.exitCode}</span>`}
                </div>
                <pre class="group-text">${group.text}</pre>
              </div>`,
          )}
          ${
            grouped.failures.length === 0
              ? ''
              : html`<ul class="failures">
                  ${grouped.failures.map(
                    (failure) => html`<li key=${failure.reason} class="failure">${failure.hosts} (${failure.count}) ${failure.reason}</li>`,
                  )}
                </ul>`
          }`
    }
  </section>`;
}
