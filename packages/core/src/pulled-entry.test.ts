import { describe, expect, it } from 'vitest';
import { parsePulledEntry, pulledPathProblem } from './pulled-entry.js';

const manifest = { size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', chunks: [] };

describe('names a pull may write under LOCAL_DIR/HOST', () => {
  it.each([
    ['', 'its name is empty'],
    ['/etc/passwd', 'its name is absolute'],
    ['../x', 'its name has a ".." component'],
    ['a/../../x', 'its name has a ".." component'],
    ['a/./b', 'its name has a "." component'],
    ['a//b', 'its name has an empty component'],
    ['a/', 'its name has an empty component'],
    ['new\nline', 'its name holds a control character (a newline, a tab...)'],
    ['tab\there', 'its name holds a control character (a newline, a tab...)'],
    ['del\u007f', 'its name holds a control character (a newline, a tab...)'],
  ])('refuses %j', (path, problem) => {
    expect(pulledPathProblem(path)).toBe(problem);
  });

  it.each(['app.log', 'a b/"c\' é ☃', '..hidden', 'x/.y/z...'])('takes %j', (path) => {
    expect(pulledPathProblem(path)).toBeNull();
  });
});

describe('a record as the writer reads it from Redis', () => {
  it('takes a file, a directory and a link', () => {
    expect(parsePulledEntry(JSON.stringify({ path: 'a', type: 'file', mode: 0o644, mtime: 1, manifest }))).toEqual({
      path: 'a',
      type: 'file',
      mode: 0o644,
      mtime: 1,
      manifest,
    });
    expect(parsePulledEntry(JSON.stringify({ path: 'd', type: 'dir', mode: 0o755, mtime: 1 }))).toMatchObject({ type: 'dir' });
    expect(parsePulledEntry(JSON.stringify({ path: 'l', type: 'symlink', mode: 0o777, mtime: 1, target: '/etc/x' }))).toMatchObject({
      target: '/etc/x',
    });
  });

  it.each([
    [null, 'its record is missing'],
    ['{', 'its record is not JSON'],
    ['"x"', 'its record is not an object'],
    [JSON.stringify({ path: '../../x', type: 'file', mode: 0o644, mtime: 1, manifest }), 'its name has a ".." component'],
    [
      JSON.stringify({ path: 'a', type: 'file', mode: 0o644, mtime: 1, manifest: { ...manifest, chunks: ['../x'] } }),
      'its content manifest is not one',
    ],
    [JSON.stringify({ path: 'a', type: 'file', mode: -1, mtime: 1, manifest }), 'its mode is not a mode'],
    [JSON.stringify({ path: 'a', type: 'symlink', mode: 0o777, mtime: 1, target: '' }), 'its link target is not a name'],
    [JSON.stringify({ path: 'a', type: 'fifo', mode: 0o644, mtime: 1 }), 'its type is not a file, a directory or a symbolic link'],
  ])('refuses %s', (text, problem) => {
    expect(parsePulledEntry(text)).toBe(problem);
  });
});
