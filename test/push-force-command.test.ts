import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSshFleet } from './support/use-ssh-fleet.js';

// A host whose sshd runs something else for every exec (a ForceCommand that
// exits 0): the receiver never runs, so the push must not be Completed.
const ssh = useSshFleet(1, { withoutSftp: true, hostSshdOptions: () => ['ForceCommand=/bin/true'] });

let local: string;
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'fleet-push-forced-'));
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

describe('fleet push to a host that never runs the receiver', () => {
  it('fails the host, saying the receiver never answered, though its exec exited 0', async () => {
    const file = join(local, 'app.conf');
    await writeFile(file, 'a=1\n');
    const result = await ssh.env.fleet(['push', '-f', ssh.fleet.computersFile, file, '~/'], { timeoutMs: 60_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `0 of 1 host completed; failed: ${ssh.fleet.entries[0]} (1): the receiver ended before it said which files it has`,
    );
    expect(result.stdout).not.toContain('changed');
  });
});
