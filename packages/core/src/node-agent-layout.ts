import { createHash } from 'node:crypto';
import { hostFileName } from './host-file-name.js';

/** Where fleet keeps its node agents, relative to the login user's home: one directory per deployed entry. */
export const NODE_AGENTS_ROOT = '.local/share/fleet/nodes';

/**
 * Where one node's agent lives. Every file of it (bundle, settings, pid file,
 * log, state) is in a directory named by the entry it was deployed for, and
 * its systemd unit carries a name of its own: on a cluster whose home
 * directory is shared by every node, one node's deploy, agent and undeploy
 * never touch another's. The entry, not the node's hostname, tells them
 * apart: two entries are two agents (`deploy` routes by entry), and nodes
 * may share a hostname.
 */
export interface NodeAgentLayout {
  /** The agent's directory, relative to the home directory. */
  dir: string;
  /** The agent's systemd user unit (`fleet-agent-HASH.service`; systemd unit names allow few characters). */
  unit: string;
}

export function nodeAgentLayout(entry: string): NodeAgentLayout {
  const hash = createHash('sha256').update(entry).digest('hex').slice(0, 12);
  return { dir: `${NODE_AGENTS_ROOT}/${hostFileName(entry)}`, unit: `fleet-agent-${hash}.service` };
}
