import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateSealingKey,
  NODE_SEALING_FILE,
  nodeAgentLayout,
  openSealedSecret,
  parseNodeSealingFile,
  type SealedSecret,
} from '@fleet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { processLinesWith } from './support/processes.js';
import { userDeployment } from './support/signing.js';
import { SUDO_TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// `--sudo --ask-sudo-pass` children routed to a node's own agent: fleet deploy gives that agent a
// sealing key and vouches for it, so the password reaches it sealed, as it reaches this user's agents.
const ssh = useSshFleet(1);
/** The only user the test users may become (scripts/bootstrap.sh's sudoers rules). */
const TARGET = 'fleet-test-dash';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  const child = execFile('chpasswd');
  child.stdin?.end(`${SUDO_TEST_USER}:${PASSWORD}\n`);
  expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
  // The node agent runs as the sudo test user, in the host's home directory.
  execFileSync('chown', ['-R', `${SUDO_TEST_USER}:`, ssh.fleet.hosts[0]?.home as string]);
});

interface AgentJson {
  id: string;
  serves: string | null;
  sealing?: { publicKey: string; vouchKeyId: string; vouch: string };
}

async function deployedAgent(entry: string): Promise<AgentJson> {
  const deployed = await ssh.env.fleet(['deploy', '-c', entry], { timeoutMs: 90_000 });
  expect(deployed.code, deployed.stderr).toBe(0);
  const agent = (await ssh.env.json<AgentJson[]>(['agents'])).find((each) => each.serves === entry);
  expect(agent?.sealing).toBeDefined();
  return agent as AgentJson;
}

/** Starts `command` with sudo on `entry` as a job, the password from a file; returns the parent job. */
async function sudoJob(entry: string, command: string): Promise<JobJson> {
  const passwordFile = join(ssh.env.home, 'sudo-password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const made = await ssh.env.fleet(['invoke', '-c', entry, '--sudo', TARGET, '--ask-sudo-pass', '--as-job', '--json', '--', command], {
    env: { FLEET_SUDO_PASSWORD_FILE: passwordFile },
  });
  expect(made.code, made.stderr).toBe(0);
  return JSON.parse(made.stdout) as JobJson;
}

describe('invoke --sudo --ask-sudo-pass on a node with a deployed agent', () => {
  it("reaches the node's own agent, which opens the password with the key deploy sent", async () => {
    const entry = `${SUDO_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    const agent = await deployedAgent(entry);
    const keyFile = join(ssh.fleet.hosts[0]?.home as string, nodeAgentLayout(entry).dir, 'state', NODE_SEALING_FILE);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const parent = await sudoJob(entry, 'id -un');
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
    expect([...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1]).slice(1)).toEqual([`agent ${agent.id}`]);
    expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${entry}: ${TARGET}\n`);
    await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
  });

  it("gives a fake agent with a node agent's copied vouch nothing it can open, and one with its own key nothing", async () => {
    const entry = `${SUDO_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    const agent = await deployedAgent(entry);
    const client = ssh.redis.client();
    const attacker = generateSealingKey();
    const now = new Date().toISOString();
    const fake = (id: string, sealing: AgentJson['sealing']) => ({
      id,
      host: 'attacker',
      version: '0.3.0',
      pid: 2 ** 31 - 2, // no such process: the test's clean-up looks for agents' pids
      concurrency: 1,
      serves: entry,
      running: 0,
      sealing,
      startedAt: now,
      heartbeatAt: now,
    });
    // A Redis writer copies the node agent's published key and vouch onto an agent of its own, and
    // puts its own key beside the same vouch on another.
    const copied = fake('attacker-copied-1', agent.sealing);
    const own = fake('attacker-own-1', { ...(agent.sealing as NonNullable<AgentJson['sealing']>), publicKey: attacker.publicKey });
    for (const info of [copied, own]) {
      await client.set(`${ssh.env.prefix}:agent:${info.id}`, JSON.stringify(info), 'PX', 120_000);
      await client.sadd(`${ssh.env.prefix}:agents`, info.id);
    }
    try {
      const parent = await sudoJob(entry, `${ssh.env.sleep} 3; id -un`);
      await until(async () => (await processLinesWith(`${ssh.env.marker}-sleep`)).length > 0, { what: 'the command to run' });
      const sealed = await client.hgetall(`${ssh.env.prefix}:sealed:${parent.id}`);
      // Its own key has no vouch: nothing sealed to it.
      expect(Object.keys(sealed)).not.toContain(own.id);
      // The copy made for the copied vouch is sealed to the node agent's key, which never left the node
      // but for deploy's SSH channel: the attacker's key does not open it; the node agent's (read here as root) does.
      const copy = JSON.parse(sealed[copied.id] as string) as SealedSecret;
      const scope = { deployment: await userDeployment(ssh.env), prefix: ssh.env.prefix, agentId: copied.id, jobId: parent.id };
      expect(openSealedSecret(copy, attacker, scope)).toBeNull();
      const keyFile = join(ssh.fleet.hosts[0]?.home as string, nodeAgentLayout(entry).dir, 'state', NODE_SEALING_FILE);
      const nodeKey = parseNodeSealingFile(await readFile(keyFile, 'utf8')).key;
      expect(openSealedSecret(copy, nodeKey, scope)?.toString()).toBe(PASSWORD);
      // The real node agent still runs the child.
      await untilState(ssh.env, parent.id, ['Completed'], 60_000);
      expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${entry}: ${TARGET}\n`);
    } finally {
      for (const info of [copied, own]) {
        await client.multi().del(`${ssh.env.prefix}:agent:${info.id}`).srem(`${ssh.env.prefix}:agents`, info.id).exec();
      }
    }
    await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
  });
});
