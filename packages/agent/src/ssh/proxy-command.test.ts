import { describe, expect, it } from 'vitest';
import { spawnProxyCommand } from './proxy-command.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('spawnProxyCommand', () => {
  it("carries bytes both ways through the command's stdin and stdout, logs its stderr, and ends its whole process group on close", async () => {
    const logged: string[] = [];
    // The background sleep is what a proxy command leaves behind if only the shell is killed.
    const transport = spawnProxyCommand(
      `sh -c 'sleep 300 & echo "$!"; echo "said on stderr" >&2; exec cat'`,
      (line) => logged.push(line),
      'proxy',
    );
    const chunks: Buffer[] = [];
    transport.sock.on('data', (chunk: Buffer) => chunks.push(chunk));
    transport.sock.write('ping\n');
    await eventually(() => Buffer.concat(chunks).toString().split('\n').length >= 3, 'the echo');
    const [pid, echoed] = Buffer.concat(chunks).toString().split('\n');
    expect(echoed).toBe('ping');
    await eventually(() => logged.length > 0, 'stderr in the log');
    expect(logged).toEqual(['proxy: said on stderr']);
    expect(await transport.whyEnded()).toBeNull();

    transport.close();
    transport.close(); // harmless twice
    await eventually(() => !isAlive(Number(pid)), 'the background sleep to end');
  });

  it('says why it ended: its exit status and the last line of its stderr', async () => {
    const transport = spawnProxyCommand(
      `sh -c 'echo "connect to host bastion port 22: Connection refused" >&2; exit 255'`,
      () => {},
      'proxy',
    );
    transport.sock.resume();
    await new Promise((resolve) => transport.sock.once('end', resolve));
    expect(await transport.whyEnded()).toBe('the ProxyCommand exited with status 255: connect to host bastion port 22: Connection refused');
    transport.close();
  });
});
