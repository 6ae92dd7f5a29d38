import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isAllowedHost, normalHost } from './settings.js';

/**
 * SSRF guard of outgoing webhook requests. A target is refused when any address it resolves to
 * is private, loopback, link-local, unique-local, multicast, unspecified or reserved (the cloud
 * metadata address 169.254.169.254 is link-local), IPv4-mapped and NAT64 IPv6 included (their
 * embedded IPv4 address is what is checked). The check runs where the connection is made: the
 * agents below resolve through `guardedLookup`, so a name that resolves to a public address at
 * registration and to a private one later (DNS rebinding) is still refused. IP literals never
 * reach a lookup, so `refusedTarget` checks them before the request. Hosts an admin allowed
 * explicitly (settings) skip the check.
 */

/** 16 bytes of an IPv6 address (dotted IPv4 tail allowed), or null. */
function ipv6Bytes(address: string): number[] | null {
  let text = address.toLowerCase().split('%')[0] ?? '';
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1] as string);
    if (!v4) return null;
    tail.push(...v4);
    text = text.slice(0, -(dotted[1] as string).length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const parse = (s: string): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return null;
  const groups = [...left, ...Array<number>(fill).fill(0), ...right];
  if (groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return null;
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return parts;
}

function forbiddenV4([a = 0, b = 0, c = 0]: number[]): boolean {
  return (
    a === 0 || // 0.0.0.0/8, "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/** Whether connecting to this IP address (v4 or v6) is refused. Anything unparsable is. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const v4 = ipv4Bytes(address);
    return !v4 || forbiddenV4(v4);
  }
  if (family !== 6) return true;
  const b = ipv6Bytes(address);
  if (!b) return true;
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  const embedded = b.slice(12, 16);
  if (zeros(0, 15) && (b[15] === 0 || b[15] === 1)) return true; // :: and ::1
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return forbiddenV4(embedded); // ::ffff:a.b.c.d
  if (zeros(0, 12)) return true; // deprecated IPv4-compatible
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12))
    return forbiddenV4(embedded); // NAT64 64:ff9b::/96
  const first = b[0] ?? 0;
  const second = b[1] ?? 0;
  if (first === 0xfe && (second & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (first === 0xfe && (second & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  if ((first & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (first === 0xff) return true; // multicast
  if (first === 0x20 && second === 0x02) return forbiddenV4(b.slice(2, 6)); // 6to4 2002::/16
  if (first === 0x20 && second === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return true; // documentation
  return false;
}

export class RefusedTargetError extends Error {
  readonly code = 'EWEBHOOKTARGET';
  constructor(host: string, address: string) {
    super(`webhook target ${host} refused: ${address} is not a public address`);
    this.name = 'RefusedTargetError';
  }
}

/** dns.lookup, refusing the name when any address it resolves to is forbidden. */
export const guardedLookup = ((
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses;
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) return callback(new RefusedTargetError(hostname, bad.address), '');
    if (!list.length)
      return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    if (options.all) return callback(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}) as unknown as LookupFunction;

/** Agents for guarded targets (lookup checked at connect) and for hosts an admin allowed. */
const agents = {
  guarded: {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16, lookup: guardedLookup }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16, lookup: guardedLookup }),
  },
  allowed: {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
  },
} as const;

/**
 * Why a URL may not be called (a sentence for the attempt log), or null. IP literals are
 * checked here (no lookup happens for them); names are checked by the agent at connect time.
 */
export function refusedTarget(url: URL): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `scheme ${url.protocol} not allowed`;
  const host = normalHost(url.hostname);
  if (isAllowedHost(host)) return null;
  if (url.protocol !== 'https:') return 'only https targets are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (isIP(host) && isForbiddenAddress(host)) return `${host} is not a public address`;
  return null;
}

/** The agent a request to this URL goes through. */
export function agentFor(url: URL): http.Agent {
  const set = isAllowedHost(url.hostname) ? agents.allowed : agents.guarded;
  return url.protocol === 'https:' ? set['https:'] : set['http:'];
}
