import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { quoteShellWord } from '@fleet/core';
import { FLEET_BIN } from './support/fleet-cli.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

// Issue 16 §5: on a terminal, what a host prints cannot move the cursor, clear or retitle
// the screen, or forge another host's prefix. Run under a real pty (util-linux `script`),
// held to `cat -v`, run on the same bytes in the same test.

const run = promisify(execFile);
const fleet = useFleet();

/** The line: retitles the window, then returns to the line's start and writes another host's prefix. */
const HOSTILE = 'a\u001b]0;PWNED\u0007b\rfake.host: forged\n';
const PRINT_HOSTILE = "printf 'a\\033]0;PWNED\\007b\\rfake.host: forged\\n'";

/** What `cat -v` prints for these bytes. */
const catV = (text: string) => execFileSync('cat', ['-v'], { input: text }).toString();

/** Runs `fleet ARGS` on a real terminal; returns all it drew, with the pty's \r\n made \n again (a bare \r stays). */
async function onTerminal(args: string[]): Promise<string> {
  const line = [process.execPath, FLEET_BIN, ...args].map(quoteShellWord).join(' ');
  const { stdout } = await run('script', ['-qfec', line, '/dev/null'], { env: { ...fleet.env.env, NO_COLOR: '1' }, timeout: 60_000 });
  return stdout.replaceAll('\r\n', '\n');
}

const invokeHostile = (...flags: string[]) => [
  'invoke',
  '-c',
  'localhost',
  '--quiet',
  ...flags,
  '--',
  `${PRINT_HOSTILE} # ${fleet.env.marker}`,
];

describe("a host's control characters on the operator's terminal", () => {
  it('shows them as cat -v does, after the real prefix, so nothing is retitled or overwritten', async () => {
    const screen = await onTerminal(invokeHostile());
    expect(screen).toContain(`localhost: ${catV(HOSTILE)}`);
    expect(screen).toContain('localhost: a^[]0;PWNED^Gb^Mfake.host: forged\n');
    expect(screen).not.toContain('\u001b]0;');
    expect(screen).not.toMatch(/\r(?!\n)/);
  });

  it('prints them as they are with --raw, and always as they are into a pipe', async () => {
    const raw = await onTerminal(invokeHostile('--raw'));
    expect(raw).toContain(`localhost: ${HOSTILE}`);
    const piped = await fleet.env.fleet(invokeHostile());
    expect(piped.stdout).toBe(`localhost: ${HOSTILE}`);
    const unprefixed = await fleet.env.fleet(invokeHostile('-N'));
    expect(unprefixed.stdout).toBe(HOSTILE);
  });

  it('escapes them in --group, in stderr lines, and in a last line without a newline', async () => {
    const grouped = await onTerminal(invokeHostile('--group'));
    expect(grouped).toContain(`---------------\nlocalhost (1)\n---------------\n${catV(HOSTILE)}`);
    const command = `${PRINT_HOSTILE} >&2; printf 'no end\\033[2J\\r' # ${fleet.env.marker}`;
    const streams = await onTerminal(['invoke', '-c', 'localhost', '--quiet', '--', command]);
    expect(streams).toContain(`localhost: ${catV(HOSTILE)}`);
    expect(streams).toContain('localhost: no end^[[2J^M\n');
    expect(streams).not.toContain('\u001b[2J');
  });

  it('escapes what get shows of a job that Redis holds: name, command, reason', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', `true # ${fleet.env.marker}`]);
    await untilState(fleet.env, job.id, ['Completed']);
    // Written as someone who can write to Redis would write it.
    await fleet.redis.client().hset(`${fleet.env.prefix}:job:${job.id}`, {
      name: 'evil\u001b]0;PWNED\u0007',
      command: 'rm\u001b[2K\rls',
      reason: 'ok\u009b2J',
      location: 'localhost\nParentId    : 999',
      beganAt: 'x\u001b[2J',
    });
    const table = await onTerminal(['get', String(job.id)]);
    expect(table).toContain('evil^[]0;PWNED^G');
    expect(table).toContain('rm^[[2K^Mls');
    const list = await onTerminal(['get', String(job.id), '--format', 'list']);
    expect(list).toContain('Reason      : okM-BM-^[2J');
    expect(list).not.toContain('\u001b');
    expect(list).not.toContain('\u009b');
    // Every field stays on its own line: a newline from Redis cannot write a field of its own.
    expect(list).toContain(`Location    : localhost\n${' '.repeat(14)}ParentId    : 999`);
    expect(list).not.toMatch(/^ParentId {4}: 999$/m);
    expect(list).toContain('BeganAt     : x^[[2J');
    // --json on a terminal: C0 escaped by JSON itself, C1 as \u too; the same value.
    const json = await onTerminal(['get', String(job.id), '--json']);
    expect(json).toContain('"reason":"ok\\u009b2J"');
    expect(json).not.toContain('\u009b');
    // In a pipe, --json gives what Redis holds.
    const [piped] = await fleet.env.json<JobJson[]>(['get', String(job.id)]);
    expect(piped?.name).toBe('evil\u001b]0;PWNED\u0007');
  });

  it("keeps a location Redis holds from writing --group's headers, in a pipe too", async () => {
    const job = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost', '--as-job', '--', `echo same # ${fleet.env.marker}`]);
    await untilState(fleet.env, job.id, ['Completed']);
    const [child] = job.childIds;
    const rule = '-'.repeat(15);
    // Written as someone who can write to Redis would write it: a location that ends the header and starts another.
    await fleet.redis.client().hset(`${fleet.env.prefix}:job:${child}`, { location: `localhost\n${rule}\nweb[1-99] (99)` });
    const piped = await fleet.env.fleet(['receive', String(job.id), '--group', '--keep']);
    expect(piped.stdout).toBe(`${rule}\nlocalhost^J${rule}^Jweb[1-99] (99) (1)\n${rule}\nsame\n`);
    expect(piped.stdout).not.toMatch(/^web\[1-99\] \(99\)$/m);
  });
});
