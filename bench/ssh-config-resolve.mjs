// Resolving 1,000 distinct hosts through a realistic ssh_config, cold and warm:
//   node bench/ssh-config-resolve.mjs      (after npm run build)
// The config: 300 Host blocks in ~/.ssh/config, five included files (one per
// glob match) with 40 blocks each, Match lines of several kinds (no exec: its
// cost is a process per host, as in ssh), a system file after it.
// Cold: a new resolver (every file read and parsed, every host resolved).
// Warm: the same resolver again (files unchanged: one stat per file read).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConfigResolver } from '@fleet/agent';

const HOSTS = 1000;
const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-ssh-config-'));
const home = join(dir, 'home');
await mkdir(join(home, '.ssh', 'conf.d'), { recursive: true });
const block = (name, i) =>
  `Host ${name}\n  HostName 10.${(i >> 8) & 255}.${i & 255}.1\n  User deploy${i % 7}\n  Port ${2200 + (i % 50)}\n  IdentityFile ~/.ssh/keys/${name}\n`;
let user = 'Include conf.d/*.conf\n';
for (let i = 0; i < 300; i++) user += block(`web${i}`, i);
user += 'Match host 10.1.* !user root\n  ServerAliveInterval 30\nMatch originalhost db* localuser *\n  ProxyJump bastion1,bastion2\n';
user +=
  'Host *.internal !bastion*\n  ProxyJump bastion\nHost *\n  IdentityFile ~/.ssh/id_ed25519\n  ConnectTimeout 10\n  KexAlgorithms -diffie-hellman*\n';
await writeFile(join(home, '.ssh', 'config'), user);
for (let f = 0; f < 5; f++) {
  let text = '';
  for (let i = 0; i < 40; i++) text += block(`db${f * 40 + i}`, 1000 + f * 40 + i);
  text += `Match final host *.${f}.internal\n  HostKeyAlias group-${f}\n`;
  await writeFile(join(home, '.ssh', 'conf.d', `${f}-group.conf`), text);
}
const systemFile = join(dir, 'ssh_config');
await writeFile(systemFile, 'Host *\n  SendEnv LANG LC_*\n  HashKnownHosts yes\n  GSSAPIAuthentication yes\n');

const files = { userFile: join(home, '.ssh', 'config'), named: false, systemFile };
const local = { localUser: 'bench', uid: 1000, homeDir: home, localHost: 'bench.example.org', env: {} };
const hosts = Array.from({ length: HOSTS }, (_, i) => (i < 300 ? `web${i}` : i < 500 ? `db${i - 300}` : `node${i}.${i % 5}.internal`));

/** Wall-clock and CPU milliseconds (CPU is steadier on a shared machine). */
async function timeAll(resolver) {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const host of hosts) await resolver.resolve({ host, user: null, port: null }, files, local);
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000 };
}

const resolver = new SshConfigResolver();
const cold = await timeAll(resolver);
const warm = await timeAll(resolver);
const lines = user.split('\n').length;
console.log(`ssh_config resolution, ${HOSTS} distinct hosts, ${lines} lines in ~/.ssh/config + 5 included files + system file:`);
for (const [name, time] of [
  ['cold', cold],
  ['warm', warm],
]) {
  console.log(
    `  ${name}: ${time.wall.toFixed(0)} ms wall, ${time.cpu.toFixed(0)} ms CPU (${((time.cpu * 1000) / HOSTS).toFixed(0)} µs CPU a host)`,
  );
}
await rm(dir, { recursive: true, force: true });
