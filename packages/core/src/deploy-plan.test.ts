import { describe, expect, it } from 'vitest';
import { parseNodeProbe, planDeploy } from './deploy-plan.js';
import { DeployRefused } from './errors.js';

const controller = { platform: 'linux', arch: 'x64', version: '0.2.0' };
const probe = (lines: string) => parseNodeProbe(`os=Linux\narch=x86_64\nhome=/home/a\nsystemd=no\n${lines}`);

describe('planDeploy', () => {
  it('installs with the node’s own Node.js 20+', () => {
    expect(planDeploy(probe('node=/usr/bin/node\nnodeversion=22.1.0'), controller)).toEqual({
      action: 'install',
      from: null,
      shipNode: false,
      systemd: false,
    });
  });

  it('does nothing when the same version runs, and upgrades another', () => {
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.2.0\nrunning=yes'), controller)).toEqual({
      action: 'none',
      version: '0.2.0',
    });
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.1.0\nrunning=yes'), controller)).toMatchObject({
      action: 'upgrade',
      from: '0.1.0',
    });
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.2.0'), controller)).toMatchObject({
      action: 'upgrade',
      from: '0.2.0',
    });
  });

  it('ships this machine’s Node when the node has none or an old one, on the same OS and CPU', () => {
    expect(planDeploy(probe('node=/n\nnodeversion=18.20.0'), controller)).toMatchObject({ shipNode: true });
    expect(planDeploy(probe(''), controller)).toMatchObject({ shipNode: true });
  });

  it('refuses, saying why, when it cannot ship Node to another OS or CPU', () => {
    const arm = parseNodeProbe('os=Linux\narch=aarch64\nhome=/h\nsystemd=yes\n');
    expect(() => planDeploy(arm, controller)).toThrow(DeployRefused);
    expect(() => planDeploy(arm, controller)).toThrow(/Linux aarch64\) differs from this machine's \(linux x64\).*install Node.js 20\+/);
  });
});
