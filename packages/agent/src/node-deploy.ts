import {
  RemoteStepError,
  NODE_AGENT_DIR,
  NODE_PROBE_SCRIPT,
  parseNodeProbe,
  planDeploy,
  quoteShellWord,
  type ControllerInfo,
  type HostEntry,
} from '@fleet/core';
import type { SFTPWrapper } from 'ssh2';
import type { SshLease } from './ssh/ssh-lease.js';
import type { SshPool } from './ssh/ssh-pool.js';
import { resolveSshTarget } from './ssh/ssh-target.js';

export interface DeployAgentOptions {
  pool: SshPool;
  entry: HostEntry;
  /** The single-file agent (dist/fleet-agent.mjs) to upload. */
  bundlePath: string;
  /** The node agent's settings (FLEET_REDIS_URL or FLEET_REDIS_CLUSTER, FLEET_PREFIX), kept in a file only its user reads. */
  agentEnv: Record<string, string>;
  /** Write the settings and restart the agent even when the same version runs (its credentials change). */
  reconfigure: boolean;
  /** The deploying user's public key line: the node's agent runs the jobs it signs. */
  trustedKey: string;
  concurrency: number;
  /** Send this machine's Node even when the node has its own. */
  shipNode: boolean;
  controller: ControllerInfo;
  connectTimeoutMs: number | null;
}

export type DeployOutcome =
  | { status: 'current'; version: string }
  | { status: 'installed' | 'upgraded'; from: string | null; version: string; supervisor: 'systemd' | 'process'; shippedNode: boolean };

/**
 * Installs (or upgrades) the agent on one node and starts it so that it
 * outlives the SSH session: a systemd user unit where the node has systemd,
 * else a detached process (its own session, a pid file). The agent serves the
 * host entry it was deployed for, with the settings in `agentEnv` (kept in a
 * file only the login user can read: it may hold a Redis password).
 */
export async function deployAgent(options: DeployAgentOptions): Promise<DeployOutcome> {
  const lease = await options.pool.acquire(await resolveSshTarget(options.entry, options.connectTimeoutMs));
  try {
    const probe = parseNodeProbe((await runRemote(lease, NODE_PROBE_SCRIPT)).stdout);
    const dir = `${probe.home}/${NODE_AGENT_DIR}`;
    // Also when the agent is current: a running agent reads the file again on meeting a key it does not know.
    const trustFile = `${dir}/trusted-keys`;
    // Shell built-ins only: a bare node may have no grep.
    await runChecked(
      lease,
      [
        `mkdir -p ${quoteShellWord(dir)} && chmod 700 ${quoteShellWord(dir)} || exit 1`,
        `f=${quoteShellWord(trustFile)}; k=${quoteShellWord(options.trustedKey)}; found=0`,
        'if [ -f "$f" ]; then while IFS= read -r line; do [ "$line" = "$k" ] && found=1; done < "$f"; fi',
        `[ "$found" = 1 ] || printf '%s\\n' "$k" >> "$f"`,
        'chmod 600 "$f"',
      ].join('\n'),
    );
    const plan = planDeploy(probe, options.controller, { shipNode: options.shipNode, reconfigure: options.reconfigure });
    if (plan.action === 'none') return { status: 'current', version: plan.version };

    await stopAgent(lease, dir);
    const sftp = await openSftp(lease);
    try {
      await upload(sftp, options.bundlePath, `${dir}/fleet-agent.mjs`, 0o600);
      if (plan.shipNode) await upload(sftp, process.execPath, `${dir}/node`, 0o700);
      const env = Object.entries({ ...options.agentEnv, FLEET_TRUSTED_KEYS: trustFile })
        .map(([key, value]) => `${key}=${quoteShellWord(value)}\n`)
        .join('');
      await writeRemote(sftp, `${dir}/agent.env`, env, 0o600);
      const node = plan.shipNode ? `${dir}/node` : (probe.nodePath as string);
      const start = [
        '#!/bin/sh',
        '# Written by fleet deploy: starts the agent that serves this node.',
        'cd "$(dirname "$0")" || exit 1',
        '# Started from an SSH session: none of its variables belong to the agent.',
        'unset SSH_CONNECTION SSH_CLIENT SSH_TTY SSH_AUTH_SOCK',
        'set -a; . ./agent.env; set +a',
        `exec ${quoteShellWord(node)} ./fleet-agent.mjs agent --serve ${quoteShellWord(options.entry.raw)} --concurrency ${options.concurrency}`,
        '',
      ].join('\n');
      await writeRemote(sftp, `${dir}/start.sh`, start, 0o700);
    } finally {
      sftp.end();
    }
    const unit = systemdUnit(options.entry.raw);
    const startCommand = plan.systemd
      ? `mkdir -p ~/.config/systemd/user && printf %s ${quoteShellWord(unit)} > ~/.config/systemd/user/fleet-agent.service && systemctl --user daemon-reload && systemctl --user enable --now fleet-agent.service && (loginctl enable-linger "$(id -un)" 2>/dev/null || true)`
      : // setsid: its own session, so the agent outlives this SSH session and the user's logout.
        `cd ${quoteShellWord(dir)} && setsid ./start.sh >> agent.log 2>&1 < /dev/null & echo $! > ${quoteShellWord(`${dir}/agent.pid`)}`;
    await runChecked(lease, startCommand);
    await runChecked(lease, `printf %s ${quoteShellWord(options.controller.version)} > ${quoteShellWord(`${dir}/version`)}`);
    return {
      status: plan.action === 'install' ? 'installed' : 'upgraded',
      from: plan.from,
      version: options.controller.version,
      supervisor: plan.systemd ? 'systemd' : 'process',
      shippedNode: plan.shipNode,
    };
  } finally {
    lease.release();
  }
}

