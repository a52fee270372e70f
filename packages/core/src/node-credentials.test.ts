import { describe, expect, it } from 'vitest';
import { nodeAclLine, nodeAclRules, nodeAclUser, withRedisCredentials } from './node-credentials.js';

describe('node credentials', () => {
  it('names one ACL user per entry, distinct for entries that differ only in user or port', () => {
    expect(nodeAclUser('web1.example.com')).toBe('fleet-node-web1.example.com');
    const names = ['deploy@web1', 'root@web1', 'web1:2222', 'web1_2222', '[::1]:22'].map(nodeAclUser);
    expect(new Set(names).size).toBe(names.length);
    expect(nodeAclUser('deploy@web1')).toMatch(/^fleet-node-deploy_web1-[0-9a-f]{8}$/);
  });

  it("limits the user to fleet's keys and channels, as the README's least-privilege line", () => {
    expect(nodeAclRules('{fleet}', 'pw')).toEqual(['reset', 'on', '>pw', '~{fleet}*', '&{fleet}*', '+@all', '-@dangerous', '+info']);
    expect(nodeAclRules('{a*b}', 'pw')[3]).toBe('~{a\\*b}*');
    expect(nodeAclLine('web1', '{fleet}')).toBe(
      'ACL SETUSER fleet-node-web1 reset on >A-LONG-PASSWORD ~{fleet}* &{fleet}* +@all -@dangerous +info',
    );
  });

  it("puts the node's credentials into the controller's address", () => {
    expect(withRedisCredentials('redis://fleet:secret@10.0.0.5:6379/2', 'fleet-node-web1', 'n/w:p')).toBe(
      'redis://fleet-node-web1:n%2Fw%3Ap@10.0.0.5:6379/2',
    );
    expect(withRedisCredentials('rediss://10.0.0.5', 'u', 'p')).toBe('rediss://u:p@10.0.0.5');
    expect(() => withRedisCredentials('unix:///run/redis.sock', 'u', 'p')).toThrow(/redis:\/\/ or rediss:\/\//);
  });
});
