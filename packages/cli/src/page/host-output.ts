import { useEffect, useRef } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import { ErrorLine } from './error-line.js';
import { html } from './html.js';
import { useOutput } from './live-data.js';
import { recordText } from './output-records.js';

/** One host's own output (or that of a job without children, `host` null), tailing live; kept for `receive`. Lines are text, never HTML. */
export function HostOutput({ api, id, host, ended }: { api: ApiClient; id: number; host: string | null; ended: boolean }) {
  const live = useOutput(api, id, host, ended);
  const box = useRef<HTMLPreElement>(null);
  const records = live.value ?? [];
  // Tail: keep the last line in view as lines come, unless the user scrolled up to read.
  useEffect(() => {
    const element = box.current;
    if (element !== null && element.scrollHeight - element.scrollTop - element.clientHeight < 80) element.scrollTop = element.scrollHeight;
  }, [records.length]);
  return html`<section class="host-output">
    <h2>${host === null ? 'Output' : html`Output of <span class="host">${host}</span>`}</h2>
    <${ErrorLine} error=${live.error} />
    <pre class="output-lines" ref=${box}>
${records.map((record, index) => html`<span key=${index} class=${`line ${record.stream}`}>${recordText(record)}${'\n'}</span>`)}</pre>
    ${live.value !== undefined && records.length === 0 ? html`<p class="empty">No output (yet).</p>` : ''}
  </section>`;
}
