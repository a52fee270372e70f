import { spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { IS_AGENT_SH } from './node-deploy.js';

const started: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** Runs the shell function on a pid with `shell`, as deploy does on a node. */
function isAgent(shell: string, pid: number) {
  const result = spawnSync(shell, ['-c', `${IS_AGENT_SH}\nagent ${pid}`], { encoding: 'utf8' });
  return { code: result.status, stderr: result.stderr };
}

describe('IS_AGENT_SH', () => {
  it.each(['bash', 'sh'])('with %s, knows a process running the bundle, and says nothing on stderr', (shell) => {
    const agent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)', 'fleet-agent.mjs'], { stdio: 'ignore' });
    started.push(agent);
    expect(isAgent(shell, agent.pid as number)).toEqual({ code: 0, stderr: '' });
  });

  it.each(['bash', 'sh'])('with %s, refuses a live process running something else, and a pid gone', (shell) => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' });
    started.push(other);
    expect(isAgent(shell, other.pid as number)).toEqual({ code: 1, stderr: '' });
    const gone = spawnSync('true').pid;
    expect(isAgent(shell, gone).code).toBe(1);
  });
});
