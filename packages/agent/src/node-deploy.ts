import { readFile } from 'node:fs/promises';
import {
  RemoteStepError,
  NODE_AGENTS_ROOT,
  NODE_SEALING_FILE,
  nodeAgentLayout,
  nodeProbeScript,
  parseNodeProbe,
  planDeploy,
  quoteShellWord,
  type ControllerInfo,
  type HostEntry,
} from '@fleet/core';
import { channelOutput, type ChannelOutput } from './channel-output.js';
import type { HashCache } from './exec-upload.js';
import { putNodeFiles, type NodeFile } from './node-file.js';
import type { SshLease } from './ssh/ssh-lease.js';
import type { SshPool } from './ssh/ssh-pool.js';
import { resolveSshTarget } from './ssh/ssh-target.js';

export interface DeployAgentOptions {
  pool: SshPool;
  entry: HostEntry;
  /** The single-file agent (dist/fleet-agent.mjs) to upload. */
  bundlePath: string;
  /** The agent's thread worker (dist/thread-worker.js), uploaded beside the bundle, where its agent looks for it. */
  threadWorkerPath: string;
  /** The CA bundle (PEM file) the node's agent checks a `rediss://` server against: its content is sent, or null for none. */
  redisCaPath: string | null;
  /** The node agent's settings (FLEET_REDIS_URL or FLEET_REDIS_CLUSTER, FLEET_PREFIX), kept in a file only its user reads. */
  agentEnv: Record<string, string>;
  /** Write the settings and restart the agent even when the same version runs (its credentials change). */
  reconfigure: boolean;
  /** The deploying user's public key line: the node's agent runs the jobs it signs. */
  trustedKey: string;
  /**
   * The node agent's sealing key and the deploying user's vouch for it
   * (nodeSealingFile), written into its state directory, mode 0600: the
   * `--ask-sudo-pass` password is then sealed to it too.
   */
  sealingFile: string;
  /**
   * The public key deploy last sent to this entry's agent from this machine, or null: a
   * current agent with another key or none (deployed by an earlier fleet, its file
   * deleted, a replaced record) is installed again with `sealingFile`.
   */
  recordedSealingKey: string | null;
  /** The id of the deploying user's signing key: a current agent's key vouched for by another is replaced too. */
  signingKeyId: string;
  concurrency: number;
  /**
   * How long the node's agent lets its jobs finish when it drains (FLEET_DRAIN_GRACE, written
   * into its settings); its systemd unit waits that long, and more, before SIGKILL.
   */
  drainGraceMs: number;
  /**
   * Under systemd, called once the new files and unit are in place and before the unit is restarted:
   * drains the agent the unit runs (one unit runs one agent) and waits for it to exit.
   */
  beforeSystemdRestart: () => Promise<void>;
  /** Send this machine's Node even when the node has its own. */
  shipNode: boolean;
  controller: ControllerInfo;
  connectTimeoutMs: number | null;
  /** Local files hashed for an exec upload, shared by the nodes of one deploy run. @defaultValue one of its own */
  hashed?: HashCache;
}

