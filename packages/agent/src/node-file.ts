import { NodeUploadError } from '@fleet/core';
import { uploadOverExec, type HashCache } from './exec-upload.js';
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
 * Returns how the files went. SFTP failing another way (not refused) is
 * tried over exec too; if that fails as well, its error says what SFTP said.
 */
export async function putNodeFiles(
  lease: SshLease,
  dir: string,
  files: readonly NodeFile[],
  /** Shared by the nodes of one deploy: each local file is hashed once. */
  hashed: HashCache = new Map(),
): Promise<'sftp' | 'exec'> {
  const opened = await openSftp(lease).then(
    (sftp) => ({ sftp }),
    (error: unknown) => ({ error }),
  );
  if ('error' in opened) {
    await uploadOverExec(lease, dir, files, hashed).catch((execError: unknown) => {
      throw withSftpReason(execError, opened.error);
    });
    return 'exec';
  }
  const { sftp } = opened;
  try {
    await uploadOverSftp(sftp, dir, files);
    return 'sftp';
  } finally {
    sftp.end();
  }
}

/**
 * Whether the host refused the SFTP subsystem (none configured, or its
 * channel prohibited): the one SFTP failure that says nothing but "use exec".
 */
export function sftpRefused(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // ssh2: a failed subsystem request, or a channel the server would not open (it sets a numeric reason).
  return error.message.startsWith('Unable to start subsystem') || typeof (error as { reason?: unknown }).reason === 'number';
}

/** The exec fallback's failure, with SFTP's own reason beside it when SFTP failed otherwise than by being refused. */
export function withSftpReason(execError: unknown, sftpError: unknown): unknown {
  if (sftpRefused(sftpError) || !(execError instanceof NodeUploadError)) return execError;
  const said = sftpError instanceof Error ? sftpError.message : String(sftpError);
  return new NodeUploadError(`${execError.reason} (SFTP, tried first, failed too: ${said})`, 'exec');
}
