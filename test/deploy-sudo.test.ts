import { execFileSync } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FLEET_VERSION,
  generateSealingKey,
  NODE_SEALING_FILE,
  nodeAgentLayout,
  openSealedSecret,
  parseNodeSealingFile,
  type SealedSecret,
} from '@fleet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { everything } from './support/redis-dump.js';
import { processLinesWith, untilNoProcessesWith } from './support/processes.js';
import { userDeployment } from './support/signing.js';
import { SUDO_TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { sudoTestPassword } from './support/sudo-password.js';
import { encodings, processTable } from './support/secret-scan.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { tmpGate } from './support/tmp-gate.js';

// `--sudo --ask-sudo-pass` children routed to a node's own agent: fleet deploy gives that agent a
// sealing key and vouches for it, so the password reaches it sealed, as it reaches this user's agents.
const ssh = useSshFleet(2);
/** The only user the test users may become (scripts/bootstrap.sh's sudoers rules). */
const TARGET = 'fleet-test-dash';
/** Set once per run (support/sudo-password.ts), shared with the other files that use the sudo test user. */
let PASSWORD = '';

beforeAll(async () => {
  PASSWORD = await sudoTestPassword();
  // The node agents run as the sudo test user, in the hosts' home directories.
  for (const host of ssh.fleet.hosts) execFileSync('chown', ['-R', `${SUDO_TEST_USER}:`, host.home]);
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

/** Registers an agent entry in Redis as a Redis writer would: serving `entry`, publishing `sealing`. Returns its removal. */
async function fakeAgent(id: string, entry: string, sealing: AgentJson['sealing']): Promise<() => Promise<void>> {
  const client = ssh.redis.client();
  const now = new Date().toISOString();
  const info = {
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
  };
  await client.set(`${ssh.env.prefix}:agent:${id}`, JSON.stringify(info), 'PX', 120_000);
  await client.sadd(`${ssh.env.prefix}:agents`, id);
  return async () => {
    await client.multi().del(`${ssh.env.prefix}:agent:${id}`).srem(`${ssh.env.prefix}:agents`, id).exec();
  };
}

/** The agents a job's password was sealed to, read from Redis while it runs. */
async function sealedTo(jobId: number): Promise<string[]> {
  return Object.keys(await ssh.redis.client().hgetall(`${ssh.env.prefix}:sealed:${jobId}`));
}

/** Stops a job and waits until nothing of its command is left running. */
async function stopped(jobId: number): Promise<void> {
  expect((await ssh.env.fleet(['stop', String(jobId)])).code).toBe(0);
  await untilNoProcessesWith(`${ssh.env.marker}-sleep`, {
    what: 'the stopped command to end',
    timeoutMs: 60_000,
  });
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

    const gate = tmpGate(ssh.env, 'scanned');
    const parent = await sudoJob(entry, `${gate.wait}; id -un`);
    await until(async () => (await processLinesWith(`${ssh.env.marker}-sleep`)).length > 0, { what: 'the command to run' });
    // What an attacker with Redis, the node agent's log and the process table reads while the child runs:
    // neither the password nor the node agent's private key, in any encoding.
    const privateKey = parseNodeSealingFile(await readFile(keyFile, 'utf8')).key.privateKey;
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    const agentLog = join(ssh.fleet.hosts[0]?.home as string, nodeAgentLayout(entry).dir, 'agent.log');
    const scanned = [
      await everything(ssh.redis.client(), `${ssh.env.prefix}*`, { dump: true }),
      await readFile(agentLog, 'latin1').catch(() => ''),
      await processTable(),
    ].join('\n');
    expect(scanned).toContain(ssh.env.marker); // the scans do see the job
    for (const form of [...encodings(PASSWORD), ...encodings(der), ...encodings(scalar)]) expect(scanned).not.toContain(form);
    await gate.open();
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
    expect([...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1]).slice(1)).toEqual([`agent ${agent.id}`]);
    expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${entry}: ${TARGET}\n`);
    await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
  });

  it("seals a job's password to the node agents of its own hosts, none to another node's", async () => {
    const [onA, onB] = ssh.fleet.entries.map((host) => `${SUDO_TEST_USER}@${host}`) as [string, string];
    const agentA = await deployedAgent(onA);
    const agentB = await deployedAgent(onB);
    const gate = tmpGate(ssh.env, 'scanned');
    const parent = await sudoJob(onA, `${gate.wait}; id -un`);
    await until(async () => (await processLinesWith(`${ssh.env.marker}-sleep`)).length > 0, { what: 'the command to run' });
    // Host B's key file (its login user, its backups) must open no password of a job that never runs there.
    const sealedFor = await sealedTo(parent.id);
    expect(sealedFor).toContain(agentA.id);
    expect(sealedFor).not.toContain(agentB.id);
    await gate.open();
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${onA}: ${TARGET}\n`);
    for (const entry of [onA, onB]) await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
  });

  it("gives a fake agent with a node agent's copied vouch nothing it can open, and one with its own key nothing", async () => {
    const entry = `${SUDO_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    const agent = await deployedAgent(entry);
    const client = ssh.redis.client();
    const attacker = generateSealingKey();
    // A Redis writer copies the node agent's published key and vouch onto an agent of its own, and
    // puts its own key beside the same vouch on another.
    const copied = { id: 'attacker-copied-1' };
    const own = { id: 'attacker-own-1' };
    const removals = [
      await fakeAgent(copied.id, entry, agent.sealing),
      await fakeAgent(own.id, entry, { ...(agent.sealing as NonNullable<AgentJson['sealing']>), publicKey: attacker.publicKey }),
    ];
    try {
      const gate = tmpGate(ssh.env, 'scanned');
      const parent = await sudoJob(entry, `${gate.wait}; id -un`);
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
      await gate.open();
      await untilState(ssh.env, parent.id, ['Completed'], 60_000);
      expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${entry}: ${TARGET}\n`);
    } finally {
      for (const remove of removals) await remove();
    }
    await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
  });

  it("gives a deleted key file back on the next deploy, and an old key's vouch, after the redeploy or an undeploy, nothing", async () => {
    const entry = `${SUDO_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    const keyFile = join(ssh.fleet.hosts[0]?.home as string, nodeAgentLayout(entry).dir, 'state', NODE_SEALING_FILE);
    const first = await deployedAgent(entry);
    await rm(keyFile);
    // The same version runs, without its key: deploy installs it again with a new one.
    const again = await ssh.env.fleet(['deploy', '-c', entry], { timeoutMs: 90_000 });
    expect([again.code, again.stdout], again.stderr).toEqual([
      0,
      expect.stringContaining(`restarted ${FLEET_VERSION} with a new sealing key`),
    ]);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = await until(
      async () =>
        (await ssh.env.json<AgentJson[]>(['agents'])).find((each) => each.serves === entry && each.id !== first.id && each.sealing),
      { what: 'the re-keyed agent to report in' },
    );
    expect(second.sealing?.publicKey).not.toBe(first.sealing?.publicKey);
    // The re-keyed agent runs a sudo child.
    const ran = await sudoJob(entry, 'id -un');
    await untilState(ssh.env, ran.id, ['Completed'], 60_000);
    expect((await ssh.env.fleet(['receive', String(ran.id)])).stdout).toBe(`${entry}: ${TARGET}\n`);
    // Someone who copied the old key file registers an agent with its key and vouch: still vouched by
    // this user's key, but not the key deploy last sent there. (The copies are made at launch, and kept
    // while the job runs: its command waits until stopped.)
    const longJob = `${ssh.env.sleep} 300`;
    let remove = await fakeAgent('attacker-old-key-1', entry, first.sealing);
    try {
      const parent = await sudoJob(entry, longJob);
      const sealed = await sealedTo(parent.id);
      expect(sealed).toContain(second.id);
      expect(sealed).not.toContain('attacker-old-key-1');
      await stopped(parent.id);
    } finally {
      await remove();
    }
    await expect(ssh.env.fleet(['undeploy', '-c', entry])).resolves.toMatchObject({ code: 0 });
    // Undeployed: a copy of the last key and its vouch gets nothing either.
    remove = await fakeAgent('attacker-undeployed-1', entry, second.sealing);
    try {
      const parent = await sudoJob(entry, longJob);
      const sealed = await sealedTo(parent.id);
      expect(sealed.length).toBeGreaterThan(0); // this user's own agent, on this side
      expect(sealed).not.toContain('attacker-undeployed-1');
      await stopped(parent.id);
    } finally {
      await remove();
    }
  });
});
