import { OPENSSH_DEFAULT_ALGORITHMS, SshConnectError, type SshOptions } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { keyTypeAccepted, preferKnownKeyTypes, ssh2Algorithms, ssh2ConnectParts, ssh2Keepalive } from './ssh2-connect-config.js';
import { optionsWithoutConfig } from './ssh-options.fixture.js';
import { SSH2_SUPPORTED_ALGORITHMS } from './ssh2-supported-algorithms.js';

/** The options ssh_config gives a host with no ssh_config at all, with some replaced. */
const defaults = await optionsWithoutConfig('web1', 'deploy', '/home/deploy');
function options(overrides: Partial<SshOptions> = {}): SshOptions {
  return { ...defaults, hostName: '127.0.1.1', ...overrides };
}

const SUPPORTED = {
  kex: ['ecdh-sha2-nistp256', 'curve25519-sha256', 'diffie-hellman-group14-sha1'],
  cipher: ['aes128-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr', 'aes256-cbc'],
  serverHostKey: ['ssh-ed25519', 'rsa-sha2-512', 'ssh-rsa'],
  hmac: ['hmac-sha2-256', 'hmac-sha2-256-etm@openssh.com', 'hmac-md5'],
};

describe('ssh2Algorithms', () => {
  it("keeps OpenSSH's order and drops what ssh2 lacks (certificates, sntrup, umac)", () => {
    expect(ssh2Algorithms(options(), SUPPORTED)).toEqual({
      kex: ['curve25519-sha256', 'ecdh-sha2-nistp256'],
      cipher: ['aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com'],
      serverHostKey: ['ssh-ed25519', 'rsa-sha2-512'],
      hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
    });
  });

  it('offers a legacy algorithm only when ssh_config adds it', () => {
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, ciphers: ['aes256-cbc', 'aes128-ctr'] };
    expect(ssh2Algorithms(options({ algorithms }), SUPPORTED).cipher).toEqual(['aes256-cbc', 'aes128-ctr']);
  });

  it('refuses before dialling when a list is left empty, naming the keyword and what ssh2 offers', () => {
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, kexAlgorithms: ['sntrup761x25519-sha512@openssh.com'] };
    let error: unknown;
    try {
      ssh2Algorithms(options({ algorithms }), SUPPORTED);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SshConnectError);
    expect((error as SshConnectError).kind).toBe('no-common-algorithm');
    expect((error as Error).message).toBe(
      "KexAlgorithms for web1 leaves nothing fleet's SSH library (ssh2) implements " +
        '(KexAlgorithms sntrup761x25519-sha512@openssh.com; ssh2 offers ecdh-sha2-nistp256,curve25519-sha256,diffie-hellman-group14-sha1)',
    );
  });

  it("leaves something of every OpenSSH default list with this machine's ssh2", () => {
    const lists = ssh2Algorithms(options(), SSH2_SUPPORTED_ALGORITHMS);
    for (const list of [lists.kex, lists.cipher, lists.serverHostKey, lists.hmac]) expect(list.length).toBeGreaterThan(0);
    expect(lists.cipher).toContain('aes256-ctr');
  });
});

describe('ssh2Keepalive', () => {
  const fleet = { intervalMs: 5000, countMax: 3 };

  it('takes ServerAliveInterval and ServerAliveCountMax when the interval is set', () => {
    expect(ssh2Keepalive(options({ serverAliveIntervalMs: 15_000, serverAliveCountMax: 5 }), fleet)).toEqual({
      keepaliveInterval: 15_000,
      keepaliveCountMax: 5,
    });
  });

  it("keeps fleet's keepalive when ServerAliveInterval is 0 (ssh's off)", () => {
    expect(ssh2Keepalive(options({ serverAliveIntervalMs: 0, serverAliveCountMax: 9 }), fleet)).toEqual({
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
    });
  });

  it('goes into the connect parts with the algorithms', () => {
    const parts = ssh2ConnectParts(options({ serverAliveIntervalMs: 1000 }), fleet, SUPPORTED);
    expect(parts.keepaliveInterval).toBe(1000);
    expect(parts.algorithms.kex).toEqual(['curve25519-sha256', 'ecdh-sha2-nistp256']);
  });
});

describe('host key algorithms, as ssh orders them', () => {
  const fleet = { intervalMs: 5000, countMax: 3 };

  it('puts the types known_hosts holds for the host first, keeping the order within each part', () => {
    expect(preferKnownKeyTypes(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'], ['ssh-rsa'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
    ]);
    expect(preferKnownKeyTypes(['ssh-ed25519', 'ecdsa-sha2-nistp256'], [])).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('does so only while HostKeyAlgorithms is left at its default', () => {
    const known = ['ecdsa-sha2-nistp256'];
    expect(ssh2ConnectParts(options(), fleet, SSH2_SUPPORTED_ALGORITHMS, known).algorithms.serverHostKey[0]).toBe('ecdsa-sha2-nistp256');
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, hostKeyAlgorithms: ['ssh-ed25519', 'ecdsa-sha2-nistp256'] };
    expect(ssh2ConnectParts(options({ algorithms }), fleet, SSH2_SUPPORTED_ALGORITHMS, known).algorithms.serverHostKey).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
    ]);
  });
});

describe("lists left at OpenSSH's default", () => {
  const fleet = { intervalMs: 5000, countMax: 3 };
  const ssh2Defaults = {
    kex: ['curve25519-sha256'],
    cipher: ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'],
    serverHostKey: ['ssh-ed25519'],
    hmac: ['hmac-sha2-256'],
  };

  it("are ssh2's own defaults, in its order; a list ssh_config sets is kept in ssh_config's order", () => {
    expect(ssh2ConnectParts(options(), fleet, SUPPORTED, [], ssh2Defaults).algorithms).toEqual(ssh2Defaults);
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, ciphers: ['aes256-ctr', 'aes128-ctr'] };
    const parts = ssh2ConnectParts(options({ algorithms }), fleet, SUPPORTED, [], ssh2Defaults);
    expect(parts.algorithms.cipher).toEqual(['aes256-ctr', 'aes128-ctr']);
    expect(parts.algorithms.kex).toEqual(['curve25519-sha256']);
  });
});

describe('keyTypeAccepted', () => {
  it('lets a key type through by its name, and RSA keys by any RSA signature algorithm', () => {
    expect(keyTypeAccepted('ssh-ed25519', ['ssh-ed25519', 'rsa-sha2-512'])).toBe(true);
    expect(keyTypeAccepted('ecdsa-sha2-nistp256', ['ssh-ed25519'])).toBe(false);
    expect(keyTypeAccepted('ssh-rsa', ['rsa-sha2-512'])).toBe(true);
    expect(keyTypeAccepted('ssh-rsa', ['ssh-ed25519'])).toBe(false);
  });
});
