import { agentRow } from './agent-row.js';
import type { ApiClient } from './api-client.js';
import { ErrorLine } from './error-line.js';
import { html } from './html.js';
import { useAgents } from './live-data.js';
import { routeHash } from './page-route.js';
import { ageText } from './time-text.js';

/** Live agents: where each runs, the node it serves, the jobs it runs now, and how old its last heartbeat is. */
export function AgentsView({ api }: { api: ApiClient }) {
  const live = useAgents(api);
  const now = Date.now();
  return html`<section class="agents">
    <h1>Agents</h1>
    <${ErrorLine} error=${live.error} />
    ${
      live.value === undefined
        ? html`<p class="loading">Loading…</p>`
        : live.value.length === 0
          ? html`<p class="empty">No live agent: one starts with the next job.</p>`
          : html`<table class="agent-table">
              <thead>
                <tr>
                  <th>Agent</th>
                  <th>Runs on</th>
                  <th>Serves</th>
                  <th>Running</th>
                  <th>Heartbeat</th>
                  <th>Version</th>
                </tr>
              </thead>
              <tbody>
                ${live.value.map(agentRow).map(
                  (agent) =>
                    html`<tr key=${agent.id} data-agent-id=${agent.id}>
                      <td>${agent.id}${agent.draining ? html` <span class="draining">draining</span>` : ''}</td>
                      <td>${agent.host} (pid ${agent.pid})</td>
                      <td>${agent.serves}</td>
                      <td>
                        ${agent.running} of ${agent.concurrency}
                        ${agent.runningIds.map((id) => html` <a key=${id} href=${routeHash({ view: 'job', id })}>${id}</a>`)}
                      </td>
                      <td class="heartbeat">${ageText(agent.heartbeatAt, now)}</td>
                      <td>${agent.version}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  </section>`;
}
