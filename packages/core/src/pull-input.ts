import { UsageError } from './errors.js';
import { formatBytes } from './output-budget.js';

/**
 * A path to pull: absolute, or `~/…` in the login user's home on each host.
 * Its last component names what lands under LOCAL_DIR/HOST, so it must be a
 * name (not `/`, `.`, `..` or empty). Anything else is refused (exit 2)
 * before anything runs.
 */
export function checkPullSource(path: string): string {
  if (path.includes('\0')) throw new UsageError('a remote path holds a NUL byte');
  if (!path.startsWith('/') && !path.startsWith('~/')) {
    throw new UsageError(`remote path ${JSON.stringify(path)} is neither absolute nor ~/-relative`, {
      hint: `write what to bring back from each host as /path or ~/path, e.g. ~/${path.replace(/^\.?\/*/, '')}`,
    });
  }
  const base = path.replace(/\/+$/, '').split('/').at(-1) ?? '';
  if (base === '' || base === '.' || base === '..' || base === '~') {
    throw new UsageError(`remote path ${JSON.stringify(path)} does not end in a name to land under`, {
      hint: 'name the file or directory itself, e.g. /var/log rather than /var/log/.',
    });
  }
  return path.replace(/(.)\/+$/, '$1');
}

/**
 * Remote paths whose last components are the same would land on the same
 * name under LOCAL_DIR/HOST, one overwriting the other: refused (exit 2),
 * naming both, before anything runs.
 */
export function checkPullSourcesApart(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const base = path.replace(/\/+$/, '').split('/').at(-1) ?? '';
    const earlier = seen.get(base);
    if (earlier !== undefined) {
      throw new UsageError(
        `remote paths ${JSON.stringify(earlier)} and ${JSON.stringify(path)} would both land as ${JSON.stringify(base)} under LOCAL_DIR/HOST`,
        { hint: 'pull them in two runs, into two local directories' },
      );
    }
    seen.set(base, path);
  }
}

/** A child's reason when its host sent more than FLEET_MAX_PULL_BYTES. */
export function describePullCap(bytes: number, maxBytes: number): string {
  return (
    `the host sent more than FLEET_MAX_PULL_BYTES (${formatBytes(maxBytes)}): ${formatBytes(bytes)} (${bytes} bytes) so far; ` +
    'the transfer was stopped and nothing of it is written out (raise FLEET_MAX_PULL_BYTES, e.g. 1G, if Redis has the memory)'
  );
}
