import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isAlive, until } from './support/poll.js';
import { freePort } from './support/redis-server.js';
import { useFleet } from './support/use-fleet.js';

const run = promisify(execFile);
const DEMO = fileURLToPath(new URL('../scripts/demo-fleet.sh', import.meta.url));
const fleet = useFleet();

describe('scripts/demo-fleet.sh', () => {
  it('starts sshd hosts, and the commands it prints fan out over them as written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-demo-'));
    const env = { ...process.env, FLEET_DEMO_DIR: dir, FLEET_DEMO_PORT: String(await freePort()) };
    let demoPrefix: string | undefined;
    try {
      const { stdout } = await run(DEMO, ['3'], { env });
      const exported = /export FLEET_SSH_CONFIG=(\S+) FLEET_PREFIX='(\S+)'/.exec(stdout);
      const invoke = /npx fleet (invoke .+)/.exec(stdout)?.[1]?.split(' ');
      expect(exported && invoke).toBeTruthy();
      demoPrefix = exported?.[2];
      const result = await fleet.env.fleet(invoke as string[], {
        env: { FLEET_SSH_CONFIG: exported?.[1], FLEET_PREFIX: exported?.[2] },
      });
      expect(result.stderr).toBe('3 of 3 hosts completed\n');
      expect(
        result.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(':')[0])
          .sort(),
      ).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3']);
    } finally {
      // The demo's agent lives under the demo's prefix, where the leak check does not look.
      const agents = await fleet.env.fleet(['agents', '--json'], { env: { FLEET_PREFIX: demoPrefix } });
      for (const agent of JSON.parse(agents.stdout || '[]') as { pid: number }[]) process.kill(agent.pid, 'SIGKILL');
      const pids = await Promise.all([1, 2, 3].map((i) => readFile(join(dir, `sshd_${i}.pid`), 'utf8').then(Number, () => 0)));
      await run(DEMO, ['stop'], { env });
      await until(() => pids.every((pid) => pid === 0 || !isAlive(pid)), { what: 'demo sshd to stop' });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
