import { describe, expect, it } from 'vitest';
import { resolveJobRequest } from './job-request.js';
import { parseJobSelector } from './job-selector.js';
import { resolveSettings } from './settings.js';

describe('resolveSettings', () => {
  it('applies the defaults', () => {
    const settings = resolveSettings({ env: {}, homeDir: '/home/a' });
    expect(settings).toMatchObject({ redisUrl: null, prefix: '{fleet}', retentionMs: 7 * 86400_000, maxOutputBytes: 16 * 1024 * 1024 });
    expect(settings.maxStdinBytes).toBe(16 * 1024 * 1024);
    expect(settings.stateDir).toBe('/home/a/.local/state/fleet');
  });

  it('reads the environment, and --redis wins', () => {
    const settings = resolveSettings({
      env: { FLEET_REDIS_URL: 'redis://a:1', FLEET_RETENTION: '2h', FLEET_MAX_OUTPUT: '1M', FLEET_MAX_STDIN: '2K', XDG_STATE_HOME: '/s' },
      homeDir: '/h',
      redisUrl: 'rediss://b:2',
    });
    expect(settings).toMatchObject({ redisUrl: 'rediss://b:2', retentionMs: 7200_000, maxOutputBytes: 1048576, stateDir: '/s/fleet' });
    expect(settings.maxStdinBytes).toBe(2048);
  });

  it('keeps the signing key and the trusted keys in the config directory, unless told otherwise', () => {
    expect(resolveSettings({ env: {}, homeDir: '/h' })).toMatchObject({
      signingKeyPath: '/h/.config/fleet/signing-key',
      trustedKeysPath: '/h/.config/fleet/trusted-keys',
      signatureTtlMs: 86400_000,
    });
    expect(
      resolveSettings({ env: { XDG_CONFIG_HOME: '/c', FLEET_TRUSTED_KEYS: '/t', FLEET_SIGNATURE_TTL: '2h' }, homeDir: '/h' }),
    ).toMatchObject({ signingKeyPath: '/c/fleet/signing-key', trustedKeysPath: '/t', signatureTtlMs: 7200_000 });
    expect(() => resolveSettings({ env: { FLEET_SIGNATURE_TTL: 'later' }, homeDir: '/h' })).toThrow(/FLEET_SIGNATURE_TTL/);
  });

  it('reads the event heartbeat (a test setting), 15 s by default', () => {
    expect(resolveSettings({ env: {}, homeDir: '/h' }).eventHeartbeatMs).toBe(15_000);
    expect(resolveSettings({ env: { FLEET_EVENT_HEARTBEAT: '1s' }, homeDir: '/h' }).eventHeartbeatMs).toBe(1000);
    for (const bad of ['soon', '0'])
      expect(() => resolveSettings({ env: { FLEET_EVENT_HEARTBEAT: bad }, homeDir: '/h' })).toThrow(/FLEET_EVENT_HEARTBEAT/);
  });

  it('takes the deployment from FLEET_DEPLOYMENT, else none (the id kept in Redis)', () => {
    expect(resolveSettings({ env: {}, homeDir: '/h' }).deployment).toBeNull();
    expect(resolveSettings({ env: { FLEET_DEPLOYMENT: 'prod-eu' }, homeDir: '/h' }).deployment).toBe('prod-eu');
    expect(() => resolveSettings({ env: { FLEET_DEPLOYMENT: 'prod;eu' }, homeDir: '/h' })).toThrow(/FLEET_DEPLOYMENT/);
  });

  it('refuses malformed values with the variable named', () => {
    expect(() => resolveSettings({ env: { FLEET_RETENTION: 'soon' }, homeDir: '/h' })).toThrow(/FLEET_RETENTION/);
    expect(() => resolveSettings({ env: { FLEET_REDIS_URL: 'http://x' }, homeDir: '/h' })).toThrow(/redis:\/\//);
  });

  it('refuses a malformed Redis URL or seed list without quoting its password', () => {
    for (const url of ['http://fleet:s3cret@h', 'redis://fleet:s3cret@h:notaport', 'redis://fleet:s3cr%et@h', 'redis://fleet:s3 cret@[h']) {
      expect(() => resolveSettings({ env: { FLEET_REDIS_URL: url }, homeDir: '/h' }), url).toThrow(
        /Redis URL "redis:\/\/fleet:\*\*\*@|Redis URL "http:\/\/fleet:\*\*\*@/,
      );
      expect(() => resolveSettings({ env: {}, homeDir: '/h', redisUrl: url }), url).not.toThrow(/s3/);
    }
    expect(() => resolveSettings({ env: { FLEET_REDIS_CLUSTER: 'http://fleet:s3cret@h:1' }, homeDir: '/h' })).toThrow(/fleet:\*\*\*@/);
  });
});

describe('resolveJobRequest', () => {
  it('applies defaults and converts seconds', () => {
    const request = resolveJobRequest({
      type: 'process',
      command: { kind: 'shell', line: 'true' },
      env: ['A=1', 'B=x=y'],
      timeoutSeconds: 1.5,
    });
    expect(request).toMatchObject({
      name: null,
      throttle: 32,
      run: { workdir: null, env: { A: '1', B: 'x=y' }, timeoutMs: 1500, connectTimeoutMs: null },
    });
  });

  it('refuses an empty command, bad env and names that look like ids', () => {
    expect(() => resolveJobRequest({ type: 'process', command: { kind: 'shell', line: '  ' } })).toThrow(/empty/);
    expect(() => resolveJobRequest({ type: 'process', command: { kind: 'shell', line: 'x' }, env: ['1A=2'] })).toThrow(/NAME=VALUE/);
    expect(() => resolveJobRequest({ type: 'process', command: { kind: 'shell', line: 'x' }, name: '42' })).toThrow(/looks like an id/);
    expect(() => resolveJobRequest({ type: 'remote', command: { kind: 'shell', line: 'x' }, hosts: [] })).toThrow(/no hosts/);
  });

  it('parses job selectors', () => {
    expect(parseJobSelector('7')).toEqual({ kind: 'id', id: 7 });
    expect(parseJobSelector('backup')).toEqual({ kind: 'name', name: 'backup' });
  });
});
