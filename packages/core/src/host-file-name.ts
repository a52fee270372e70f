/**
 * A host entry as a file name of its own (for `--outdir`): letters, digits
 * and `._-@:+,=[]` stay; any other byte, `%` itself, and a leading dot are
 * written `%XX`. No entry can reach outside the directory (`/` and `..` are
 * escaped), hide as a dotfile, or clash with another entry.
 */
export function hostFileName(host: string): string {
  const escaped = [...Buffer.from(host, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9._\-@:+,=[\]]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return escaped.startsWith('.') ? `%2E${escaped.slice(1)}` : escaped === '' ? '%' : escaped;
}
