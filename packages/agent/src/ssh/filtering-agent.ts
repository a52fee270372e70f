import { connect } from 'node:net';
// ssh2 is CommonJS: its named exports are reached through the default one.
import ssh2, { type ParsedKey, type SignCallback, type SigningRequestOptions } from 'ssh2';
import {
  chooseAgentIdentities,
  parseIdentitiesAnswer,
  REQUEST_IDENTITIES,
  type AgentIdentity,
  type AgentIdentityRules,
} from './agent-identities.js';

/**
 * The ssh-agent at a socket, offering only the keys ssh_config allows
 * (IdentitiesOnly, PubkeyAcceptedAlgorithms, found when a connection asks
 * for them, not for every job); signing is the agent's own.
 * It lists the agent's keys itself, so that a certificate the agent holds is
 * reported through `onUnusable` rather than dropped unseen as ssh2 drops it.
 */
export class FilteringAgent extends ssh2.BaseAgent<ParsedKey> {
  private readonly agent: ssh2.OpenSSHAgent;

  constructor(
    private readonly socketPath: string,
    private readonly rules: () => Promise<AgentIdentityRules>,
    private readonly onUnusable: (note: string) => void,
  ) {
    super();
    this.agent = new ssh2.OpenSSHAgent(socketPath);
  }

  getIdentities(cb: (error: Error | undefined, keys?: ParsedKey[]) => void): void {
    Promise.all([listAgentIdentities(this.socketPath), this.rules()]).then(
      ([identities, rules]) => {
        const { offered, unusable } = chooseAgentIdentities(identities, rules);
        unusable.forEach(this.onUnusable);
        const keys = offered
          .map((identity) => ssh2.utils.parseKey(identity.blob))
          .filter((key): key is ParsedKey => !(key instanceof Error));
        cb(undefined, keys);
      },
      (error: unknown) => cb(error instanceof Error ? error : new Error(String(error))),
    );
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.agent.sign(pubKey, data, options);
    else this.agent.sign(pubKey, data, options, cb);
  }
}

/** Asks the agent at a socket for every key it holds. */
function listAgentIdentities(socketPath: string): Promise<AgentIdentity[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('connect', () => socket.write(REQUEST_IDENTITIES));
    socket.on('error', (error) => fail(new Error(`cannot reach the ssh-agent at ${socketPath}: ${error.message}`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readUInt32BE(0)) return;
      const identities = parseIdentitiesAnswer(received.subarray(4, 4 + received.readUInt32BE(0)));
      socket.destroy();
      if (identities === null) reject(new Error(`the ssh-agent at ${socketPath} sent a malformed list of keys`));
      else resolve(identities);
    });
    socket.on('end', () => fail(new Error(`the ssh-agent at ${socketPath} closed the connection`)));
  });
}
