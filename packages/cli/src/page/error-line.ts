import { ApiError } from './api-client.js';
import { html } from './html.js';

/** The last error, with the server's hint when it gave one; nothing when there is none. */
export function ErrorLine({ error }: { error: Error | null }) {
  if (error === null) return null;
  const hint = error instanceof ApiError ? error.hint : undefined;
  return html`<p class="error" role="alert">${error.message}${hint === undefined ? '' : html`<br /><span class="hint">${hint}</span>`}</p>`;
}