export type DeployOutcome =
  | { status: 'current'; version: string }
  | {
      status: 'installed' | 'upgraded';
      from: string | null;
      version: string;
      supervisor: 'systemd' | 'process';
      shippedNode: boolean;
      /** The same version ran, and was installed again for its new sealing key (see recordedSealingKey). */
      rekeyed: boolean;
      /** How the files went: SFTP, or an exec channel where the host has no SFTP subsystem. */
      transport: 'sftp' | 'exec';
      /**
       * The pid of the detached agent the new one replaces, still running: the
       * caller tells it to drain ({@link drainReplacedAgent}) once the new one
       * reports in. Null under systemd (its restart drains the old agent first) or when none ran.
       */
      replacedPid: number | null;
    };

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
    const layout = nodeAgentLayout(options.entry.raw);
    const probe = parseNodeProbe((await runRemote(lease, nodeProbeScript(layout))).stdout);
    const dir = `${probe.home}/${layout.dir}`;
    // Also when the agent is current: a running agent reads the file again on meeting a key it does not know.
    const trustFile = `${dir}/trusted-keys`;
    // Shell built-ins only: a bare node may have no grep.
    await runChecked(
      lease,
      [
        `mkdir -p ${quoteShellWord(`${dir}/state`)} && chmod 700 ${quoteShellWord(`${probe.home}/${NODE_AGENTS_ROOT}`)} ${quoteShellWord(dir)} ${quoteShellWord(`${dir}/state`)} || exit 1`,
        `f=${quoteShellWord(trustFile)}; k=${quoteShellWord(options.trustedKey)}; found=0`,
        'if [ -f "$f" ]; then while IFS= read -r line; do [ "$line" = "$k" ] && found=1; done < "$f"; fi',
        `[ "$found" = 1 ] || printf '%s\\n' "$k" >> "$f"`,
        'chmod 600 "$f"',
      ].join('\n'),
    );
    const plan = planDeploy(probe, options.controller, {
      shipNode: options.shipNode,
      reconfigure: options.reconfigure,
      recordedSealingKey: options.recordedSealingKey,
      signingKeyId: options.signingKeyId,
    });
    if (plan.action === 'none') return { status: 'current', version: plan.version };

    // The running agent is not stopped first: uploads are renamed into place, so it keeps the files it loaded
    // and runs its jobs to their end while the new one starts (see drainReplacedAgent).
    const node = plan.shipNode ? `${dir}/node` : (probe.nodePath as string);
    // The CA's content, not this machine's path: the node has no such file.
    const caFile = `${dir}/redis-ca.pem`;
    const settings = {
      ...options.agentEnv,
      ...(options.redisCaPath === null ? {} : { FLEET_REDIS_CA: caFile }),
      FLEET_TRUSTED_KEYS: trustFile,
      // ran/ and deployments/ of this entry's agent alone, not the home directory's shared ~/.local/state/fleet.
      FLEET_STATE_DIR: `${dir}/state`,
      FLEET_DRAIN_GRACE: `${Math.ceil(options.drainGraceMs / 1000)}s`,
    };
    const env = Object.entries(settings)
      .map(([key, value]) => `${key}=${quoteShellWord(value)}\n`)
      .join('');
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
    const files: NodeFile[] = [
      { name: 'fleet-agent.mjs', mode: 0o600, source: { path: options.bundlePath } },
      { name: 'thread-worker.js', mode: 0o600, source: { path: options.threadWorkerPath } },
      // The worker is an ES module named .js: this says so to the node's Node, as the CLI's own package.json does.
      { name: 'package.json', mode: 0o600, source: { content: '{ "type": "module" }\n' } },
      ...(plan.shipNode ? [{ name: 'node', mode: 0o700, source: { path: process.execPath } }] : []),
      ...(options.redisCaPath === null
        ? []
        : [{ name: 'redis-ca.pem', mode: 0o600, source: { content: await readFile(options.redisCaPath) } }]),
      { name: 'agent.env', mode: 0o600, source: { content: env } },
      // Where the agent's state is (FLEET_STATE_DIR above), which only its user may enter.
      { name: `state/${NODE_SEALING_FILE}`, mode: 0o600, source: { content: options.sealingFile } },
      { name: 'start.sh', mode: 0o700, source: { content: start } },
    ];
    const transport = await putNodeFiles(lease, dir, files, options.hashed);
    const unitFile = `~/.config/systemd/user/${layout.unit}`;
    const pidFile = quoteShellWord(`${dir}/agent.pid`);
    const unit = systemdUnit(options.entry.raw, layout.dir, probe.hostname, options.drainGraceMs);
    // systemd: one unit runs one agent, so the old agent is drained first (beforeSystemdRestart), then
    // the unit restarted; --no-block, as a restart's SIGTERM drains whatever the unit still runs.
    // Else the new agent starts beside the old one, whose pid is kept in draining.pids until undeploy.
    if (plan.systemd) {
      await runChecked(
        lease,
        `mkdir -p ~/.config/systemd/user && printf %s ${quoteShellWord(unit)} > ${unitFile} && systemctl --user daemon-reload && systemctl --user enable ${layout.unit} && (loginctl enable-linger "$(id -un)" 2>/dev/null || true)`,
      );
    }
    if (plan.systemd) await options.beforeSystemdRestart();
    // Restart=always may have started the new agent already when the old one exited: a restart of an
    // idle agent costs a second, and one that took a job meanwhile drains it.
    const startCommand = plan.systemd
      ? `systemctl --user restart --no-block ${layout.unit}`
      : [
          `cd ${quoteShellWord(dir)} || exit 1`,
          IS_AGENT_SH,
          `old=$(cat ${pidFile} 2>/dev/null)`,
          // setsid: its own session, so the agent outlives this SSH session and the user's logout.
          `setsid ./start.sh >> agent.log 2>&1 < /dev/null & echo $! > ${pidFile}`,
          // draining.pids keeps the agents still draining (older ones have exited), and this one.
          'keep=; for p in $(cat draining.pids 2>/dev/null); do agent "$p" && keep="$keep $p"; done',
          'if [ -n "$old" ] && agent "$old"; then keep="$keep $old"; echo "replaced=$old"; fi',
          'if [ -n "$keep" ]; then printf "%s\\n" $keep > draining.pids; else rm -f draining.pids; fi',
        ].join('\n');
    const started = await runChecked(lease, startCommand);
    const replaced = /^replaced=(\d+)$/m.exec(started)?.[1];
    await runChecked(lease, `printf %s ${quoteShellWord(options.controller.version)} > ${quoteShellWord(`${dir}/version`)}`);
    return {
      status: plan.action === 'install' ? 'installed' : 'upgraded',
      from: plan.from,
      version: options.controller.version,
      supervisor: plan.systemd ? 'systemd' : 'process',
      shippedNode: plan.shipNode,
      rekeyed: plan.rekey,
      transport,
      replacedPid: replaced === undefined ? null : Number(replaced),
    };
  } finally {
    lease.release();
  }
}

