import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A random token made once per `vitest run`, shared by its workers (see sudo-password.ts). */
    sudoRun: string;
  }
}

/** The lock directory of one run's sudo test password (sudo-password.ts). */
export function sudoPasswordLock(run: string): string {
  return join(tmpdir(), `fleet-test-sudo-password-${run}`);
}

/** The integration project's global setup: one token per run, so that its files agree on the sudo test user's password. */
export default function setup(project: TestProject): () => Promise<void> {
  const run = randomBytes(16).toString('hex');
  project.provide('sudoRun', run);
  return () => rm(sudoPasswordLock(run), { recursive: true, force: true });
}
