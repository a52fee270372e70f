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
      rekey: false,
    });
  });

  it('does nothing when the same version runs with the recorded sealing key, and upgrades another', () => {
    expect(
      planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.2.0\nrunning=yes\nsealingkey=K1'), controller, {
        recordedSealingKey: 'K1',
      }),
    ).toEqual({ action: 'none', version: '0.2.0' });
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.1.0\nrunning=yes'), controller)).toMatchObject({
      action: 'upgrade',
      from: '0.1.0',
    });
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.2.0'), controller)).toMatchObject({
      action: 'upgrade',
      from: '0.2.0',
    });
  });

  it('installs a current agent again, for a new sealing key, when its key is missing or not the recorded one', () => {
    const current = 'node=/n\nnodeversion=20.19.0\ndeployed=0.2.0\nrunning=yes';
    const again = { action: 'upgrade', from: '0.2.0', rekey: true };
    // Deployed by an earlier fleet, or its key file deleted.
    expect(planDeploy(probe(current), controller, { recordedSealingKey: 'K1' })).toMatchObject(again);
    // A key this machine did not send (or none recorded here).
    expect(planDeploy(probe(`${current}\nsealingkey=K0`), controller, { recordedSealingKey: 'K1' })).toMatchObject(again);
    expect(planDeploy(probe(`${current}\nsealingkey=K0`), controller)).toMatchObject(again);
    // Vouched for by a signing key the user has since replaced.
    const keyed = `${current}\nsealingkey=K1\nsealingvouch=SHA256:old`;
    expect(planDeploy(probe(keyed), controller, { recordedSealingKey: 'K1', signingKeyId: 'SHA256:new' })).toMatchObject(again);
    expect(planDeploy(probe(keyed), controller, { recordedSealingKey: 'K1', signingKeyId: 'SHA256:old' })).toEqual({
      action: 'none',
      version: '0.2.0',
    });
    // An upgrade sends a new key anyway: not a re-key.
    expect(planDeploy(probe('node=/n\nnodeversion=20.19.0\ndeployed=0.1.0\nrunning=yes'), controller)).toMatchObject({ rekey: false });
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