/**
 * Tells the agent a deploy replaced to drain (SIGTERM): it takes no new work,
 * finishes its jobs within its drain grace, and exits by itself; nothing waits
 * for it. Returns whether it was still running.
 */
export async function drainReplacedAgent(pool: SshPool, entry: HostEntry, pid: number, connectTimeoutMs: number | null): Promise<boolean> {
  const lease = await pool.acquire(await resolveSshTarget(entry, connectTimeoutMs));
  try {
    return (await runRemote(lease, `${IS_AGENT_SH}\nagent ${pid} && kill -TERM ${pid} 2>/dev/null`)).code === 0;
  } finally {
    lease.release();
  }
}

/**
 * Stops the entry's agent and removes everything deploy put there for it;
 * other entries' agents in the same home run on. Returns whether anything
 * was there.
 */
export async function undeployAgent(pool: SshPool, entry: HostEntry, connectTimeoutMs: number | null): Promise<boolean> {
  const lease = await pool.acquire(await resolveSshTarget(entry, connectTimeoutMs));
  try {
    const layout = nodeAgentLayout(entry.raw);
    const probe = parseNodeProbe((await runRemote(lease, nodeProbeScript(layout))).stdout);
    const dir = `${probe.home}/${layout.dir}`;
    const unit = `~/.config/systemd/user/${layout.unit}`;
    const present = (await runRemote(lease, `[ -e ${quoteShellWord(dir)} ] || [ -e ${unit} ]`)).code === 0;
    await stopAgent(lease, dir, layout.unit);
    // rmdir removes only the directories left empty: another entry's agent keeps its own.
    await runChecked(
      lease,
      `if [ -e ${unit} ]; then systemctl --user disable --now ${layout.unit} 2>/dev/null; rm -f ${unit}; systemctl --user daemon-reload 2>/dev/null; fi; rm -rf ${quoteShellWord(dir)}; rmdir ~/${NODE_AGENTS_ROOT} ~/.local/share/fleet ~/.local/share ~/.local ~/.config/systemd/user ~/.config/systemd ~/.config 2>/dev/null; true`,
    );
    return present;
  } finally {
    lease.release();
  }
}

