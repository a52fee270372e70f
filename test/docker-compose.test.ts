import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs where the tests run, so the compose file is checked by
 * reading it, and by `docker compose config` wherever the compose plugin is
 * installed (it needs no engine).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const compose = parse(readFileSync(`${root}/docker-compose.yml`, 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, unknown>;
      profiles?: string[];
      volumes?: string[];
    }
  >;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('runs Redis with AOF and noeviction, on a named volume', () => {
    const redis = compose.services.redis;
    const command = (redis?.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(Object.keys(compose.volumes)).toContain('redis-data');
  });

  it('runs an agent from the repository image against that Redis', () => {
    const agent = compose.services.agent;
    expect(agent?.build).toBe('.');
    expect(agent?.command?.[0]).toBe('agent');
    expect(agent?.environment?.FLEET_REDIS_URL).toBe('redis://redis:6379');
    expect(Object.keys(agent?.depends_on ?? {})).toEqual(['redis']);
    // It trusts the user's public signing key, and is never handed the private one.
    const trusted = agent?.environment?.FLEET_TRUSTED_KEYS;
    expect(agent?.volumes).toContain(`\${HOME}/.config/fleet/signing-key.pub:${trusted}:ro`);
    expect((agent?.volumes ?? []).some((volume) => /signing-key:|\.config\/fleet:/.test(volume))).toBe(false);
    // What it ran and the deployment it pinned outlive the container (no replay after a recreate).
    expect(agent?.volumes).toContain('agent-state:/home/node/.local/state/fleet');
    expect(Object.keys(compose.volumes)).toContain('agent-state');
    const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/^RUN mkdir -p \/home\/node\/\.local\/state\/fleet$/m);
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/ENTRYPOINT \["fleet"\]/);
  });

  it('has a place for SSH hosts that does not start by default', () => {
    const hosts = Object.entries(compose.services).filter(([name]) => !['redis', 'agent'].includes(name));
    expect(hosts.length).toBeGreaterThan(0);
    for (const [, host] of hosts) expect(host.profiles).toEqual(['example-hosts']);
  });

  it('passes docker compose config where the compose plugin is installed', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no compose plugin here: the checks above stand alone
    execFileSync('docker', ['compose', '-f', `${root}/docker-compose.yml`, 'config', '-q'], {
      env: { ...process.env, HOME: '/home/user' },
    });
  });
});
