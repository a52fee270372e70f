import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createFleetEnv, type FleetEnv } from './fleet-env.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { startSshFleet, type SshFleet, type SshFleetOptions } from './ssh-fleet.js';

/**
 * Hooks for a test file on the loopback sshd fleet: `count` hosts and one
 * redis-server for the file; per test a fresh FleetEnv whose agents use the
 * fleet's ssh_config (FLEET_SSH_CONFIG) unless `sshConfig: false`. Hosts a test
 * stopped or froze are brought back after it. The hosts are processes of this
 * machine, so the FleetEnv leak check sees what a test left running on them.
 */
export function useSshFleet(count: number, options: { sshConfig?: boolean } & SshFleetOptions = {}) {
  let redis: TestRedis | undefined;
  let fleet: SshFleet | undefined;
  let current: FleetEnv | undefined;
  beforeAll(async () => {
    [redis, fleet] = await Promise.all([startRedis(), startSshFleet(count, options)]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), fleet?.close()]);
  });
  beforeEach(async () => {
    current = await createFleetEnv(redis ?? null, options.sshConfig === false ? {} : { FLEET_SSH_CONFIG: fleet?.sshConfig });
  });
  afterEach(async () => {
    try {
      await current?.cleanup();
    } finally {
      if (fleet) {
        for (const host of fleet.hosts) {
          if (host.process?.exitCode !== null || host.process?.signalCode !== null) await fleet.startHost(host.index);
          else await fleet.thaw(host.index);
        }
      }
    }
  });
  return {
    get env(): FleetEnv {
      if (!current) throw new Error('no fleet environment outside a test');
      return current;
    },
    get fleet(): SshFleet {
      if (!fleet) throw new Error('no ssh fleet outside a test');
      return fleet;
    },
    get redis(): TestRedis {
      if (!redis) throw new Error('no redis-server outside a test');
      return redis;
    },
  };
}
