import { describe, expect, it } from 'vitest';
import { SshConfigError } from './errors.js';
import { formatSshGLines } from './ssh-config-dump.js';
import { parseSshConfigFile } from './ssh-config-file.js';
import { resolveSshConfig, type SshConfigWarning } from './ssh-config-resolve.js';
import { globRegExp } from './glob.js';

const local = {
  localUser: 'me',
  uid: 1000,
  homeDir: '/home/me',
  localHost: 'box.example.org',
  env: { SSH_AUTH_SOCK: '/run/agent', SOCKS: '/s' },
};

/** An in-memory file system: path to text. */
function io(files: Record<string, string>, exec: (command: string) => boolean = () => false) {
  const commands: string[] = [];
  return {
    commands,
    io: {
      read: (path: string) => Promise.resolve(path in files ? parseSshConfigFile(files[path] as string, path) : null),
      glob: (pattern: string) =>
        Promise.resolve(
          Object.keys(files)
            .filter((path) => globRegExp(pattern).test(path))
            .sort(),
        ),
      exec: (command: string) => {
        commands.push(command);
        return Promise.resolve(exec(command));
      },
    },
  };
}

async function resolve(
  files: Record<string, string>,
  host: string,
  more: { user?: string; port?: number; named?: boolean; exec?: (c: string) => boolean } = {},
) {
  const warnings: SshConfigWarning[] = [];
  const fake = io(files, more.exec);
  const resolved = await resolveSshConfig(
    { host, user: more.user ?? null, port: more.port ?? null },
    { userFile: '/home/me/.ssh/config', named: more.named ?? false, systemFile: '/etc/ssh/ssh_config' },
    fake.io,
    local,
    (warning) => warnings.push(warning),
  );
  return { ...resolved, warnings, commands: fake.commands };
}

