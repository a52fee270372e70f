/** Red, green, yellow, blue, magenta, cyan: each host keeps one, by its name. */
const COLOURS = [31, 32, 33, 34, 35, 36];

/**
 * Whether host prefixes get colours on this stream: a terminal, and no
 * NO_COLOR (https://no-color.org: set and not empty turns colour off).
 */
export function coloursOn(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

/** `HOST` in the colour that is its own, the same on every run. */
export function colourHost(host: string): string {
  let hash = 0;
  for (let index = 0; index < host.length; index += 1) hash = (hash * 31 + host.charCodeAt(index)) >>> 0;
  return `\u001b[${COLOURS[hash % COLOURS.length]}m${host}\u001b[0m`;
}
