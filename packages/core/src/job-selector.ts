import { UsageError } from './errors.js';

/** A `JOB` argument: an id, or a name that selects every job bearing it. */
export type JobSelector = { kind: 'id'; id: number } | { kind: 'name'; name: string };

export function parseJobSelector(text: string): JobSelector {
  if (/^\d+$/.test(text)) {
    const id = Number(text);
    if (Number.isSafeInteger(id) && id > 0) return { kind: 'id', id };
    throw new UsageError(`job id ${text} is out of range`);
  }
  return { kind: 'name', name: validateJobName(text) };
}

/**
 * Checks a job name. Names need not be unique, but a name must not look like an
 * id (it would be unreachable) and must be printable text.
 */
export function validateJobName(name: string): string {
  if (name === '') throw new UsageError('a job name cannot be empty');
  if (name.length > 200) throw new UsageError('a job name is at most 200 characters');
  if (/^\d+$/.test(name)) {
    throw new UsageError(`job name ${name} looks like an id`, { hint: 'use a name with at least one letter' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new UsageError(`job name ${JSON.stringify(name)} contains a control character`);
  return name;
}
