import { request } from 'node:http';

/** File bytes sent with the part's headers before the client waits for an answer. */
const LEAD = 16 * 1024;

export interface UploadResult {
  status: number;
  /** Bytes of the body written when the answer's headers arrived. */
  sentAtAnswer: number;
  body: string;
}

/**
 * A multipart POST announcing `fileBytes` of file, as a browser sends it: the form's fields (the
 * CSRF token first), then the file. The fields, the file part's headers and its first 16 KB are
 * sent, then the client waits up to `waitMs` for an answer before streaming the rest; it stops
 * writing as soon as the answer comes.
 */
export function streamUpload(
  url: string,
  path: string,
  opts: {
    cookie?: string;
    headers?: Record<string, string>;
    field?: string;
    fields?: Record<string, string>;
    fileBytes: number;
    waitMs?: number;
  },
): Promise<UploadResult> {
  const boundary = `----desk${Math.random().toString(16).slice(2)}`;
  const fieldParts = Object.entries(opts.fields ?? {})
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const preamble = Buffer.from(
    `${fieldParts}--${boundary}\r\nContent-Disposition: form-data; name="${opts.field ?? 'attachments'}"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered: UploadResult | null = null;
    const req = request(`${url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(preamble.length + opts.fileBytes + epilogue.length),
        Accept: 'text/html',
        ...(opts.cookie ? { Cookie: opts.cookie } : {}),
        ...opts.headers,
      },
    });
    req.on('response', (res) => {
      answered = { status: res.statusCode ?? 0, sentAtAnswer: sent, body: '' };
      res.setEncoding('utf8');
      res.on('data', (c: string) => answered && (answered.body += c));
      res.on('end', () => resolve(answered as UploadResult));
      res.on('error', () => resolve(answered as UploadResult));
    });
    // The portal closes the connection after refusing: writes then fail, which is expected.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const write = (buf: Buffer): Promise<void> =>
      new Promise((ok) => {
        sent += buf.length;
        if (req.write(buf)) ok();
        else req.once('drain', ok);
      });
    void (async () => {
      // The part's headers and its first bytes (busboy announces a file with its first data).
      await write(Buffer.concat([preamble, chunk.subarray(0, LEAD)]));
      const waitUntil = Date.now() + (opts.waitMs ?? 0);
      while (!answered && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
      let left = opts.fileBytes - LEAD;
      while (left > 0 && !answered && !req.destroyed) {
        const n = Math.min(left, chunk.length);
        await write(n === chunk.length ? chunk : chunk.subarray(0, n));
        left -= n;
      }
      if (!answered && !req.destroyed) req.end(epilogue);
    })();
  });
}
