// The limit of fleet's own stack over SSH: ssh2 connections opened with
// p-map at concurrency 32, `true` run on each, no queue, no Redis, no output
// handling. Usage (bundled by run.mjs):
//   node bench/.work/bare-ssh2.mjs HOSTS_FILE PORT USER KEY cold|warm [BASTION]
//   node bench/.work/bare-ssh2.mjs HOSTS_FILE PORT USER KEY output COMMAND
//  - cold: connect, run, disconnect; the caller times the whole process.
//  - output: the same with COMMAND instead of `true`, its output read and
//    discarded (the bare limit for fleet's output path).
//  - warm: connect to all first, then time one more round of `true` over the
//    kept connections, and print that time (ms) on stdout.
//  - BASTION: every host is reached through one connection to this jump host
//    (same port, user and key), each over a channel forwarded through it, as
//    `ProxyJump` would, but with the bastion crossed once.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import pMap from 'p-map';
import ssh2 from 'ssh2';

const [hostsFile, port, username, keyFile, mode, extra] = process.argv.slice(2);
if (!hostsFile || !port || !username || !keyFile || !['cold', 'warm', 'output'].includes(mode ?? '') || (mode === 'output' && !extra)) {
  throw new Error('usage: bare-ssh2.mjs HOSTS_FILE PORT USER KEY cold|warm [BASTION], or ... output COMMAND');
}
const bastionHost = mode === 'output' ? undefined : extra;
const command = mode === 'output' ? (extra as string) : 'true';
const hosts = readFileSync(hostsFile, 'utf8').split('\n').filter(Boolean);
const privateKey = readFileSync(keyFile);
const bastion = bastionHost === undefined ? null : await open(bastionHost, undefined);

function open(host: string, sock: Readable | undefined): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ host, port: Number(port), username, privateKey, readyTimeout: 30_000, ...(sock ? { sock } : {}) });
  });
}

async function connect(host: string): Promise<ssh2.Client> {
  if (bastion === null) return open(host, undefined);
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    bastion.forwardOut('127.0.0.1', 0, host, Number(port), (error, channel) => (error ? reject(error) : resolve(channel))),
  );
  return open(host, stream);
}

function runCommand(client: ssh2.Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let code: number | null = null;
      channel
        .on('exit', (exitCode: number | null) => (code = exitCode))
        .on('close', () => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      channel.resume();
      channel.stderr.resume();
    });
  });
}

if (mode !== 'warm') {
  await pMap(
    hosts,
    async (host) => {
      const client = await connect(host);
      await runCommand(client);
      client.end();
    },
    { concurrency: 32 },
  );
} else {
  const clients = await pMap(hosts, connect, { concurrency: 32 });
  await pMap(clients, runCommand, { concurrency: 32 }); // the first round, as every warm tool gets
  const began = performance.now();
  await pMap(clients, runCommand, { concurrency: 32 });
  process.stdout.write(`${(performance.now() - began).toFixed(1)}\n`);
  for (const client of clients) client.end();
}
bastion?.end();
