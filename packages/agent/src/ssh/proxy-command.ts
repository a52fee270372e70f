import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { SshTransport } from './ssh-transport.js';

/** How much of the command's standard error is kept to say why it ended. */
const STDERR_TAIL_BYTES = 2000;
/** After SIGTERM, how long the command's process group has before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** How long an ended command has to exit and finish its standard error before saying why it ended. */
const SETTLE_MS = 1000;

/**
 * Runs a ProxyCommand as ssh does, through `/bin/sh -c 'exec COMMAND'` (its
 * tokens already expanded; ssh takes `$SHELL`, fleet the shell every POSIX
 * system has): its standard input and output carry the connection, its
 * standard error goes to the agent's log. It runs as a process group of its
 * own, so that closing the transport ends it and whatever it started
 * (SIGTERM, then SIGKILL).
 */
export function spawnProxyCommand(command: string, log: (line: string) => void, label: string): SshTransport {
  // `exec` as ssh prefixes it (sshconnect.c): the shell becomes the command, and `a; b` runs a alone.
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  let exit: string | null = null;
  let spawnError: string | null = null;
  let closed = false;
  let outputEnded = false;
  const settled = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      spawnError = error.message;
      resolve();
    });
    // 'close': exited, and its standard error read to the end.
    child.on('close', () => resolve());
  });
  child.on('exit', (code, signal) => (exit = signal === null ? `exited with status ${code}` : `was killed by ${signal}`));
  child.stdout.on('end', () => (outputEnded = true));
  child.stderr.setEncoding('utf8');
  let partial = '';
  child.stderr.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') log(`${label}: ${line}`);
  });
  child.stderr.on('end', () => {
    if (partial.trim() !== '') log(`${label}: ${partial}`);
  });
  const close = () => {
    if (closed) return;
    closed = true;
    sock.destroy();
    killGroup(child);
  };
  const sock = new ProcessStream(child);
  // However the connection ends (the pool's idle close, a lost host, shutdown), its command ends with it,
  // rather than waiting for `ssh -W` to notice the end of its input.
  sock.once('close', close);
  return {
    sock,
    close,
    async whyEnded() {
      if (!outputEnded && exit === null && spawnError === null) return null;
      await Promise.race([settled, delay(SETTLE_MS)]);
      if (spawnError !== null) return `cannot run the ProxyCommand: ${spawnError}`;
      const said = stderrTail.trim().split('\n').at(-1) ?? '';
      return `the ProxyCommand ${exit ?? 'closed its output'}${said === '' ? '' : `: ${said}`}`;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** The command's standard output to read and its standard input to write, as one stream. */
class ProcessStream extends Duplex {
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.on('end', () => this.push(null));
    // Writing to a command that has gone: ssh2 hears of it through the stream's end.
    child.stdin.on('error', () => {});
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.child.stdin.destroyed) done();
    else this.child.stdin.write(chunk, () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.child.stdin.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    done(error);
  }
}
