import { randomBytes } from 'node:crypto';
import { NodeUploadError } from '@fleet/core';
import type { SFTPWrapper } from 'ssh2';
import type { NodeFile } from './node-file.js';
import type { SshLease } from './ssh/ssh-lease.js';

/** Opens the SFTP subsystem on the lease's connection; rejects where the host has none (`Unable to start subsystem: sftp`). */
export function openSftp(lease: SshLease): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => lease.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))));
}

/** Puts each file in `dir` over SFTP, atomically (see {@link upload}). */
export async function uploadOverSftp(sftp: SFTPWrapper, dir: string, files: readonly NodeFile[]): Promise<void> {
  for (const file of files) {
    const remote = `${dir}/${file.name}`;
    try {
      if ('path' in file.source) await upload(sftp, file.source.path, remote, file.mode);
      else await writeRemote(sftp, remote, file.source.content, file.mode);
    } catch (error) {
      throw new NodeUploadError(`${remote}: ${error instanceof Error ? error.message : String(error)}`, 'sftp');
    }
  }
}

/**
 * Uploads a file atomically: written under a name of its own beside the
 * target, then renamed over it, so a running agent's file is never
 * half-replaced and two uploads never write one partial file.
 */
async function upload(sftp: SFTPWrapper, local: string, remote: string, mode: number): Promise<void> {
  const partial = partialName(remote);
  await new Promise<void>((resolve, reject) => sftp.fastPut(local, partial, { mode }, (error) => (error ? reject(error) : resolve())));
  await renameOver(sftp, partial, remote);
}

/** Writes a file atomically, as `upload` does. */
async function writeRemote(sftp: SFTPWrapper, remote: string, content: string | Buffer, mode: number): Promise<void> {
  const partial = partialName(remote);
  await new Promise<void>((resolve, reject) => sftp.writeFile(partial, content, { mode }, (error) => (error ? reject(error) : resolve())));
  await renameOver(sftp, partial, remote);
}

function partialName(remote: string): string {
  return `${remote}.partial-${randomBytes(4).toString('hex')}`;
}

/**
 * Renames `from` over `to`: OpenSSH's posix-rename where the server has it
 * (atomic, replaces the target); else a plain rename, which fails on some
 * servers when the target exists, so the target is removed and it is tried once more.
 */
function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (error: Error | null | undefined) => (error ? reject(error) : resolve());
    try {
      sftp.ext_openssh_rename(from, to, done);
    } catch {
      sftp.rename(from, to, (error) => {
        if (!error) return resolve();
        sftp.unlink(to, () => sftp.rename(from, to, (again) => (again ? reject(error) : resolve())));
      });
    }
  });
}
