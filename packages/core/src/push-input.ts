import { UsageError } from './errors.js';
import { formatBytes } from './output-budget.js';

/**
 * A push's destination: an absolute path, or `~`/`~/…` for the login
 * user's home on each host. Anything else would land wherever the host's
 * login put it, so it is refused (exit 2) before anything runs.
 */
export function checkPushDest(dest: string): string {
  if (dest.includes('\0')) throw new UsageError('the destination holds a NUL byte');
  if (dest.startsWith('/') || dest === '~' || dest.startsWith('~/')) return dest;
  throw new UsageError(`destination ${JSON.stringify(dest)} is neither absolute nor ~/-relative`, {
    hint: `write where it goes on each host as /path or ~/path, e.g. ~/${dest.replace(/^\.?\/*/, '')}`,
  });
}

/** Refuses a push whose files add up to more than FLEET_MAX_PUSH_BYTES, before anything is stored. */
export function checkPushSize(bytes: number, files: number, maxBytes: number): void {
  if (bytes <= maxBytes) return;
  throw new UsageError(
    `this push is ${formatBytes(bytes)}${bytes >= 1024 ? ` (${bytes} bytes)` : ''} in ${files} file${files === 1 ? '' : 's'}, over FLEET_MAX_PUSH_BYTES (${formatBytes(maxBytes)})`,
    {
      hint: 'its content is held in Redis until the job is removed or expires; raise FLEET_MAX_PUSH_BYTES (e.g. 1G) if Redis has the memory, or push less',
    },
  );
}
