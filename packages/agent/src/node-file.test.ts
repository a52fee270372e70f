import { NodeUploadError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { sftpRefused, withSftpReason } from './node-file.js';

/** What ssh2 gives when the server will not open a channel: a numeric reason beside the message. */
function channelRefused(): Error {
  return Object.assign(new Error('(SSH) Channel open failure: administratively prohibited'), { reason: 1 });
}

describe('putNodeFiles: the exec fallback', () => {
  it('takes a refused subsystem or channel for "no SFTP here", and nothing else', () => {
    expect(sftpRefused(new Error('Unable to start subsystem: sftp'))).toBe(true);
    expect(sftpRefused(channelRefused())).toBe(true);
    expect(sftpRefused(new Error('Not connected'))).toBe(false);
    expect(sftpRefused('what')).toBe(false);
  });

  it("keeps SFTP's own reason when SFTP failed otherwise and exec failed too", () => {
    const execFailed = new NodeUploadError('/h/agent.env: cannot write', 'exec');
    const sftpFailed = new Error('Not connected');
    const both = withSftpReason(execFailed, sftpFailed);
    expect(both).toBeInstanceOf(NodeUploadError);
    expect((both as Error).message).toBe(
      "could not write the agent's files on the node (over an exec channel): /h/agent.env: cannot write (SFTP, tried first, failed too: Not connected)",
    );
    // Refused: only exec's reason means anything.
    expect(withSftpReason(execFailed, new Error('Unable to start subsystem: sftp'))).toBe(execFailed);
  });
});
