import { execFile } from 'node:child_process';

/**
 * `cmp A B`: '' when the two files hold the same bytes, else what cmp says
 * (the first byte that differs, or which one ended first), for a message that
 * shows where.
 */
export function cmp(a: string, b: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('cmp', [a, b], (error, stdout, stderr) => {
      if (error === null) resolve('');
      else if (error.code === 1) resolve(`${stdout}${stderr}`.trim());
      else reject(new Error(`cmp ${a} ${b} failed: ${stderr || error.message}`, { cause: error }));
    });
  });
}
