import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The DNS name the test certificate holds besides 127.0.0.1 (nothing resolves it: a client names it in Host, or as servername). */
export const TEST_TLS_DNS_NAME = 'fleet-test.example';

/** A private CA and a server certificate for 127.0.0.1 (and {@link TEST_TLS_DNS_NAME}) it signed, as files in a test's directory. */
export interface TestTls {
  /** The CA's certificate (PEM file), as FLEET_REDIS_CA takes it. */
  ca: string;
  caPem: Buffer;
  cert: string;
  key: string;
}

/** Makes a CA and a certificate for 127.0.0.1 in `dir` with openssl (EC P-256, valid a day). */
export async function makeTestTls(dir: string): Promise<TestTls> {
  const ca = join(dir, 'ca.crt');
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', join(dir, 'ca.key'), '-out', ca, '-days', '1', '-subj', '/CN=fleet test CA']);
  await run('openssl', ['req', ...ec, '-keyout', key, '-out', join(dir, 'server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'ext.cnf'), `subjectAltName=IP:127.0.0.1,DNS:${TEST_TLS_DNS_NAME}\n`);
  const sign = ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', ca, '-CAkey', join(dir, 'ca.key'), '-CAcreateserial'];
  await run('openssl', [...sign, '-out', cert, '-days', '1', '-extfile', join(dir, 'ext.cnf')]);
  return { ca, caPem: await readFile(ca), cert, key };
}

/** redis-server's flags to serve TLS only, on `port`, with `tls`'s certificate (clients need no certificate). */
export function redisTlsArgs(tls: TestTls, port: number): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    tls.cert,
    '--tls-key-file',
    tls.key,
    '--tls-ca-cert-file',
    tls.ca,
    '--tls-auth-clients',
    'no',
  ];
}
