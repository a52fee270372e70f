import { userInfo } from 'node:os';

/** The passwd entry's shell of the user this process runs as, or null when there is none. */
function passwdShell(): string | null {
  try {
    return userInfo().shell;
  } catch {
    return null; // no passwd entry for this uid (a container's arbitrary user)
  }
}

/**
 * The shell that runs a command line on this machine, as sshd would pick it for
 * this user: `$SHELL`, else the passwd entry's shell, else /bin/sh. So the
 * `localhost` entry and `fleet start` parse a line as a host reached over SSH
 * does, with the user's own shell.
 */
export function localLoginShell(env: NodeJS.ProcessEnv = process.env, lookUp: () => string | null = passwdShell): string {
  const fromEnv = env.SHELL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const fromPasswd = lookUp();
  return fromPasswd !== null && fromPasswd !== '' ? fromPasswd : '/bin/sh';
}
