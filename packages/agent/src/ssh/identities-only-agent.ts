import { readFile } from 'node:fs/promises';
// ssh2 is CommonJS: its named exports are reached through the default one.
import ssh2 from 'ssh2';

/** The public key blobs of identity files: `FILE.pub`, or the unencrypted private key's public half. */
async function publicBlobs(files: readonly string[]): Promise<Buffer[]> {
  const blobs: Buffer[] = [];
  for (const file of files) {
    for (const path of [`${file}.pub`, file]) {
      const text = await readFile(path).catch(() => null);
      const key: ssh2.ParsedKey | Error | null = text === null ? null : ssh2.utils.parseKey(text);
      if (key !== null && !(key instanceof Error)) {
        blobs.push(key.getPublicSSH());
        break;
      }
    }
  }
  return blobs;
}

/**
 * ssh-agent restricted as IdentitiesOnly restricts it in OpenSSH: only the
 * agent's keys whose public half is one of the identity (or certificate)
 * files' is offered; the agent still signs them, so a passphrase-protected
 * key loaded in the agent keeps working.
 */
export async function identitiesOnlyAgent(socket: string, files: readonly string[]): Promise<ssh2.OpenSSHAgent> {
  const allowed = await publicBlobs(files);
  return new (class extends ssh2.OpenSSHAgent {
    override getIdentities(callback: (error: Error | undefined, keys?: ssh2.ParsedKey[]) => void): void {
      super.getIdentities((error, keys) =>
        callback(
          error ?? undefined,
          keys?.filter((key) => 'getPublicSSH' in key && allowed.some((blob) => blob.equals(key.getPublicSSH()))) as
            ssh2.ParsedKey[] | undefined,
        ),
      );
    }
  })(socket);
}
