/** Reads newline-delimited JSON from a stream, one awaited message at a time. */
import type { Readable } from "node:stream";

export interface LineReader {
  /** The next line, parsed as JSON. */
  next(): Promise<unknown>;
  /** Every line read so far, raw. */
  readonly raw: string[];
}

export function lineReader(stream: Readable): LineReader {
  const raw: string[] = [];
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      raw.push(line);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else queue.push(line);
      nl = buffer.indexOf("\n");
    }
  });
  return {
    raw,
    async next() {
      const line = queue.shift() ?? (await new Promise<string>((resolve) => waiters.push(resolve)));
      return JSON.parse(line);
    },
  };
}
