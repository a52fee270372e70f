import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The file in this user's local state directory (mode 0600) that says which sealing key deploy gave each node's agent. */
export const NODE_SEALING_RECORD = 'node-sealing-keys.json';

/** Which node agent a recorded key is for: the vouch's own scope, the entry standing for the agent. */
export interface NodeSealingScope {
  deployment: string;
  prefix: string;
  entry: string;
}

interface RecordRow extends NodeSealingScope {
  publicKey: string;
}

/**
 * The public half of the sealing key `fleet deploy` last sent to each node's
 * agent, kept on this machine, never in Redis. The CLI seals a password to a
 * node's agent only when the key it publishes is the one recorded: a vouch of
 * an older key (a key file copied before a redeploy, or kept after an
 * undeploy) makes an agent a Redis writer registers receive nothing.
 */
export class NodeSealingRecord {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  static inStateDir(stateDir: string): NodeSealingRecord {
    return new NodeSealingRecord(join(stateDir, NODE_SEALING_RECORD));
  }

  /** The recorded public key of the agent serving `scope.entry`, or undefined when deploy recorded none (or undeploy removed it). */
  async publicKey(scope: NodeSealingScope): Promise<string | undefined> {
    return (await this.rows()).find((row) => sameScope(row, scope))?.publicKey;
  }

  /** Records the key deploy sent (replacing the one before), or with null forgets it (undeploy). One change at a time. */
  set(scope: NodeSealingScope, publicKey: string | null): Promise<void> {
    const change = this.queue.then(async () => {
      const rows = (await this.rows()).filter((row) => !sameScope(row, scope));
      if (publicKey !== null) rows.push({ ...scope, publicKey });
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      // Written beside and renamed: a reader never sees half a file.
      const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, `${JSON.stringify(rows, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.path);
    });
    this.queue = change.catch(() => {});
    return change;
  }

  private async rows(): Promise<RecordRow[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not JSON: remove it and run fleet deploy again for your nodes`);
    }
    if (!Array.isArray(json)) throw new Error(`${this.path} is not a list: remove it and run fleet deploy again for your nodes`);
    return json.filter(
      (row): row is RecordRow =>
        typeof row === 'object' &&
        row !== null &&
        ['deployment', 'prefix', 'entry', 'publicKey'].every((field) => typeof (row as Record<string, unknown>)[field] === 'string'),
    );
  }
}

function sameScope(a: NodeSealingScope, b: NodeSealingScope): boolean {
  return a.deployment === b.deployment && a.prefix === b.prefix && a.entry === b.entry;
}
