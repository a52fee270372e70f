// `ssh HOST COMMAND` for every host, 32 at a time, each with INPUT written
// on its standard input, which then stays open until ssh exits: as fleet's
// agent holds a channel's input open for the orphan watcher's heartbeat.
// (xargs would give ssh a file, whose end reaches the watcher at once.)
// Usage (bundled by run.mjs): node bench/.work/ssh-held-input.mjs HOSTS-FILE
// INPUT-FILE COMMAND SSH-OPTION...
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pMap from 'p-map';

const [hostsFile, inputFile, command, ...sshOptions] = process.argv.slice(2);
if (hostsFile === undefined || inputFile === undefined || command === undefined) {
  process.stderr.write('usage: ssh-held-input HOSTS-FILE INPUT-FILE COMMAND SSH-OPTION...\n');
  process.exit(2);
}
const hosts = readFileSync(hostsFile, 'utf8').split('\n').filter(Boolean);
const input = readFileSync(inputFile);
await pMap(
  hosts,
  (host) =>
    new Promise<void>((resolve, reject) => {
      const ssh = spawn('ssh', [...sshOptions, host, command], { stdio: ['pipe', 'ignore', 'inherit'] });
      ssh.stdin.on('error', () => {}); // ssh gone first: nothing more to write
      ssh.stdin.write(input);
      ssh.once('error', reject).once('exit', (code) => {
        ssh.stdin.destroy();
        if (code === 0) resolve();
        else reject(new Error(`ssh ${host} exited ${code}`));
      });
    }),
  { concurrency: 32 },
);