/** Stops the node's agent and removes everything deploy put there. Returns whether anything was there. */
export async function undeployAgent(pool: SshPool, entry: HostEntry, connectTimeoutMs: number | null): Promise<boolean> {
  const lease = await pool.acquire(await resolveSshTarget(entry, connectTimeoutMs));
  try {
    const probe = parseNodeProbe((await runRemote(lease, NODE_PROBE_SCRIPT)).stdout);
    const dir = `${probe.home}/${NODE_AGENT_DIR}`;
    const unit = '~/.config/systemd/user/fleet-agent.service';
    const present = (await runRemote(lease, `[ -e ${quoteShellWord(dir)} ] || [ -e ${unit} ]`)).code === 0;
    await stopAgent(lease, dir);
    await runChecked(
      lease,
      `if [ -e ${unit} ]; then systemctl --user disable --now fleet-agent.service 2>/dev/null; rm -f ${unit}; systemctl --user daemon-reload 2>/dev/null; fi; rm -rf ${quoteShellWord(dir)}; rmdir ~/.local/share ~/.local ~/.config/systemd/user ~/.config/systemd ~/.config 2>/dev/null; true`,
    );
    return present;
  } finally {
    lease.release();
  }
}

function systemdUnit(entry: string): string {
  return [
    '[Unit]',
    `Description=fleet agent serving ${entry}`,
    '',
    '[Service]',
    `ExecStart=%h/${NODE_AGENT_DIR}/start.sh`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** Stops a running agent (systemd unit or pid file) and waits up to 15 s for it to go. */
async function stopAgent(lease: SshLease, dir: string): Promise<void> {
  const pidFile = quoteShellWord(`${dir}/agent.pid`);
  await runRemote(
    lease,
    [
      'systemctl --user stop fleet-agent.service 2>/dev/null',
      `if [ -f ${pidFile} ]; then p=$(cat ${pidFile}); kill "$p" 2>/dev/null; i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; kill -9 "$p" 2>/dev/null; rm -f ${pidFile}; fi`,
      'true',
    ].join('\n'),
  );
}

interface RemoteResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runRemote(lease: SshLease, command: string): Promise<RemoteResult> {
  return lease.exec(`exec /bin/sh -c ${quoteShellWord(command)}`, (channel) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    channel.on('exit', (exitCode: number | null) => (code = exitCode));
    const closed = new Promise<RemoteResult>((resolve) => channel.on('close', () => resolve({ code, stdout, stderr })));
    channel.end();
    return closed;
  });
}

async function runChecked(lease: SshLease, command: string): Promise<string> {
  const result = await runRemote(lease, command);
  if (result.code !== 0) {
    throw new RemoteStepError(command, result.code, result.stderr.trim() || result.stdout.trim());
  }
  return result.stdout;
}

function openSftp(lease: SshLease): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => lease.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))));
}

function upload(sftp: SFTPWrapper, local: string, remote: string, mode: number): Promise<void> {
  // Written beside, then renamed: a running agent's file is never half-replaced.
  const partial = `${remote}.partial`;
  return new Promise<void>((resolve, reject) => sftp.fastPut(local, partial, { mode }, (error) => (error ? reject(error) : resolve())))
    .then(() => new Promise<void>((resolve, reject) => sftp.rename(partial, remote, (error) => (error ? reject(error) : resolve()))))
    .catch(async (error: Error) => {
      // The rename fails if the target exists on some servers: remove it and try once more.
      await new Promise<void>((resolve) => sftp.unlink(remote, () => resolve()));
      await new Promise<void>((resolve, reject) => sftp.rename(partial, remote, (again) => (again ? reject(error) : resolve())));
    });
}

function writeRemote(sftp: SFTPWrapper, remote: string, content: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => sftp.writeFile(remote, content, { mode }, (error) => (error ? reject(error) : resolve())));
}
