import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Signed envelopes made by `openssl cms` in a scratch directory, with a throwaway self-signed
 * certificate generated for the run.
 */
export interface Signer {
  dir: string;
  cert: string;
  key: string;
  subject: string;
  /** A CAdES-like enveloping signature of `content`; `stream` gives BER with the content in chunks. */
  sign(content: Uint8Array, options?: { stream?: boolean; form?: 'DER' | 'PEM' }): Buffer;
  cleanup(): void;
}

export function makeSigner(cn = 'Mario Rossi', org = 'Rossi Trasporti'): Signer {
  const dir = mkdtempSync(join(tmpdir(), 'einv-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/C=IT/O=${org}/CN=${cn}`,
    ],
    { stdio: 'ignore' },
  );
  let n = 0;
  return {
    dir,
    cert,
    key,
    subject: `CN=${cn}, O=${org}, C=IT`,
    sign(content, options = {}) {
      const input = join(dir, `in-${++n}`);
      const output = join(dir, `out-${n}`);
      writeFileSync(input, content);
      const args = ['cms', '-sign', '-in', input, '-signer', cert, '-inkey', key, '-nodetach', '-binary'];
      args.push('-outform', options.form ?? 'DER', '-out', output);
      if (options.stream) args.push('-stream');
      execFileSync('openssl', args, { stdio: 'ignore' });
      return readFileSync(output);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
