import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis-server.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

describe('bad input', () => {
  it.each([
    [['get', '99'], /no job with id 99.*fleet get/s],
    [['receive', 'nosuchname'], /no job with name nosuchname/],
    [['start', '--frobnicate', '--', 'true'], /unknown option --frobnicate\n {2}\(fleet start --help shows the usage\)/],
    [['teleport'], /unknown command "teleport"\n {2}\(fleet --help lists the commands\)/],
    [['invok', '-c', 'localhost', '--', 'true'], /unknown command "invok"; did you mean invoke\?/],
    [
      ['invoke', '-c', 'localhost', '--throtle', '3', '--', 'true'],
      /unknown option --throtle; did you mean --throttle\?\n.*fleet invoke --help/,
    ],
    [
      ['invoke', '-c', 'localhost', 'uptime'],
      /"uptime" is not an option of fleet invoke: the command to run goes after --, as in: fleet invoke -c localhost -- uptime\n.*fleet invoke --help/,
    ],
    [['invoke', '-c', 'localhost', '-b', '--', 'true'], /unknown option -b; clush's -b is --group here/],
    [['receive'], /name a job: its id or its name\n.*fleet receive --help/],
    [['invoke', '-c', 'localhost'], /the command is empty\n.*as in: fleet invoke -c localhost -- uptime/],
    [['invoke', '-c', '@nosuchgroup', '--', 'true'], /unknown group @nosuchgroup: it is in none of\n/],
    [['invoke', '-c', 'localhost', '-l', 'a b', '--', 'true'], /-l "a b" is not a valid login name/],
    [['invoke', '-f', '32', '--', 'true'], /cannot read the hosts file 32: no such file\n.*--throttle N \(or -p N\)/],
    [['start', '--script', '/no/such/script.sh'], /cannot read the script \/no\/such\/script.sh: no such file/],
    [['start'], /the command is empty\n.*as in: fleet start -- uptime; or give --script FILE/],
    [['start', '--', '  '], /the command is empty/],
    [['start', '--name', '42', '--', 'true'], /looks like an id/],
    [['start', '--env', 'not an assignment', '--', 'true'], /NAME=VALUE/],
    [['invoke', '--', 'true'], /no hosts given/],
    [['invoke', '-f', '/no/such/hosts', '--', 'true'], /cannot read the hosts file/],
    [['invoke', '-c', 'localhost', '--throttle', '0', '--', 'true'], /--throttle/],
    [['receive', '1', '--auto-remove'], /--auto-remove goes with --wait/],
    [['remove'], /name the jobs to remove/],
    [['get', '--state', 'Sideways'], /unknown state "Sideways"/],
  ])('fleet %j exits 2 and says what was wrong', async (args, message) => {
    const result = await fleet.env.fleet(args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('refuses a bad host entry with the file, line and entry, before anything runs', async () => {
    const hosts = join(fleet.env.home, 'computers.txt');
    await writeFile(hosts, '# web tier\nlocalhost\n\n-oProxyCommand=touch /tmp/pwned\n');
    const result = await fleet.env.fleet(['invoke', '-f', hosts, '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${hosts}:4: bad host entry "-oProxyCommand=touch /tmp/pwned"`);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    const stdin = await fleet.env.fleet(['invoke', '-f', '-', '--', 'true'], { input: 'localhost\na;b\n' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('<stdin>:2: bad host entry "a;b"');
  });

  it('reports an unknown option before --, never the command after it', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '-P', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'fleet: unknown option -P; fleet prints each line as it arrives, as pssh -P does: leave it out\n  (fleet invoke --help shows the usage)\n',
    );
  });

  it("takes pssh's -i without a value for what it is, not an inventory", async () => {
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '-i', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "fleet: -i needs a value; as pssh's flag, fleet prints HOST: line, as pssh -i does: leave it out (-i FILE is an Ansible inventory here)\n  (fleet invoke --help shows the usage)\n",
    );
  });

  it('names an empty hosts file, and reports every bad line of a file in one go', async () => {
    const empty = join(fleet.env.home, 'empty.txt');
    await writeFile(empty, '# nothing yet\n\n');
    const none = await fleet.env.fleet(['invoke', '-f', empty, '--', 'true']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`fleet: the hosts file ${empty} lists no hosts\n`);
    const hosts = join(fleet.env.home, 'computers.txt');
    await writeFile(hosts, 'web1\na;b\nlocalhost\n-x\nweb 2 # typo\n');
    const bad = await fleet.env.fleet(['invoke', '-f', hosts, '-c', 'ok,$(x)', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n').slice(0, 5)).toEqual([
      'fleet: 4 bad host entries:',
      `  ${hosts}:2: bad host entry "a;b": "a;b" is not a host name or address`,
      `  ${hosts}:4: bad host entry "-x": "-x" is not a host name or address`,
      `  ${hosts}:5: bad host entry "web 2": contains white space or a control character`,
      '  --computer-name:2: bad host entry "$(x)": "$(x)" is not a host name or address',
    ]);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('says so when receive --host names no host of the job, instead of printing nothing', async () => {
    const job = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'echo hi']);
    await untilState(fleet.env, job.id, ['Completed']);
    const result = await fleet.env.fleet(['receive', String(job.id), '--host', 'nosuch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`fleet: no host of job ${job.id} matches "nosuch"\n  (give one of its hosts: localhost)\n`);
    expect((await fleet.env.fleet(['receive', String(job.id), '--host', 'localhost'])).stdout).toBe('localhost: hi\nlocalhost: hi\n');
  });

  it('refuses a malformed setting in the environment', async () => {
    const result = await fleet.env.fleet(['get'], { env: { FLEET_RETENTION: 'forever' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/FLEET_RETENTION: "forever" is not a duration/);
  });

  it('exits 3 quickly when Redis at an explicit URL does not answer', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    // The CLI is killed after 20 s, so a hang fails here with code null rather than 3.
    const result = await fleet.env.fleet(['get'], { env: { FLEET_REDIS_URL: url }, timeoutMs: 20_000 });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach Redis at ${url}`);
    const viaFlag = await fleet.env.fleet(['start', '--redis', url, '--', 'true'], { timeoutMs: 20_000 });
    expect(viaFlag.code).toBe(3);
  });

  it('exits 3 and says why when no agent can be started', async () => {
    const file = join(fleet.env.home, 'not-a-directory');
    await writeFile(file, '');
    const result = await fleet.env.fleet(['start', '--', 'true'], { env: { FLEET_STATE_DIR: join(file, 'state') } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot start an agent: .*not-a-directory.*\n.*FLEET_STATE_DIR/s);
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});
