import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSealingKey, generateSigningKey, nodeSealingFile, vouchHolds } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { deployedAgentSealing } from './agent-sealing.js';

const scope = { deployment: 'd1', prefix: 'fleet', agentId: 'deploy@web1' };

function keyFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-sealing-')), 'sealing-key.json');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

describe('deployedAgentSealing', () => {
  it('publishes the vouch deploy made, for the entry it was made for only', async () => {
    const signer = generateSigningKey();
    const sealingKey = generateSealingKey();
    const sealing = await deployedAgentSealing(keyFile(nodeSealingFile(signer, scope, sealingKey)), () => {});
    expect(sealing?.key.publicKey).toBe(sealingKey.publicKey);
    const own = { id: signer.id, key: signer.publicKey, comment: 'deployer' };
    const identity = sealing?.identity('deploy@web1');
    expect(vouchHolds(identity ?? undefined, scope, (id) => (id === own.id ? own : undefined))).toBe(true);
    // An agent told to serve another entry (holder != serves) publishes nothing: the vouch names the entry.
    expect(sealing?.identity('root@web1')).toBeNull();
  });

  it('runs without a key, saying why, when the file is missing', async () => {
    const lines: string[] = [];
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-sealing-')), 'sealing-key.json');
    expect(await deployedAgentSealing(file, (line) => lines.push(line))).toBeNull();
    expect(lines).toEqual([expect.stringContaining(`no sealing key at ${file}`)]);
  });

  it('runs without a key, saying what is wrong, when the file is corrupt', async () => {
    const signer = generateSigningKey();
    const good = JSON.parse(nodeSealingFile(signer, scope, generateSealingKey())) as Record<string, string>;
    const cases: [string, string][] = [
      ['{ not json', 'not JSON'],
      [JSON.stringify({ ...good, vouch: undefined }), 'no vouch in it'],
      [JSON.stringify({ ...good, privateKey: 'garbage' }), 'not an X25519 key'],
      // Another key's public half beside the private key: a file put together by hand.
      [JSON.stringify({ ...good, publicKey: generateSealingKey().publicKey }), 'public key is not the private key'],
    ];
    for (const [content, why] of cases) {
      const lines: string[] = [];
      expect(await deployedAgentSealing(keyFile(content), (line) => lines.push(line))).toBeNull();
      expect(lines).toEqual([expect.stringContaining(why)]);
    }
  });
});
