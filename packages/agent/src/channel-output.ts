import type { ClientChannel } from 'ssh2';

/** What a command on an exec channel left: its exit code (null when it gave none), standard output and standard error. */
export interface ChannelOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Collects a channel's exit code and output until it closes. `keepBytes`
 * bounds each stream to its last bytes (a command's report or failure is at
 * its end). @defaultValue everything
 */
export function channelOutput(channel: ClientChannel, keepBytes = Infinity): Promise<ChannelOutput> {
  const kept = (text: string) => (text.length > keepBytes ? text.slice(-keepBytes) : text);
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  channel.on('data', (chunk: Buffer) => (stdout = kept(stdout + chunk.toString('utf8'))));
  channel.stderr.on('data', (chunk: Buffer) => (stderr = kept(stderr + chunk.toString('utf8'))));
  channel.on('exit', (exitCode: number | null) => (code = exitCode));
  return new Promise((resolve) => channel.on('close', () => resolve({ code, stdout, stderr })));
}
