import request from 'supertest';
import { PASSWORD } from './app';

/** A login of a bearer backend with refresh on: both tokens (asserting success). */
export async function loginPair(app: any, backend: string, username: string, scope?: string): Promise<{ access: string; refresh: string; body: any }> {
  const body: Record<string, string> = { username, password: PASSWORD };
  if (scope !== undefined) body.scope = scope;
  const res = await request(app).post(`/auth/${backend}/login`).type('form').send(body);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { access: res.body.access_token, refresh: res.body.refresh_token, body: res.body };
}

/** `POST /auth/<backend>/refresh` with the RFC 6749 §6 form. */
export function refreshWith(app: any, backend: string, refreshToken: string, scope?: string) {
  const body: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (scope !== undefined) body.scope = scope;
  return request(app).post(`/auth/${backend}/refresh`).type('form').send(body);
}

/** The status `GET /items` answers with this bearer token. */
export async function accessStatus(app: any, token: string): Promise<number> {
  return (await request(app).get('/items').set('Authorization', `Bearer ${token}`)).status;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