describe('resolveSshConfig', () => {
  it('takes the first value of each keyword, accumulates IdentityFile, and reads the system file after the user file', async () => {
    const { options } = await resolve(
      {
        '/home/me/.ssh/config':
          'Host web* !web9\n  HostName %h.example.com\n  User deploy\n  IdentityFile ~/.ssh/web_key\nHost web1\n  User other\n  IdentityFile=/keys/%r@%h\n',
        '/etc/ssh/ssh_config': 'Host *\n  Port 2222\n  User fallback\n  IdentityFile ~/.ssh/id_ed25519\n',
      },
      'web1',
    );
    expect(options).toMatchObject({
      hostName: 'web1.example.com',
      user: 'deploy',
      port: 2222,
      identityFiles: ['/home/me/.ssh/web_key', '/keys/deploy@web1.example.com', '/home/me/.ssh/id_ed25519'],
    });
  });

  it('lets user@ and :port win, and prints ssh -G defaults', async () => {
    const { options, sshG } = await resolve({}, 'DB', { user: 'root', port: 2200 });
    expect(options).toMatchObject({ hostName: 'db', user: 'root', port: 2200, strictHostKeyChecking: 'ask', identityAgent: '/run/agent' });
    const text = formatSshGLines(sshG);
    expect(text).toContain('identityfile ~/.ssh/id_rsa\n');
    expect(text).toContain('userknownhostsfile /home/me/.ssh/known_hosts /home/me/.ssh/known_hosts2\n');
    expect(text).toContain('connecttimeout none\n');
  });

  it('matches Host patterns with the case as typed', async () => {
    const files = { '/home/me/.ssh/config': 'Host web1\n  Port 99\nHost WEB1\n  Port 98\n' };
    expect((await resolve(files, 'WEB1')).options.port).toBe(98);
    expect((await resolve(files, 'web1')).options.port).toBe(99);
  });

  it('follows Include relative to ~/.ssh, in glob order, only inside its block', async () => {
    const { options } = await resolve(
      {
        '/home/me/.ssh/config': 'Host a\n  Include conf.d/*.conf\nHost *\n  User last\n',
        '/home/me/.ssh/conf.d/20.conf': 'Port 20\nIdentityFile /twenty\n',
        '/home/me/.ssh/conf.d/10.conf': 'IdentityFile /ten\nMatch all\n  HostKeyAlias ten\n',
      },
      'a',
    );
    expect(options).toMatchObject({ identityFiles: ['/ten', '/twenty'], port: 20, hostKeyAlias: 'ten', user: 'last' });
    const other = await resolve({ '/home/me/.ssh/config': 'Host a\n  Include x\n', '/home/me/.ssh/x': 'Port 3\n' }, 'b');
    expect(other.options.port).toBe(22);
  });

  it('refuses an include cycle and an unknown keyword, naming file and line', async () => {
    const cycle = resolve({ '/home/me/.ssh/config': '\nInclude other\n', '/home/me/.ssh/other': 'Include config\n' }, 'a');
    await expect(cycle).rejects.toThrow(SshConfigError);
    await expect(cycle).rejects.toThrow(/\/home\/me\/.ssh\/other line 1: Include \/home\/me\/.ssh\/config makes a cycle/);
    await expect(resolve({ '/home/me/.ssh/config': 'Host x\n  Bogus 1\n' }, 'a')).rejects.toThrow(
      /config line 2: Bad configuration option: bogus/,
    );
    await expect(resolve({ '/home/me/.ssh/config': 'IgnoreUnknown bog*\nBogus 1\n' }, 'a')).resolves.toBeDefined();
    await expect(resolve({ '/home/me/.ssh/config': 'Host x\n  Port 0\n' }, 'a')).rejects.toThrow(/line 2: bad port/);
    await expect(resolve({ '/home/me/.ssh/config': 'Port\n' }, 'a')).rejects.toThrow(/line 1: no argument/);
  });

  it('refuses includes nested more than 16 deep, as ssh does', async () => {
    const chain = (depth: number) =>
      Object.fromEntries(
        Array.from({ length: depth + 1 }, (_, i) => [
          i === 0 ? '/home/me/.ssh/config' : `/c/${i}`,
          i === depth ? 'Port 2\n' : `Include /c/${i + 1}\n`,
        ]),
      );
    await expect(resolve(chain(16), 'a')).resolves.toMatchObject({ options: { port: 2 } });
    await expect(resolve(chain(17), 'a')).rejects.toThrow(/\/c\/16 line 1: Too many recursive configuration includes/);
  });

  it('evaluates Match criteria, negation, exec with tokens, and skips a criterion it does not evaluate with a warning', async () => {
    const files = {
      '/home/me/.ssh/config': [
        'Match host *.lan !user root',
        '  Port 1',
        'Match originalhost db exec "test %h = %n"',
        '  Port 2',
        'Match localnetwork 10.0.0.0/8',
        '  Port 3',
        'Match localuser me',
        '  User someone',
      ].join('\n'),
    };
    expect((await resolve(files, 'x.lan')).options.port).toBe(1);
    const db = await resolve(files, 'db', { exec: (command) => command === 'test db = db' });
    expect(db.options.port).toBe(2);
    expect(db.commands).toEqual(['test db = db']);
    const other = await resolve(files, 'zz');
    expect(other.options).toMatchObject({ port: 22, user: 'someone' });
    expect(other.commands).toEqual([]);
    expect(other.warnings).toEqual([expect.objectContaining({ file: '/home/me/.ssh/config', line: 5 })]);
  });

  it('makes a final pass when Match final is present, matching Host on the host name', async () => {
    const files = {
      '/home/me/.ssh/config': 'Match final\n  Port 97\nHost *\n  HostName %h.Example.COM\nHost web1.example.com\n  IdentityFile /x\n',
    };
    const { options } = await resolve(files, 'WEB1');
    expect(options).toMatchObject({ hostName: 'web1.example.com', port: 97, identityFiles: ['/x'] });
  });

  it('prints a bad token of IdentityFile or ProxyCommand as ssh -G does, and keeps it as a fault for connecting', async () => {
    const { options, sshG, connectErrors } = await resolve({ '/home/me/.ssh/config': 'IdentityFile ~/%z\nProxyCommand nc %z\n' }, 'a');
    expect(formatSshGLines(sshG)).toContain('identityfile ~/%z\nglobalknownhostsfile');
    expect(options.proxyCommand).toBe('nc %z');
    expect(connectErrors.map((error) => error.message)).toEqual([
      '/home/me/.ssh/config line 1: unknown key %z in "/home/me/%z"',
      '/home/me/.ssh/config line 2: unknown key %z in "nc %z"',
    ]);
  });

  it('applies +, - and ^ to the default algorithm lists', async () => {
    const { options } = await resolve(
      {
        '/home/me/.ssh/config':
          'Ciphers -chacha20*,aes1*\nKexAlgorithms ^diffie-hellman-group14-sha1\nMACs +hmac-sha1-96\nHostKeyAlgorithms ssh-ed25519*,rsa-sha2-512\n',
      },
      'a',
    );
    expect(options.algorithms.ciphers).toEqual(['aes256-ctr', 'aes256-gcm@openssh.com']);
    expect(options.algorithms.kexAlgorithms[0]).toBe('diffie-hellman-group14-sha1');
    expect(options.algorithms.macs.at(-1)).toBe('hmac-sha1-96');
    expect(options.algorithms.hostKeyAlgorithms).toEqual(['ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com', 'rsa-sha2-512']);
    await expect(resolve({ '/home/me/.ssh/config': 'Ciphers aes*\n' }, 'a')).rejects.toThrow(/Bad SSH2 cipher spec/);
  });

  it('reads IdentityAgent, ProxyJump, ProxyCommand and the keepalive and attempt counts', async () => {
    const files = {
      '/home/me/.ssh/config': [
        'Host a',
        '  IdentityAgent $SOCKS',
        '  ProxyJump u@j1:2,j2',
        '  ProxyCommand nc %h %p',
        'Host b',
        '  IdentityAgent none',
        '  ProxyJump none',
        '  ProxyCommand nc %h %p %r',
        '  ConnectionAttempts 3',
        '  ServerAliveInterval 1m',
        '  ServerAliveCountMax 5',
        '  ConnectTimeout none',
        '  ConnectTimeout 9',
      ].join('\n'),
    };
    const a = await resolve(files, 'a');
    expect(a.options).toMatchObject({ identityAgent: '/s', proxyJump: ['u@j1:2', 'j2'], proxyCommand: null });
    expect(formatSshGLines(a.sshG)).toContain('proxyjump u@j1:2,j2\n');
    const b = await resolve(files, 'b');
    expect(b.options).toMatchObject({
      identityAgent: null,
      proxyJump: [],
      proxyCommand: 'nc b 22 me',
      connectionAttempts: 3,
      serverAliveIntervalMs: 60_000,
      serverAliveCountMax: 5,
      connectTimeoutMs: 9000,
    });
  });
});
