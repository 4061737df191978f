/** A raw HTTP/1.1 client over loopback: bad Host headers, stalled and dripped uploads. */

/** What came back on one connection, and when it closed. */
export interface RawExchange {
  /** Writes more of the request; false once the server has closed the connection. */
  send(bytes: Uint8Array | string): Promise<boolean>;
  /** The first response: status line, lower-case headers, body text, ms from open. */
  response: Promise<{ status: number; headers: Map<string, string>; body: string; ms: number }>;
  /** Resolves with the ms from open when the server closes the connection. */
  closed: Promise<number>;
  close(): void;
}

const encoder = new TextEncoder();

/** Opens a connection, writes `head` (request line and headers, or more) and reads meanwhile. */
export async function rawExchange(port: number, head: string | Uint8Array): Promise<RawExchange> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const opened = performance.now();
  let open = true;
  let text = "";
  let resolveResponse!: (r: Awaited<RawExchange["response"]>) => void;
  const response = new Promise<Awaited<RawExchange["response"]>>((r) => resolveResponse = r);
  const closed = (async () => {
    const buf = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += decoder.decode(buf.subarray(0, n), { stream: true });
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) continue;
        const lines = text.slice(0, end).split("\r\n");
        const headers = new Map(
          lines.slice(1).map((l) => {
            const i = l.indexOf(":");
            return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
          }),
        );
        const length = Number(headers.get("content-length") ?? -1);
        if (length >= 0 && text.length >= end + 4 + length) {
          resolveResponse({
            status: Number(lines[0].split(" ")[1]),
            headers,
            body: text.slice(end + 4, end + 4 + length),
            ms: performance.now() - opened,
          });
        }
      }
    } catch {
      // Reset by the server: closed all the same.
    }
    open = false;
    return performance.now() - opened;
  })();
  const exchange: RawExchange = {
    async send(bytes) {
      if (!open) return false;
      const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
      try {
        for (let sent = 0; sent < data.length;) sent += await conn.write(data.subarray(sent));
        return true;
      } catch {
        return false;
      }
    },
    response,
    closed,
    close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
  await exchange.send(head);
  return exchange;
}

/** The head of a multipart upload of `size` bytes to `path`, as the page would send it. */
export function uploadHead(
  path: string,
  size: number,
  headers: Record<string, string> = {},
): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n` +
    `Content-Length: ${size}\r\n${extra}\r\n`;
}
