import { useState } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import type { Job } from './api-shapes.js';
import { ErrorLine } from './error-line.js';
import { html } from './html.js';
import { EMPTY_FIELDS, invokeBody, type InvokeFields } from './invoke-body.js';
import { routeHash } from './page-route.js';
import { useAction } from './use-action.js';

/** Invoke a command on hosts, with the ranges and @groups the CLI takes; the new job opens once made. */
export function InvokeForm({ api }: { api: ApiClient }) {
  const [fields, setFields] = useState<InvokeFields>(EMPTY_FIELDS);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const job = await api.send<Job>('POST', '/api/jobs', invokeBody(fields));
      if (job !== null) location.hash = routeHash({ view: 'job', id: job.id });
    });
  };
  const field = (key: keyof InvokeFields, label: string, placeholder: string, required = false) =>
    html`<label
      >${label}
      <input
        name=${key}
        value=${fields[key]}
        placeholder=${placeholder}
        required=${required}
        onInput=${(event: Event) => setFields({ ...fields, [key]: (event.target as HTMLInputElement).value })}
    /></label>`;
  return html`<section class="invoke">
    <h1>Invoke a command</h1>
    <form class="invoke-form" onSubmit=${submit}>
      ${field('hosts', 'Hosts', 'web[01-40],@db,deploy@10.0.0.7:2222', true)} ${field('exclude', 'Except', 'web07,@canary')}
      ${field('user', 'User', 'as ssh_config says')} ${field('command', 'Command', 'uptime', true)} ${field('name', 'Name', 'Job<id>')}
      ${field('throttle', 'Throttle', '32')} ${field('timeout', 'Timeout (s)', 'none')}
      <button type="submit" disabled=${busy}>Invoke</button>
    </form>
    <${ErrorLine} error=${error} />
  </section>`;
}
