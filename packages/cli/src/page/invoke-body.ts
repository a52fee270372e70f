/** The form's fields, as typed. */
export interface InvokeFields {
  hosts: string;
  exclude: string;
  user: string;
  command: string;
  name: string;
  throttle: string;
  timeout: string;
}

export const EMPTY_FIELDS: InvokeFields = { hosts: '', exclude: '', user: '', command: '', name: '', throttle: '', timeout: '' };

/**
 * `POST /api/jobs`'s body from the form: what was left empty is left out,
 * and the command goes as one word, which the hosts' shell reads as
 * `fleet invoke HOSTS -- 'CMD'` has it read. Numbers stay as typed when they
 * are not numbers, for the server to refuse with the CLI's message.
 */
export function invokeBody(fields: InvokeFields): Record<string, unknown> {
  const body: Record<string, unknown> = { hosts: fields.hosts.trim(), command: [fields.command] };
  if (fields.exclude.trim() !== '') body.exclude = fields.exclude.trim();
  if (fields.user.trim() !== '') body.user = fields.user.trim();
  if (fields.name.trim() !== '') body.name = fields.name.trim();
  for (const key of ['throttle', 'timeout'] as const) {
    const typed = fields[key].trim();
    if (typed !== '') body[key] = /^\d+(\.\d+)?$/.test(typed) ? Number(typed) : typed;
  }
  return body;
}
