import { api, type Served } from './fleet-serve.js';

/** One Server-Sent Events message as a browser's EventSource dispatches it. */
export interface SseMessage {
  id: string;
  event: string;
  data: unknown;
}

/**
 * A client of `GET /api/events`: reads the response as it comes and parses
 * its messages (`id:`, `event:`, one `data:` line of JSON) and comments.
 * Every read has a deadline: a stream that stops sending fails the test.
 */
export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  private buffer = '';
  private ended = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    if (!response.body) throw new Error(`no body (status ${response.status})`);
    this.reader = response.body.getReader();
  }

  /** Opens the stream; the response is there to look at whatever its status. */
  static async open(served: Served, path = '/api/events', headers: Record<string, string> = {}): Promise<SseReader> {
    const controller = new AbortController();
    const response = await api(served, path, { headers, signal: controller.signal });
    return new SseReader(response, controller);
  }

  /** Reads until `done` holds for the messages so far (or the stream ends, which throws); returns them all. */
  async readUntil(done: (messages: SseMessage[]) => boolean, timeoutMs = 60_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.messages)) {
      if (this.ended)
        throw new Error(`the stream ended after ${this.messages.length} messages: ${JSON.stringify(this.messages.slice(-3))}`);
      await this.readMore(deadline);
    }
    return this.messages;
  }

  /** Reads until the server ends the stream; returns the messages. */
  async readToEnd(timeoutMs = 60_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.readMore(deadline);
    return this.messages;
  }

  /** Reads until a comment with this text has come. */
  async readUntilComment(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.comments.includes(text)) {
      if (this.ended) throw new Error(`the stream ended before the comment ${JSON.stringify(text)}`);
      await this.readMore(deadline);
    }
  }

  /** Goes away, as a closed browser tab does. */
  close(): void {
    this.controller.abort();
  }

  private async readMore(deadline: number): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new Error(`no more messages in time; got ${this.messages.length}: ${JSON.stringify(this.messages.slice(-3))}`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the stream sent nothing more in time (${this.messages.length} messages)`)), remaining);
    });
    try {
      const { value, done } = await Promise.race([this.reader.read(), late]);
      if (done) this.ended = true;
      else this.take(this.decoder.decode(value, { stream: true }));
    } finally {
      clearTimeout(timer);
    }
  }

  private take(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
        }
      }
      if (fields.has('data')) {
        this.messages.push({
          id: fields.get('id') ?? '',
          event: fields.get('event') ?? 'message',
          data: JSON.parse(fields.get('data') ?? ''),
        });
      }
    }
  }
}
