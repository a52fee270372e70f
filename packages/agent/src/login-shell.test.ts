import { describe, expect, it } from 'vitest';
import { localLoginShell } from './login-shell.js';

describe('localLoginShell', () => {
  it('takes $SHELL first, then the passwd entry, then /bin/sh', () => {
    expect(localLoginShell({ SHELL: '/bin/zsh' }, () => '/bin/bash')).toBe('/bin/zsh');
    expect(localLoginShell({}, () => '/bin/bash')).toBe('/bin/bash');
    expect(localLoginShell({ SHELL: '' }, () => '/bin/dash')).toBe('/bin/dash');
    expect(localLoginShell({}, () => null)).toBe('/bin/sh');
    expect(localLoginShell({}, () => '')).toBe('/bin/sh');
  });
});
