import { describe, expect, it } from 'vitest';
import { describeSudoFailure } from './sudo-failure.js';

const attempt = { prompts: 0, lines: [] as string[], askPassword: false, exitCode: 1 };

describe('describeSudoFailure', () => {
  it('calls a second prompt a wrong password, in any language', () => {
    expect(describeSudoFailure({ ...attempt, askPassword: true, prompts: 2, lines: ['Désolé, essayez de nouveau.'] })).toBe(
      'sudo: incorrect password',
    );
  });

  it('tells to add --ask-sudo-pass when sudo -n needs one', () => {
    expect(describeSudoFailure({ ...attempt, lines: ['sudo: a password is required'] })).toBe(
      'sudo: a password is required: add --ask-sudo-pass',
    );
  });

  it('names who may not run as whom, without the command line', () => {
    const lines = ["Sorry, user fleet-test-sudo is not allowed to execute '/bin/sh -c set --", 'exec "$1"\' as root on vm.'];
    expect(describeSudoFailure({ ...attempt, askPassword: true, prompts: 1, lines })).toBe(
      'sudo: fleet-test-sudo is not allowed to run commands as root on this host',
    );
  });

  it('names a user whose rules are all for other hosts, or who is in no rule at all', () => {
    const lines = ['deploy is not allowed to run sudo on web1.  This incident has been reported to the administrator.'];
    expect(describeSudoFailure({ ...attempt, askPassword: true, prompts: 1, lines })).toBe(
      'sudo: deploy is not allowed to run sudo on this host',
    );
    expect(describeSudoFailure({ ...attempt, lines: ['deploy is not in the sudoers file.'] })).toBe(
      'sudo: deploy is not allowed to run sudo on this host',
    );
    expect(describeSudoFailure({ ...attempt, lines: ['Sorry, user deploy may not run sudo on web1.'] })).toBe(
      'sudo: deploy is not allowed to run sudo on this host',
    );
  });

  it("falls back on sudo's own last word, then on the exit status", () => {
    expect(describeSudoFailure({ ...attempt, lines: ['sudo: unknown user nobody2', 'sudo: error initializing audit plugin'] })).toBe(
      'sudo: error initializing audit plugin',
    );
    expect(describeSudoFailure(attempt)).toBe('sudo failed before the command started (exit status 1)');
  });
});
