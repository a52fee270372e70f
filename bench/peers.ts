// The peers fleet-vs-peers measures fleet against, installed from Debian
// when missing.
import { spawnSync } from 'node:child_process';

/** The peers, from Debian, when missing (with sudo unless root). */
export function installPeers(log: (line: string) => void): void {
  const missing = [
    ['parallel-ssh', 'pssh'],
    ['clush', 'clustershell'],
    ['ansible', 'ansible-core'],
  ]
    .filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
    .map(([, pkg]) => pkg as string);
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`installing ${missing.join(' ')}`);
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const result = spawnSync(sudo[0] ?? (args[0] as string), sudo.length ? args : args.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed`);
  }
}
