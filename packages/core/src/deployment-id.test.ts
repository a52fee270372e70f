import { describe, expect, it } from 'vitest';
import { checkDeploymentName, deploymentStep } from './deployment-id.js';

const fresh = () => 'new';

describe('deployment ids', () => {
  it('pin the id Redis holds on first sight, and use it once pinned', () => {
    expect(deploymentStep('abc', null, fresh)).toEqual({ kind: 'use', id: 'abc', pin: true });
    expect(deploymentStep('abc', 'abc', fresh)).toEqual({ kind: 'use', id: 'abc', pin: false });
  });

  it('refuse an id in Redis other than the pin', () => {
    expect(deploymentStep('evil', 'abc', fresh)).toEqual({ kind: 'mismatch', inRedis: 'evil', pinned: 'abc' });
  });

  it('offer the pin back to a Redis that lost its id, and a new id to a Redis never used', () => {
    expect(deploymentStep(null, 'abc', fresh)).toEqual({ kind: 'offer', id: 'abc' });
    expect(deploymentStep(null, null, fresh)).toEqual({ kind: 'offer', id: 'new' });
  });

  it('take names of one printable word', () => {
    expect(checkDeploymentName('prod-eu', 'FLEET_DEPLOYMENT')).toBe('prod-eu');
    expect(() => checkDeploymentName('prod eu', 'FLEET_DEPLOYMENT')).toThrow(/^FLEET_DEPLOYMENT "prod eu" is not a deployment name/);
    expect(() => checkDeploymentName('', 'FLEET_DEPLOYMENT')).toThrow(/not a deployment name/);
  });
});
