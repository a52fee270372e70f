import type { Argv } from 'yargs';
import { settingsFrom, withContext, type GlobalArgs } from '../context.js';
import { resolveServeOptions, SERVE_DEFAULTS } from '../serve/serve-options.js';

interface ServeArgs extends GlobalArgs {
  listen: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'unsafe-no-tls': boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const serveCommand = {
  command: 'serve',
  describe: 'Serve the web console, the HTTP API and /metrics; prints a URL with a fresh access token: open it in a browser',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('listen', { type: 'string', default: SERVE_DEFAULTS.listen, describe: 'ADDR:PORT to listen on (port 0: any free port)' })
      .option('tls-cert', { type: 'string', describe: 'Serve HTTPS with this certificate (PEM), with --tls-key' })
      .option('tls-key', { type: 'string', describe: "The certificate's private key (PEM)" })
      .option('unsafe-no-tls', {
        type: 'boolean',
        default: false,
        describe: 'Listen beyond loopback over plain HTTP, where anyone on the way can read the token',
      })
      .example('$0 serve', 'serve on 127.0.0.1:7070; open the URL it prints in a browser')
      .example('$0 serve --listen 0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem', 'serve other machines, over HTTPS'),
  handler: async (argv: ServeArgs) => {
    const options = resolveServeOptions({
      listen: argv.listen,
      tlsCert: argv['tls-cert'],
      tlsKey: argv['tls-key'],
      unsafeNoTls: argv['unsafe-no-tls'],
    });
    // Caught from the start, so that a signal while Redis is opened still ends the server cleanly.
    const stopped = new Promise<void>((resolve) => {
      for (const signal of SIGNALS) process.once(signal, () => resolve());
    });
    await withContext(
      argv,
      async (context) => {
        // The server's libraries are loaded here only: no other command pays for them.
        const { startServer } = await import('../serve/server.js');
        const server = await startServer(context, options);
        process.stdout.write(`${server.url}\n`);
        process.stderr.write('fleet serve: open the URL above (it carries the access token); Ctrl-C stops the server\n');
        await stopped;
        await server.close();
      },
      settingsFrom(argv),
      { role: 'agent' },
    );
  },
};