/**
 * The entry's systemd user unit. Bound to the node's hostname: where the home
 * directory is shared, every node's systemd sees the unit enabled, and only
 * the node it was deployed on may start it.
 */
function systemdUnit(entry: string, dir: string, hostname: string, drainGraceMs: number): string {
  // `%` starts a specifier in a unit file; the directory name may hold one (hostFileName's escapes).
  const escape = (text: string) => text.replaceAll('%', '%%');
  return [
    '[Unit]',
    `Description=fleet agent serving ${escape(entry)}`,
    ...(hostname === '' ? [] : [`ConditionHost=${hostname}`]),
    '',
    '[Service]',
    `ExecStart=%h/${escape(dir)}/start.sh`,
    'Restart=always',
    'RestartSec=2',
    // SIGTERM (a drain) and SIGKILL go to the agent alone. Its jobs' commands are its to end (a
    // second SIGTERM stops them; the local orphan watcher ends them when it dies), and what a
    // job started on purpose (nohup daemon &) outlives a restart, as with plain ssh.
    'KillMode=process',
    `TimeoutStopSec=${Math.ceil(drainGraceMs / 1000) + SYSTEMD_STOP_MARGIN_S}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/**
 * A shell function: whether pid $1 is a running fleet agent. A pid kept in a
 * file may have been reused by another process since: where /proc is, only a
 * process running the agent's bundle counts.
 */
export const IS_AGENT_SH =
  // cmdline separates the words with NULs, which bash's $(...) drops with a warning on stderr.
  'agent() { case "$({ tr \'\\0\' \' \' < /proc/$1/cmdline; } 2>/dev/null)" in *fleet-agent.mjs*) return 0;; esac; [ ! -d /proc/$1 ] && kill -0 "$1" 2>/dev/null; }';

/** Past the drain grace: the forced close (stop grace, Redis) and a margin, before systemd's SIGKILL. */
const SYSTEMD_STOP_MARGIN_S = 30;

/**
 * Stops every agent of the entry now, its jobs included (undeploy): the first
 * SIGTERM starts a drain, the second, a second later, forces it (the running
 * commands are stopped as `fleet stop` does and fail `agent shut down`); an
 * agent still there after 20 s is SIGKILLed. Under systemd the stop is queued
 * first, so that Restart=always does not start the agent again.
 */
async function stopAgent(lease: SshLease, dir: string, unit: string): Promise<void> {
  const pidFile = quoteShellWord(`${dir}/agent.pid`);
  const draining = quoteShellWord(`${dir}/draining.pids`);
  await runRemote(
    lease,
    [
      `systemctl --user stop --no-block ${unit} 2>/dev/null && sleep 1 && systemctl --user kill --kill-whom=main --signal=SIGTERM ${unit} 2>/dev/null`,
      // An old pid may have been reused: only a process running the agent's bundle is signalled.
      IS_AGENT_SH,
      `pids=; for p in $(cat ${pidFile} ${draining} 2>/dev/null); do agent "$p" && pids="$pids $p"; done`,
      'if [ -n "$pids" ]; then kill -TERM $pids 2>/dev/null; sleep 1; kill -TERM $pids 2>/dev/null; fi',
      'i=0; for p in $pids; do while kill -0 "$p" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; done',
      `[ -n "$pids" ] && kill -9 $pids 2>/dev/null; rm -f ${pidFile} ${draining}`,
      `systemctl --user stop ${unit} 2>/dev/null`,
      'true',
    ].join('\n'),
  );
}

function runRemote(lease: SshLease, command: string): Promise<ChannelOutput> {
  return lease.exec(`exec /bin/sh -c ${quoteShellWord(command)}`, (channel) => {
    const closed = channelOutput(channel);
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
