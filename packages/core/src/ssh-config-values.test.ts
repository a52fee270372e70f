import { describe, expect, it } from 'vitest';
import { jumpHopOrNull as parseJumpHop } from './jump-route.js';
import { parseFleetValue, parseSshPort, parseSshTime } from './ssh-config-values.js';

describe('ssh_config values', () => {
  it('reads times as convtime does', () => {
    expect(parseSshTime('90')).toBe(90);
    expect(parseSshTime('1m30s')).toBe(90);
    expect(parseSshTime('2h')).toBe(7200);
    expect(parseSshTime('5x')).toBeNull();
    expect(parseSshTime('1s2s')).toBeNull();
  });

  it('takes ports 1 to 65535', () => {
    expect(parseSshPort('22')).toBe(22);
    expect(parseSshPort('0')).toBeNull();
    expect(parseSshPort('70000')).toBeNull();
  });

  it('parses jump hops in every form ssh takes', () => {
    expect(parseJumpHop('bastion')).toEqual({ text: 'bastion', user: null, host: 'bastion', port: null });
    expect(parseJumpHop('ops@b:2022')).toEqual({ text: 'ops@b:2022', user: 'ops', host: 'b', port: 2022 });
    expect(parseJumpHop('u@[::1]:7')).toEqual({ text: 'u@[::1]:7', user: 'u', host: '::1', port: 7 });
    expect(parseJumpHop('ssh://u@h:3')).toEqual({ text: 'ssh://u@h:3', user: 'u', host: 'h', port: 3 });
    expect(parseJumpHop('ssh://u;fp=x@h/')).toEqual({ text: 'ssh://u;fp=x@h/', user: 'u', host: 'h', port: null });
    // OpenSSH's parse_uri wants a domain name: not an IPv6 address, no path.
    expect(parseJumpHop('ssh://u@[::1]:22')).toBeNull();
    expect(parseJumpHop('ssh://h/path')).toBeNull();
    expect(parseJumpHop('h:0')).toBeNull();
    expect(parseJumpHop('@h')).toBeNull();
  });

  it("refuses what ssh refuses, in ssh's words", () => {
    expect(() => parseFleetValue('identitiesonly', ['maybe'], 'maybe')).toThrow('unsupported option "maybe"');
    expect(() => parseFleetValue('hostname', ['a', 'b'], 'a b')).toThrow('extra arguments');
    expect(() => parseFleetValue('userknownhostsfile', ['a', 'none'], 'a none')).toThrow('must appear alone');
    expect(() => parseFleetValue('ciphers', ['+nope'], '+nope')).toThrow(/Bad SSH2 cipher spec/);
    expect(() => parseFleetValue('identityagent', ['$1x'], '$1x')).toThrow(/invalid environment name/);
    expect(parseFleetValue('ciphers', ['-nope*'], '-nope*')).toEqual({ kind: 'string', value: '-nope*' });
    expect(parseFleetValue('stricthostkeychecking', ['off'], 'off')).toEqual({ kind: 'strict', value: 'no' });
    expect(parseFleetValue('connecttimeout', ['none'], 'none')).toEqual({ kind: 'unset' });
    expect(parseFleetValue('proxyjump', ['a,b', '#', 'c'], 'a,b # c')).toEqual({ kind: 'string', value: 'a,b' });
  });
});
