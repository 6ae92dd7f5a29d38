import { io as connect, type Socket } from 'socket.io-client';
import supertest from 'supertest';
import type { SocketAck } from '../../server/errors/error-table.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/events.js';
import { postForm, type Agent } from './browser-session.js';
import { PASSWORD } from './factories.js';
import { sessionCookieOf } from './pages.js';

/** Helpers for the socket tests: a real socket.io-client with the pages' session cookie. */

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Sign in through the login form; the session cookie (`desk.sid=…`) and the agent that holds it. */
export async function signInForCookie(
  url: string,
  email: string,
  password = PASSWORD,
): Promise<{ agent: Agent; cookie: string }> {
  const agent = supertest.agent(url);
  const res = await postForm(agent, '/login', '/login', { email, password });
  const cookie = sessionCookieOf(res);
  if (res.status !== 302 || !cookie) throw new Error(`sign-in of ${email} failed with ${res.status}`);
  return { agent, cookie };
}

export interface SocketOptions {
  cookie?: string | null;
  /** Origin header; defaults to the portal's own. `null` sends none. */
  origin?: string | null;
  transports?: Array<'websocket' | 'polling'>;
  reconnection?: boolean;
}

/** A socket that is not connected yet (call `.connect()`), so listeners can be added first. */
export function socketFor(url: string, options: SocketOptions = {}): ClientSocket {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  const origin = options.origin === undefined ? url : options.origin;
  if (origin) headers.origin = origin;
  return connect(url, {
    autoConnect: false,
    reconnection: options.reconnection ?? false,
    transports: options.transports ?? ['websocket'],
    extraHeaders: headers,
    forceNew: true,
    timeout: 10_000,
  });
}

/** Connect and wait: resolves when connected, rejects with the server's refusal. */
export function connected(socket: ClientSocket, timeoutMs = 10_000): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect in time')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.connect();
  });
}

export async function openSocket(url: string, options: SocketOptions = {}): Promise<ClientSocket> {
  return connected(socketFor(url, options));
}

/** Emit with an acknowledgement and wait for it. */
export function ask<T = unknown>(
  socket: ClientSocket,
  event: string,
  ...payload: unknown[]
): Promise<SocketAck<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 15_000);
    (socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit(
      event,
      ...payload,
      (res: SocketAck<T>) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
  });
}

/** Every payload of one event the socket receives, from now on. */
export function record<T = unknown>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as { on(e: string, l: (p: T) => void): void }).on(event, (p: T) => seen.push(p));
  return seen;
}

/** Resolve once `predicate` holds, polling; reject after the timeout. */
export async function eventually(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolve with the next disconnect reason. */
export function disconnection(socket: ClientSocket, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected) return resolve('already disconnected');
    const timer = setTimeout(() => reject(new Error('socket was not disconnected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
