import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSealingKey, openSealedSecret, type SealedSecret } from '@fleet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startForegroundAgent } from './support/agents.js';
import { until } from './support/poll.js';
import { untilNoProcessesWith } from './support/processes.js';
import { everything } from './support/redis-dump.js';
import { NOPASSWD_TEST_USER, SUDO_TEST_USER, TEST_USER } from './support/ssh-fleet.js';
import { parseAllRecords, untilState, type JobJson } from './support/use-fleet.js';
import { sudoTestPassword } from './support/sudo-password.js';
import { encodings, processTable } from './support/secret-scan.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { tmpGate } from './support/tmp-gate.js';

const ssh = useSshFleet(2);
/** Where sudo logs fleet-test-sudo's attempts, one line each (scripts/bootstrap.sh's sudoers rules). */
const SUDO_LOG = '/var/log/fleet-test-sudo.log';
/** The only user the test users may become (scripts/bootstrap.sh's sudoers rules). */
const TARGET = 'fleet-test-dash';
/** Set once per run (support/sudo-password.ts): no password of this test lives anywhere but in memory and /etc/shadow. */
let PASSWORD = '';

beforeAll(async () => {
  PASSWORD = await sudoTestPassword();
});

async function passwordFile(password: string): Promise<string> {
  const path = join(ssh.env.home, 'sudo-password');
  await writeFile(path, `${password}\n`, { mode: 0o600 });
  return path;
}

/** A synchronous `invoke --json` on both hosts as `user`: its exit code, output lines and end records. */
async function invokeAs(user: string, flags: string[], command: string, password: string | null = null) {
  const hosts = ssh.fleet.entries.map((entry) => `${user}@${entry}`).join(',');
  const env = password === null ? {} : { FLEET_SUDO_PASSWORD_FILE: await passwordFile(password) };
  const result = await ssh.env.fleet(['invoke', '-c', hosts, ...flags, '--json', '--', command], { env });
  const records = parseAllRecords(result.stdout);
  const ends = records.filter((record) => record.stream === 'end').map((record) => record.data as { state: string; reason: string | null });
  const lines = records.filter((record) => record.stream === 'stdout' || record.stream === 'stderr').map((record) => String(record.data));
  return { code: result.code, stderr: result.stderr, stdout: result.stdout, ends, lines };
}

