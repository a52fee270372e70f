import { describe, expect, it } from 'vitest';
import { outputFileProblem, privateDirectoryProblem, privateKeyProblem } from './path-safety.js';

const FILE = 0o100000;
const DIR = 0o040000;
const LINK = 0o120000;

describe('privateKeyProblem', () => {
  it('accepts a key of the user own that no one else can read or write', () => {
    expect(privateKeyProblem('/h/k', { uid: 1000, mode: FILE | 0o600 }, 1000)).toBeNull();
    expect(privateKeyProblem('/h/k', { uid: 1000, mode: FILE | 0o400 }, 1000)).toBeNull();
  });

  it('refuses a key others can read or write, with the chmod to run', () => {
    expect(privateKeyProblem('/h/my key', { uid: 1000, mode: FILE | 0o644 }, 1000)).toEqual({
      problem: expect.stringContaining('mode 644') as string,
      hint: "chmod 600 '/h/my key'",
    });
    expect(privateKeyProblem('/h/k', { uid: 1000, mode: FILE | 0o620 }, 1000)?.hint).toBe('chmod 600 /h/k');
  });

  it('refuses a key another user owns', () => {
    expect(privateKeyProblem('/h/k', { uid: 0, mode: FILE | 0o600 }, 1000)?.problem).toMatch(/owned by uid 0, not by you \(uid 1000\)/);
  });
});

describe('privateDirectoryProblem', () => {
  it('accepts a directory of the user own that others may read', () => {
    expect(privateDirectoryProblem('/s', { uid: 1000, mode: DIR | 0o755 }, 1000)).toBeNull();
  });

  it('refuses one another user owns, one others may write (sticky or not), and what is not a directory', () => {
    expect(privateDirectoryProblem('/s', { uid: 1001, mode: DIR | 0o700 }, 1000)?.problem).toMatch(/owned by uid 1001/);
    expect(privateDirectoryProblem('/s', { uid: 1000, mode: DIR | 0o1777 }, 1000)?.hint).toBe('chmod go-w /s');
    expect(privateDirectoryProblem('/s', { uid: 1000, mode: DIR | 0o770 }, 1000)?.problem).toMatch(/mode 770/);
    expect(privateDirectoryProblem('/s', { uid: 1000, mode: FILE | 0o600 }, 1000)?.problem).toBe('is not a directory');
  });
});

describe('outputFileProblem', () => {
  it('accepts a regular file of the user own with one name', () => {
    expect(outputFileProblem({ uid: 1000, mode: FILE | 0o644, nlink: 1 }, 1000)).toBeNull();
  });

  it('refuses links, other users files and what is not a regular file', () => {
    expect(outputFileProblem({ uid: 1000, mode: LINK | 0o777, nlink: 1 }, 1000)?.problem).toMatch(/not a regular file/);
    expect(outputFileProblem({ uid: 1001, mode: FILE | 0o644, nlink: 1 }, 1000)?.problem).toMatch(/owned by uid 1001/);
    expect(outputFileProblem({ uid: 1000, mode: FILE | 0o644, nlink: 2 }, 1000)?.problem).toMatch(/2 names/);
  });
});
