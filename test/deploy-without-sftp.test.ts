import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_VERSION, NODE_SEALING_FILE, nodeAgentLayout } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { useBarePath } from './support/bare-path.js';
import { cmp } from './support/cmp.js';
import { TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// Hosts without the SFTP subsystem, as hardened hosts and the demo fleet are. Host 1 has no
// Node.js either: its PATH is a directory of the usual tools, without node, so deploy ships
// this machine's Node (about 100 MB) over the exec channel.
const bareBin = useBarePath('nosftp', [
  ...['sh', 'uname', 'cat', 'sleep', 'setsid', 'mkdir', 'chmod', 'rm', 'rmdir', 'id', 'dirname', 'printf', 'true', 'env'],
  // What push's receiver needs.
  ...['dd', 'wc', 'mktemp', 'mv', 'chown', 'ln', 'touch', 'stat', 'readlink', 'sha256sum', 'tr'],
]);
const ssh = useSshFleet(3, { withoutSftp: true, hostEnv: (index): Record<string, string> => (index === 1 ? { PATH: bareBin } : {}) });

describe('fleet deploy on hosts without SFTP', () => {
  it('sends the files over an exec channel, Node included, and the agents run jobs there', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const deployed = await ssh.env.fleet(['deploy', '-c', `${a},${b}`], { timeoutMs: 120_000 });
    expect(deployed.code, deployed.stderr).toBe(0);
    const version = FLEET_VERSION.replaceAll('.', '\\.');
    expect(deployed.stdout).toMatch(
      new RegExp(
        `^${a.replaceAll('.', '\\.')}: installed ${version} \\(detached process, files over an exec channel: no SFTP there; agent \\S+\\)$`,
        'm',
      ),
    );
    expect(deployed.stdout).toMatch(
      new RegExp(
        `^${b.replaceAll('.', '\\.')}: installed ${version} \\(detached process, this machine's Node sent, files over an exec channel: no SFTP there; agent \\S+\\)$`,
        'm',
      ),
    );

    // What landed: byte for byte what was sent, with deploy's modes, and nothing half written beside it.
    const dir = join(ssh.fleet.hosts[1]?.home as string, nodeAgentLayout(b).dir);
    expect(await cmp(join(dir, 'node'), process.execPath)).toBe('');
    expect((await stat(join(dir, 'node'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'start.sh'))).mode & 0o777).toBe(0o700);
    for (const name of ['fleet-agent.mjs', 'thread-worker.js', 'package.json', 'agent.env', `state/${NODE_SEALING_FILE}`]) {
      expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600);
    }
    expect((await readdir(dir)).filter((name) => name.startsWith('.fleet-push.'))).toEqual([]);

    const parent = await ssh.env.json<JobJson>(['invoke', '-c', `${a},${b}`, '--as-job', '--', 'echo "ran [$SSH_CONNECTION]"']);
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
    const vias = [...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1] ?? '').slice(1);
    expect(vias).toEqual([expect.stringMatching(/^agent /), expect.stringMatching(/^agent /)]);
    // No SSH_CONNECTION: each ran under its node's own agent, not over SSH.
    const output = (await ssh.env.fleet(['receive', String(parent.id)])).stdout;
    expect(output.split('\n').sort()).toEqual(['', `${a}: ran []`, `${b}: ran []`]);

    // Again: the files are already there, and the same version runs.
    const again = await ssh.env.fleet(['deploy', '-c', b], { timeoutMs: 60_000 });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining(`${b}: already at ${FLEET_VERSION}, running`)]);
  });

  it('fails a host whose disk is full naming the file, and leaves nothing under its name', async () => {
    const c = ssh.fleet.entries[2] as string;
    const home = ssh.fleet.hosts[2]?.home as string;
    const dir = join(home, nodeAgentLayout(c).dir);
    await mkdir(dir, { recursive: true });
    execFileSync('chown', ['-R', `${TEST_USER}:`, join(home, '.local')]);
    const uid = execFileSync('id', ['-u', TEST_USER]).toString().trim();
    // 1 MiB: the 2.7 MB bundle cannot fit.
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,mode=0700,uid=${uid}`, 'tmpfs', dir]);
    try {
      const result = await ssh.env.fleet(['deploy', '-c', c], { timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `${c}: could not write the agent's files on the node (over an exec channel): ${dir}/fleet-agent.mjs: disk full`,
      );
      expect((await readdir(dir)).sort()).toEqual(['state', 'trusted-keys']);
      expect(await readdir(join(dir, 'state'))).toEqual([]);
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
