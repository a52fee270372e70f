import { mkdir, stat } from 'node:fs/promises';
import { privateDirectoryProblem, UnsafePathError } from '@fleet/core';

/**
 * Refuses a state directory (FLEET_STATE_DIR) that is not the user's own or
 * that others may write: it holds the embedded Redis' socket and data, and
 * the agent's log, so whoever else controls it could answer in Redis' place
 * or plant links where fleet writes. Checked before anything in it is used.
 */
export async function checkPrivateStateDir(stateDir: string): Promise<void> {
  const problem = privateDirectoryProblem(stateDir, await stat(stateDir), process.getuid?.() ?? 0);
  if (problem !== null) throw new UnsafePathError(stateDir, `(fleet's state directory) ${problem.problem}`, problem.hint);
}

/** Makes the state directory when missing (mode 700, as its parents), then checks it as {@link checkPrivateStateDir} does. */
export async function ensurePrivateStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await checkPrivateStateDir(stateDir);
}
