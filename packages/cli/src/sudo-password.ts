import { readFile } from 'node:fs/promises';
import { UsageError } from '@fleet/core';

/**
 * The `--ask-sudo-pass` password: asked once on the terminal without echo,
 * or, with no terminal, read from the file FLEET_SUDO_PASSWORD_FILE names
 * (its one line; a final newline is not part of it). It is kept only in
 * memory, and leaves this process only sealed (see seal-password.ts). sudo
 * reads one line, so a password cannot hold a newline.
 */
export async function readSudoPassword(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const password = process.stdin.isTTY ? await promptWithoutEcho('sudo password: ') : await fromFile(env['FLEET_SUDO_PASSWORD_FILE']);
  if (password === '') throw new UsageError('--ask-sudo-pass: the password is empty');
  if (/[\n\r\0]/.test(password)) throw new UsageError('--ask-sudo-pass: the password holds a newline or a NUL, which sudo cannot take');
  return password;
}

async function fromFile(path: string | undefined): Promise<string> {
  if (path === undefined || path === '') {
    throw new UsageError('--ask-sudo-pass needs a terminal to ask on, or FLEET_SUDO_PASSWORD_FILE naming a file that holds the password');
  }
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read FLEET_SUDO_PASSWORD_FILE ${path}: ${(error as Error).message}`);
  });
  return text.replace(/\r?\n$/, '');
}

function promptWithoutEcho(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  let typed = '';
  return new Promise((resolve, reject) => {
    const done = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(() => resolve(typed));
        if (char === '\u0003' || char === '\u0004') return done(() => reject(new UsageError('--ask-sudo-pass: no password given')));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
