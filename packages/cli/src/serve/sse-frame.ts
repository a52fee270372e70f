/**
 * One Server-Sent Events message (the WHATWG `text/event-stream` format):
 * `id:`, `event:` and one `data:` line of JSON. JSON.stringify escapes every
 * line break and control character, so no value can end a field or the
 * message early, or forge another.
 */
export function sseMessage(message: { id: string; event: string; data: unknown }): string {
  return `id: ${oneLine(message.id)}\nevent: ${oneLine(message.event)}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

/** A comment line: clients ignore it; it keeps the connection seen as alive. */
export function sseComment(text: string): string {
  return `: ${oneLine(text)}\n\n`;
}

/** An id or name with the characters that would end the field taken out (ours never have them). */
function oneLine(text: string): string {
  return text.replace(/[\r\n\0]/g, '');
}
