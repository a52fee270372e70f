import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmp } from './support/cmp.js';
import { commandToFile, fleetToFile } from './support/fleet-bytes.js';
import { parseAllRecords, streamBytes } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// What a command writes comes back byte for byte (SPEC §11), held to plain
// `ssh` running the same command on the same host: through --no-prefix to a
// file, through --outdir, and through --json records read back.
const ssh = useSshFleet(1);

/** The commands, each given the path of a random file the host can read. */
const CASES: [string, (file: string) => string][] = [
  ['a random binary file', (file) => `cat ${file}`],
  ['a 10 MB single line', () => `head -c 10000000 /dev/zero | tr '\\0' x; echo`],
  ['text without a final newline', () => `printf 'a\\r\\nb'`],
];

describe('bytes over SSH, against plain ssh', () => {
  it.each(CASES)('%s: --no-prefix, --outdir and --json give what ssh gives', async (_, commandFor) => {
    const host = ssh.fleet.entries[0] as string;
    const input = `/tmp/${ssh.env.marker}-input`;
    await writeFile(input, randomBytes(100_000), { mode: 0o644 });
    try {
      const command = commandFor(input);
      const expected = join(ssh.env.home, 'expected');
      const plain = await commandToFile('ssh', ['-F', ssh.fleet.sshConfig, '-o', 'BatchMode=yes', host, command], ssh.env.env, expected);
      expect(plain.code).toBe(0);

      const piped = join(ssh.env.home, 'piped');
      expect((await fleetToFile(['invoke', '-c', host, '--no-prefix', '--', command], ssh.env.env, piped)).code).toBe(0);
      expect(await cmp(expected, piped)).toBe('');

      const dir = join(ssh.env.home, 'out');
      expect((await ssh.env.fleet(['invoke', '-c', host, '--outdir', dir, '--', command])).code).toBe(0);
      expect(await cmp(expected, join(dir, `${host}.out`))).toBe('');
      expect((await ssh.env.fleet(['invoke', '-c', host, '--outdir', dir, '--', `{ ${command}; } >&2`])).code).toBe(0);
      expect(await cmp(expected, join(dir, `${host}.err`))).toBe('');

      const json = join(ssh.env.home, 'json');
      expect((await fleetToFile(['invoke', '-c', host, '--json', '--', command], ssh.env.env, json)).code).toBe(0);
      const records = parseAllRecords(await readFile(json, 'utf8'));
      expect(streamBytes(records, 'stdout').equals(await readFile(expected))).toBe(true);
      expect(records.at(-1)).toMatchObject({ host, stream: 'end', data: { state: 'Completed', exitCode: 0, reason: null } });
    } finally {
      await rm(input, { force: true });
    }
  });
});
