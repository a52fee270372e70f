import { resolveSshConfig, type SshOptions } from '@fleet/core';

/** For unit tests: what ssh_config gives a host when there is no ssh_config at all (neither file exists). */
export async function optionsWithoutConfig(host: string, user: string, homeDir: string): Promise<SshOptions> {
  const { options } = await resolveSshConfig(
    { host, user, port: null },
    { userFile: `${homeDir}/.ssh/config`, named: false, systemFile: '/nonexistent/ssh_config' },
    { read: () => Promise.resolve(null), glob: () => Promise.resolve([]), exec: () => Promise.resolve(false) },
    { localUser: user, uid: 1000, homeDir, localHost: 'localhost', env: {} },
  );
  return options;
}
