import { uploadOverExec } from './exec-upload.js';
import { openSftp, uploadOverSftp } from './sftp-upload.js';
import type { SshLease } from './ssh/ssh-lease.js';

/** A file deploy puts in a node agent's directory: a local file's content, or content made here (settings, start.sh). */
export interface NodeFile {
  /** Its name in the agent's directory. */
  name: string;
  /** Its permission bits there (0600, or 0700 for what runs). */
  mode: number;
  source: { path: string } | { content: string | Buffer };
}

/**
 * Puts the files in `dir` on the lease's host, each atomically (a name of
 * its own beside its place, then a rename). Over SFTP where the host has the
 * subsystem; where it cannot be started (hardened hosts, the demo fleet),
 * over an exec channel and push's receiver, which needs only a POSIX sh and
 * coreutils or BusyBox. SFTP stays first: it needs nothing of the host's
 * tools (macOS's and FreeBSD's dd lack the receiver's `iflag=fullblock`).
 * Returns how the files went.
 */
export async function putNodeFiles(lease: SshLease, dir: string, files: readonly NodeFile[]): Promise<'sftp' | 'exec'> {
  const sftp = await openSftp(lease).catch(() => null);
  if (sftp === null) {
    await uploadOverExec(lease, dir, files);
    return 'exec';
  }
  try {
    await uploadOverSftp(sftp, dir, files);
    return 'sftp';
  } finally {
    sftp.end();
  }
}