describe('invoke --sudo', () => {
  it('runs the line as the target user with the password, sudo unseen, --env intact', async () => {
    const run = await invokeAs(
      SUDO_TEST_USER,
      ['--sudo', TARGET, '--ask-sudo-pass', '--env', 'GREETING=hello world'],
      'id -un; echo "$GREETING"; echo "$HOME"',
      PASSWORD,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.ends.map((end) => end.state)).toEqual(['Completed', 'Completed']);
    expect(run.lines.sort()).toEqual([TARGET, TARGET, `/home/${TARGET}`, `/home/${TARGET}`, 'hello world', 'hello world'].sort());
    for (const unseen of ['\u001e', 'sudo-prompt', 'password']) expect(run.stdout + run.stderr).not.toContain(unseen);
  });

  it('fails each host with "sudo: incorrect password" on a wrong one, without hanging', async () => {
    const run = await invokeAs(SUDO_TEST_USER, ['--sudo', TARGET, '--ask-sudo-pass'], 'id -un', `${PASSWORD}-wrong`);
    expect(run.code).toBe(1);
    expect(run.ends).toEqual([
      { state: 'Failed', exitCode: 1, reason: 'sudo: incorrect password' },
      { state: 'Failed', exitCode: 1, reason: 'sudo: incorrect password' },
    ]);
    expect(run.stdout).not.toContain('sudo-prompt');
  });

  it('makes a wrong password one failed attempt per host, and hands PAM nothing else', async () => {
    // sudo logs each failure with its count of attempts (scripts/bootstrap.sh's sudoers rules).
    // Were the --env lines after the password read as further guesses, sudo would log
    // `3 incorrect password attempts` (passwd_tries), and a lockout policy would count 3.
    const before = (await readFile(SUDO_LOG, 'utf8').catch(() => '')).length;
    const run = await invokeAs(
      SUDO_TEST_USER,
      ['--sudo', TARGET, '--ask-sudo-pass', '--env', 'FIRST=1', '--env', 'SECOND=2', '--env', 'THIRD=3'],
      'id -un',
      `${PASSWORD}-wrong`,
    );
    expect(run.ends.map((end) => end.reason)).toEqual(['sudo: incorrect password', 'sudo: incorrect password']);
    const logged = (await readFile(SUDO_LOG, 'utf8')).slice(before);
    const failures = logged.split('\n').filter((line) => / incorrect password attempts? ;/.test(line));
    expect(failures.length, logged).toBeGreaterThanOrEqual(2);
    for (const line of failures) expect(line).toContain(`${SUDO_TEST_USER} : 1 incorrect password attempt ;`);
  });

  it('never lets a credential sudo cached for an earlier job stand in for the password', async () => {
    // One agent and its pooled connections for all three. Without a tty sudo keeps its
    // credential per parent process and session; OpenSSH gives each channel a session, so
    // here this guards -k rather than reproduces the leak (Dropbear without setsid would).
    const good = await invokeAs(SUDO_TEST_USER, ['--sudo', TARGET, '--ask-sudo-pass'], 'id -un', PASSWORD);
    expect(good.code, good.stderr).toBe(0);
    const wrong = await invokeAs(SUDO_TEST_USER, ['--sudo', TARGET, '--ask-sudo-pass'], 'id -un', `${PASSWORD}-wrong`);
    expect(wrong.ends.map((end) => end.reason)).toEqual(['sudo: incorrect password', 'sudo: incorrect password']);
    const none = await invokeAs(SUDO_TEST_USER, ['--sudo', TARGET], 'id -un');
    expect(none.ends.map((end) => end.reason)).toEqual([
      'sudo: a password is required: add --ask-sudo-pass',
      'sudo: a password is required: add --ask-sudo-pass',
    ]);
  });

  it('runs NOPASSWD rules without --ask-sudo-pass, and ends as the command did', async () => {
    const run = await invokeAs(NOPASSWD_TEST_USER, ['--sudo', TARGET], 'id -un');
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines).toEqual([TARGET, TARGET]);
    const failed = await invokeAs(NOPASSWD_TEST_USER, ['--sudo', TARGET], 'exit 3');
    expect(failed.ends).toEqual([
      { state: 'Failed', exitCode: 3, reason: 'exit code 3' },
      { state: 'Failed', exitCode: 3, reason: 'exit code 3' },
    ]);
  });

  it('says to add --ask-sudo-pass where sudo wants a password', async () => {
    const run = await invokeAs(SUDO_TEST_USER, ['--sudo', TARGET], 'id -un');
    expect(run.code).toBe(1);
    for (const end of run.ends) expect(end).toMatchObject({ state: 'Failed', reason: 'sudo: a password is required: add --ask-sudo-pass' });
    // fleet-test has no sudo rule at all: sudo asks for a password before it says so, as it does to anyone.
    const none = await invokeAs(TEST_USER, ['--sudo', TARGET], 'id -un');
    for (const end of none.ends) expect(end.reason).toContain('add --ask-sudo-pass');
  });

  it('says when the user may not become the target', async () => {
    const run = await invokeAs(SUDO_TEST_USER, ['--sudo', '--ask-sudo-pass'], 'id -un', PASSWORD);
    expect(run.code).toBe(1);
    for (const end of run.ends) {
      expect(end).toMatchObject({ state: 'Failed', reason: `sudo: ${SUDO_TEST_USER} is not allowed to run commands as root on this host` });
    }
  });

  it('runs on localhost too, through the local sudo, --env on its input', async () => {
    // The tests run as root, whom sudo lets become anyone without a password.
    const result = await ssh.env.fleet([
      'invoke',
      '-c',
      'localhost',
      '--sudo',
      TARGET,
      '--env',
      'WHO=x y',
      '--',
      'id -un; echo "$WHO"; echo "$SHELL"',
    ]);
    expect([result.code, result.stdout], result.stderr).toEqual([0, `localhost: ${TARGET}\nlocalhost: x y\nlocalhost: /bin/dash\n`]);
  });

  it('stops a command run through sudo: sudo passes the SIGTERM on', async () => {
    const host = `${NOPASSWD_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--sudo', TARGET, '--as-job', '--', `${ssh.env.sleep} 60`]);
    await until(async () => (await processTable()).includes(`${ssh.env.marker}-sleep`), { what: 'the command to run' });
    expect((await ssh.env.fleet(['stop', String(parent.id)])).code).toBe(0);
    await untilState(ssh.env, parent.id, ['Stopped']);
    // The clean-up fails the test if a process with the marker (the sleep, as fleet-test-dash) is left.
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command, and the shells around it, to end' });
  });

  it("ends the target user's command when the agent dies: the watcher signals sudo from outside its group", async () => {
    const agent = await startForegroundAgent(ssh.env);
    const host = `${NOPASSWD_TEST_USER}@${ssh.fleet.entries[0] as string}`;
    await ssh.env.json<JobJson>(['invoke', '-c', host, '--sudo', TARGET, '--as-job', '--', `${ssh.env.sleep} 300`]);
    await until(async () => (await processTable()).includes(`${ssh.env.marker}-sleep`), { what: 'the command to run' });
    agent.child.kill('SIGKILL');
    await agent.exited;
    // Nothing of the command may be left: the target's sleep, nor sudo or the shells around it.
    await untilNoProcessesWith(ssh.env.marker, {
      what: "the target user's command, and sudo and the shells around it, to end",
      timeoutMs: 60_000,
    });
  });

  it('refuses bad input before anything runs', async () => {
    const noPassword = await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[0] as string, '--sudo', '--ask-sudo-pass', '--', 'true']);
    expect([noPassword.code, noPassword.stderr]).toEqual([2, expect.stringContaining('FLEET_SUDO_PASSWORD_FILE')]);
    const script = join(ssh.env.home, 'script.sh');
    await writeFile(script, 'id -un\n');
    const withScript = await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[0] as string, '--sudo', '--script', script]);
    expect([withScript.code, withScript.stderr]).toEqual([2, expect.stringContaining('--sudo runs a command line')]);
    const alone = await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[0] as string, '--ask-sudo-pass', '--', 'true']);
    expect([alone.code, alone.stderr]).toEqual([2, expect.stringContaining('--ask-sudo-pass goes with --sudo')]);
  });
});

describe('the sudo password, as an attacker with Redis and the process table sees it', () => {
  it('is nowhere to be read during or after the job; a fake agent gets nothing it can open', async () => {
    const client = ssh.redis.client();
    // Start this user's agent first, so that the fake one below is there when the password is sealed.
    expect((await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[0] as string, '--', 'true'])).code).toBe(0);
    // A Redis writer registers an agent of its own, with a sealing key and a made-up vouch.
    const fake = generateSealingKey();
    const fakeId = 'attacker-1-abcdef';
    const now = new Date().toISOString();
    const fakeInfo = {
      id: fakeId,
      host: 'attacker',
      version: '0.3.0',
      pid: 2 ** 31 - 2, // no such process: the test's clean-up looks for agents' pids
      concurrency: 1,
      serves: null,
      running: 0,
      sealing: { publicKey: fake.publicKey, vouchKeyId: 'SHA256:forged', vouch: randomBytes(64).toString('base64') },
      startedAt: now,
      heartbeatAt: now,
    };
    await client.set(`${ssh.env.prefix}:agent:${fakeId}`, JSON.stringify(fakeInfo), 'PX', 120_000);
    await client.sadd(`${ssh.env.prefix}:agents`, fakeId);

    const hosts = ssh.fleet.entries.map((entry) => `${SUDO_TEST_USER}@${entry}`).join(',');
    // The command runs until the scans below are done (a fixed sleep could end before a loaded machine scans).
    const gate = tmpGate(ssh.env, 'scanned');
    const command = `${gate.wait}; id -un`;
    const made = await ssh.env.fleet(['invoke', '-c', hosts, '--sudo', TARGET, '--ask-sudo-pass', '--as-job', '--json', '--', command], {
      env: { FLEET_SUDO_PASSWORD_FILE: await passwordFile(PASSWORD) },
    });
    const parent = JSON.parse(made.stdout) as JobJson;
    await until(
      async () => (await untilState(ssh.env, parent.id, ['Running'])) && (await processTable()).includes(`${ssh.env.marker}-sleep`),
      {
        what: 'the command to run as the target user',
      },
    );
    const sealedKey = `${ssh.env.prefix}:sealed:${parent.id}`;
    const sealed = await client.hgetall(sealedKey);
    // Sealed to this user's own agent only: the fake one has no valid vouch.
    expect(Object.keys(sealed)).toHaveLength(1);
    expect(Object.keys(sealed)).not.toContain(fakeId);
    const copy = JSON.parse(Object.values(sealed)[0] as string) as SealedSecret;
    expect(openSealedSecret(copy, fake, { deployment: '', prefix: ssh.env.prefix, agentId: fakeId, jobId: parent.id })).toBeNull();

    const during = [await everything(client, `${ssh.env.prefix}*`, { dump: true }), await processTable()].join('\n');
    expect(during).toContain(ssh.env.marker); // the scans do see the job
    for (const form of encodings(PASSWORD)) expect(during).not.toContain(form);

    await gate.open();
    await untilState(ssh.env, parent.id, ['Completed']);
    expect(await client.exists(sealedKey)).toBe(0);
    const log = await readFile(join(ssh.env.home, 'state', 'agent.log'), 'latin1').catch(() => '');
    const after = [await everything(client, `${ssh.env.prefix}*`, { dump: true }), log].join('\n');
    for (const form of encodings(PASSWORD)) expect(after).not.toContain(form);
    await client.multi().del(`${ssh.env.prefix}:agent:${fakeId}`).srem(`${ssh.env.prefix}:agents`, fakeId).exec();
  });
});
