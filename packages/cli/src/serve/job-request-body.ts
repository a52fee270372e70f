import { UsageError } from '@fleet/core';
import type { InvokeArgs } from '../commands/invoke.js';
import type { StartArgs } from '../commands/start.js';

/**
 * The body of `POST /api/jobs`, as JSON: the flags of `invoke --as-job`
 * (with `hosts`) or of `start` (without), under camelCase names. The
 * command is the words after `--`. What names a file on the server
 * (`--script`, `-f`, `--inventory`) or reads a terminal (`--stdin`,
 * `--ask-sudo-pass`) has no field.
 */
export interface JobRequestBody {
  /** `-c`: host lists with ranges and @groups, each as one `-c` takes it. */
  hosts?: string | string[];
  /** `-x` */
  exclude?: string | string[];
  /** `-l` */
  user?: string;
  /** The words after `--`. */
  command: string[];
  /** `--argv`: each word arrives as one argument. */
  argv?: boolean;
  name?: string;
  throttle?: number;
  maxErrors?: string | number;
  batch?: string | number;
  /** Seconds. */
  timeout?: number;
  /** Seconds. */
  connectTimeout?: number;
  workdir?: string;
  /** `K=V` each. */
  env?: string | string[];
  /** `--sudo USER`; '' for root. */
  sudo?: string;
}

/** The request as the command's own arguments, so that the CLI's code builds the job from it. */
export type JobRequestArgs = { kind: 'invoke'; args: InvokeArgs } | { kind: 'start'; args: StartArgs };

const FIELDS: Record<keyof JobRequestBody, 'string' | 'strings' | 'number' | 'boolean' | 'count'> = {
  hosts: 'strings',
  exclude: 'strings',
  user: 'string',
  command: 'strings',
  argv: 'boolean',
  name: 'string',
  throttle: 'number',
  maxErrors: 'count',
  batch: 'count',
  timeout: 'number',
  connectTimeout: 'number',
  workdir: 'string',
  env: 'strings',
  sudo: 'string',
};

/** Fields that only a fan-out (with hosts) takes. */
const INVOKE_ONLY = ['exclude', 'user', 'throttle', 'maxErrors', 'batch', 'connectTimeout', 'sudo'] as const;

/** Checks a parsed JSON body and maps it onto invoke's or start's arguments; anything else is bad input. */
export function jobRequestArgs(body: unknown): JobRequestArgs {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UsageError('the body must be a JSON object', { hint: '{"hosts": "web[1-3]", "command": ["uptime"]}' });
  }
  const given = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    // Own fields only: `constructor` or `__proto__` are no fields, though every object has them.
    const kind = Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof JobRequestBody] : undefined;
    if (kind === undefined)
      throw new UsageError(`unknown field ${JSON.stringify(key)}`, { hint: `fields: ${Object.keys(FIELDS).join(', ')}` });
    if (!fits(value, kind)) throw new UsageError(`field ${key} must be ${describeKind(kind)}`);
  }
  const fields = given as Partial<JobRequestBody>;
  const list = (value: string | string[] | undefined) => (value === undefined ? undefined : typeof value === 'string' ? [value] : value);
  const count = (value: string | number | undefined) => (value === undefined ? undefined : String(value));
  const common = {
    json: true,
    name: fields.name,
    workdir: fields.workdir,
    env: list(fields.env),
    timeout: fields.timeout,
    argv: fields.argv,
    '--': list(fields.command) ?? [],
  };
  if (fields.hosts === undefined) {
    const fanOut = INVOKE_ONLY.find((key) => fields[key] !== undefined);
    if (fanOut !== undefined) throw new UsageError(`${fanOut} goes with hosts`, { hint: 'give "hosts" for a fan-out, or leave it out' });
    return { kind: 'start', args: common };
  }
  return {
    kind: 'invoke',
    args: {
      ...common,
      'computer-name': list(fields.hosts),
      exclude: list(fields.exclude),
      user: fields.user,
      throttle: fields.throttle,
      'max-errors': count(fields.maxErrors),
      batch: count(fields.batch),
      'connect-timeout': fields.connectTimeout,
      sudo: fields.sudo,
      'as-job': true,
      quiet: true,
      group: false,
      prefix: true,
    },
  };
}

function fits(value: unknown, kind: (typeof FIELDS)[keyof JobRequestBody]): boolean {
  if (kind === 'strings') return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
  if (kind === 'count') return typeof value === 'string' || typeof value === 'number';
  return typeof value === kind;
}

function describeKind(kind: (typeof FIELDS)[keyof JobRequestBody]): string {
  if (kind === 'strings') return 'a string or an array of strings';
  if (kind === 'count') return 'a number or a string such as "10%"';
  return `a ${kind}`;
}
