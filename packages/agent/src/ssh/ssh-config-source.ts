import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import {
  globRegExp,
  parseSshConfigFile,
  resolveSshConfig,
  type ResolvedSshConfig,
  type SshConfigDirective,
  type SshConfigFiles,
  type SshConfigIo,
  type SshConfigQuery,
  type SshConfigWarning,
  type SshLocalContext,
} from '@fleet/core';

/** Where OpenSSH reads its system-wide client configuration. */
export const SYSTEM_SSH_CONFIG = '/etc/ssh/ssh_config';

/** The files ssh would read for this environment: FLEET_SSH_CONFIG as `ssh -F`, else ~/.ssh/config then the system file. */
export function sshConfigFiles(env: NodeJS.ProcessEnv, systemFile = SYSTEM_SSH_CONFIG): SshConfigFiles {
  const named = env.FLEET_SSH_CONFIG || null;
  return { userFile: named ?? join(homedir(), '.ssh', 'config'), named: named !== null, systemFile };
}

/** The local side of resolution: fleet's $HOME (not the passwd home: see README), user, uid, host name. */
export function localSshContext(env: NodeJS.ProcessEnv): SshLocalContext {
  const user = userInfo();
  return { localUser: user.username, uid: user.uid, homeDir: homedir(), localHost: hostname(), env };
}

/**
 * A file's identity for "has it changed": modification time, size, inode;
 * 'missing' when absent. Synchronous on purpose: a stat is a few
 * microseconds, while an asynchronous one waits its turn in libuv's thread
 * pool, and a fan-out makes a thousand of them at once (bench/ssh-config-resolve.mjs).
 */
function stampOf(path: string): string {
  const info = statSync(path, { throwIfNoEntry: false });
  return info === undefined ? 'missing' : `${info.mtimeMs}:${info.size}:${info.ino}`;
}

/** glob(3) as ssh calls it for Include: `*`, `?` in any component, no dot files unless asked, sorted byte-wise. */
function globPaths(pattern: string, watched: Set<string>): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : '.'];
  for (const [index, part] of parts.entries()) {
    if (index === 0 && part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      watched.add(base);
      let names: string[] = [];
      try {
        names = readdirSync(base);
      } catch {
        // An unreadable or missing directory matches nothing, as in glob(3).
      }
      const regExp = globRegExp(part);
      for (const name of names) if ((!name.startsWith('.') || part.startsWith('.')) && regExp.test(name)) next.push(join(base, name));
    }
    bases = next;
  }
  return bases.filter((path) => stampOf(path) !== 'missing').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Runs a Match exec command as ssh does: `/bin/sh -c`, stdin from /dev/null, output discarded; exit 0 matches. */
function execMatches(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

interface CachedResolution {
  /** Every file read and every directory globbed, with its stamp then. */
  stamps: Map<string, string>;
  result: Promise<ResolvedSshConfig>;
}

/**
 * Resolves host entries through ssh_config with two caches: each file parsed
 * once while it is unchanged, and each entry's resolution kept while every
 * file it read (included ones too) and every directory it globbed are
 * unchanged, so a fan-out to a thousand hosts parses nothing twice.
 */
export class SshConfigResolver {
  private readonly parsed = new Map<string, { stamp: string; directives: readonly SshConfigDirective[] | null }>();
  private readonly resolutions = new Map<string, CachedResolution>();
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (warning: SshConfigWarning) => void = () => {}) {}

  async resolve(query: SshConfigQuery, files: SshConfigFiles, local: SshLocalContext): Promise<ResolvedSshConfig> {
    const key = JSON.stringify([query, files, local.homeDir, local.localUser, local.env.SSH_AUTH_SOCK ?? null]);
    const cached = this.resolutions.get(key);
    if (cached !== undefined && this.unchanged(cached.stamps)) return cached.result;
    const stamps = new Map<string, string>();
    // A resolution that ran a Match exec depends on more than files: it is not kept.
    let ranCommand = false;
    const io: SshConfigIo = {
      read: async (path) => {
        const stamp = stampOf(path);
        stamps.set(path, stamp);
        return this.read(path, stamp);
      },
      glob: (pattern) => {
        const watched = new Set<string>();
        const paths = globPaths(pattern, watched);
        for (const directory of watched) stamps.set(directory, stampOf(directory));
        if (!/[*?[]/.test(pattern)) stamps.set(dirname(pattern), stampOf(dirname(pattern)));
        return Promise.resolve(paths);
      },
      exec: (command) => {
        ranCommand = true;
        return execMatches(command);
      },
    };
    const result = resolveSshConfig(query, files, io, local, (warning) => this.warnOnce(warning));
    const entry = { stamps, result };
    this.resolutions.set(key, entry);
    try {
      await result;
    } catch (error) {
      this.resolutions.delete(key);
      throw error;
    }
    if (ranCommand) this.resolutions.delete(key);
    return result;
  }

  /** A skipped line is said once, not once per host. */
  private warnOnce(warning: SshConfigWarning): void {
    const key = `${warning.file}:${warning.line}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(warning);
  }

  private async read(path: string, stamp: string): Promise<readonly SshConfigDirective[] | null> {
    const cached = this.parsed.get(path);
    if (cached?.stamp === stamp) return cached.directives;
    const text = stamp === 'missing' ? null : await readFile(path, 'utf8').catch(() => null);
    const directives = text === null ? null : parseSshConfigFile(text, path);
    this.parsed.set(path, { stamp, directives });
    return directives;
  }

  private unchanged(stamps: Map<string, string>): boolean {
    for (const [path, stamp] of stamps) if (stampOf(path) !== stamp) return false;
    return true;
  }
}
