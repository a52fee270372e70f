import type { Redis } from 'ioredis';

/**
 * Every value under a key pattern, whatever its type, as one string, for
 * tests that look for what must never be stored. `dump`: each key's
 * serialized form (DUMP) too, as an attacker copying the keys would see them.
 */
export async function everything(client: Redis, pattern: string, options: { dump?: boolean } = {}): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys(pattern)) {
    const type = await client.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'list') parts.push(...(await client.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(...(await client.smembers(key)));
    else if (type === 'zset') parts.push(...(await client.zrange(key, 0, '-1')));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
    const dumped = options.dump === true ? await client.dumpBuffer(key) : null;
    if (dumped !== null) parts.push(dumped.toString('latin1'));
  }
  return parts.join('\n');
}
