import { DeployRefused } from './errors.js';
import type { NodeAgentLayout } from './node-agent-layout.js';
import { NODE_SEALING_FILE } from './node-sealing-file.js';

/**
 * A POSIX sh script that describes a node as `key=value` lines: what deploy
 * decides from. It looks only at the agent `layout` names (the entry's own
 * directory and unit), so another entry's agent in a shared home is not
 * taken for this one.
 */
export function nodeProbeScript(layout: NodeAgentLayout): string {
  return [
    `d="$HOME/${layout.dir}"`,
    'echo "os=$(uname -s)"',
    'echo "arch=$(uname -m)"',
    'echo "hostname=$(uname -n)"',
    'echo "home=$HOME"',
    'n=$(command -v node 2>/dev/null) && echo "node=$n" && echo "nodeversion=$("$n" -p process.versions.node 2>/dev/null)"',
    'if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then echo systemd=yes; else echo systemd=no; fi',
    '[ -f "$d/version" ] && echo "deployed=$(cat "$d/version")"',
    '[ -f "$d/agent.pid" ] && kill -0 "$(cat "$d/agent.pid")" 2>/dev/null && echo running=yes',
    `systemctl --user is-active ${layout.unit} >/dev/null 2>&1 && echo running=yes`,
    // The public half of the agent's sealing key and its voucher's key id (nodeSealingFile writes each on a line of its own), by shell built-ins alone.
    `if [ -r "$d/state/${NODE_SEALING_FILE}" ]; then while IFS= read -r line; do case "$line" in *'"publicKey": "'*) k=\${line#*: \\"}; k=\${k%%\\"*}; echo "sealingkey=$k";; *'"vouchKeyId": "'*) k=\${line#*: \\"}; k=\${k%%\\"*}; echo "sealingvouch=$k";; esac; done < "$d/state/${NODE_SEALING_FILE}"; fi`,
    'true',
  ].join('\n');
}

/** What the probe found on a node. */
export interface NodeProbe {
  os: string;
  arch: string;
  /** `uname -n`: what a systemd unit in a shared home is bound to (ConditionHost). */
  hostname: string;
  home: string;
  nodePath: string | null;
  nodeVersion: string | null;
  systemd: boolean;
  deployedVersion: string | null;
  running: boolean;
  /** The public key in the agent's state/sealing-key.json, or null when there is none. */
  sealingPublicKey: string | null;
  /** The id of the signing key that vouched for it, or null. */
  sealingVouchKeyId: string | null;
}

export function parseNodeProbe(text: string): NodeProbe {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const optional = (key: string) => values.get(key) || null;
  return {
    os: values.get('os') ?? '',
    arch: values.get('arch') ?? '',
    hostname: values.get('hostname') ?? '',
    home: values.get('home') ?? '',
    nodePath: optional('node'),
    nodeVersion: optional('nodeversion'),
    systemd: values.get('systemd') === 'yes',
    deployedVersion: optional('deployed'),
    running: values.get('running') === 'yes',
    sealingPublicKey: optional('sealingkey'),
    sealingVouchKeyId: optional('sealingvouch'),
  };
}

/** This machine, as deploy compares nodes with it. */
export interface ControllerInfo {
  /** `process.platform`. */
  platform: string;
  /** `process.arch`. */
  arch: string;
  version: string;
}

export type DeployPlan =
  | { action: 'none'; version: string }
  | {
      action: 'install' | 'upgrade';
      from: string | null;
      shipNode: boolean;
      systemd: boolean;
      /** The same version runs, but its sealing key is missing or not the one this machine recorded: it gets a new one. */
      rekey: boolean;
    };

const UNAME_OS: Record<string, string> = { Linux: 'linux', Darwin: 'darwin', FreeBSD: 'freebsd' };
const UNAME_ARCH: Record<string, string> = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm' };

/**
 * Decides what deploy does on a node: nothing when the same version already
 * runs with the sealing key this machine recorded for it, vouched for by the
 * deploying user's current signing key; else install or
 * upgrade (which sends a new sealing key), with the node's own Node.js when
 * it is 20 or newer, or this machine's Node binary when the node's OS and CPU
 * match.
 */
export function planDeploy(
  probe: NodeProbe,
  controller: ControllerInfo,
  /**
   * `reconfigure`: the agent's settings change (new Redis credentials), so a current agent is installed again too.
   * `recordedSealingKey`: the public key deploy last sent there from this machine (null: none recorded);
   * `signingKeyId`: the deploying user's signing key; a current agent whose key another one vouched for
   * (the user replaced theirs) is installed again with a new one too.
   */
  options: { shipNode?: boolean; reconfigure?: boolean; recordedSealingKey?: string | null; signingKeyId?: string } = {},
): DeployPlan {
  const current = probe.deployedVersion === controller.version && probe.running;
  const keyed =
    probe.sealingPublicKey !== null &&
    probe.sealingPublicKey === (options.recordedSealingKey ?? null) &&
    (options.signingKeyId === undefined || probe.sealingVouchKeyId === options.signingKeyId);
  if (current && keyed && !options.shipNode && !options.reconfigure) {
    return { action: 'none', version: controller.version };
  }
  const major = Number((probe.nodeVersion ?? '').split('.')[0]);
  const usable = probe.nodePath !== null && Number.isInteger(major) && major >= 20;
  const shipNode = options.shipNode === true || !usable;
  if (shipNode) {
    const os = UNAME_OS[probe.os] ?? probe.os.toLowerCase();
    const arch = UNAME_ARCH[probe.arch] ?? probe.arch;
    if (os !== controller.platform || arch !== controller.arch) {
      throw new DeployRefused(
        `no Node.js 20 or newer there (${probe.nodeVersion ? `found ${probe.nodeVersion}` : 'none found'}), and its system (${probe.os} ${probe.arch}) differs from this machine's (${controller.platform} ${controller.arch}), so this machine's Node cannot be sent: install Node.js 20+ on it`,
      );
    }
  }
  return {
    action: probe.deployedVersion === null ? 'install' : 'upgrade',
    from: probe.deployedVersion,
    shipNode,
    systemd: probe.systemd,
    rekey: current && !keyed,
  };
}
