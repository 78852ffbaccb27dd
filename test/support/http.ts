import request from 'supertest';
import { PASSWORD } from './app';

/** Logs in through `/auth/<backend>/login` with a form body and returns the response. */
export function login(app: any, backend: string, username: string, password = PASSWORD, scope?: string) {
  const body: Record<string, string> = { username, password };
  if (scope !== undefined) body.scope = scope;
  return request(app).post(`/auth/${backend}/login`).type('form').send(body);
}

/** Logs in with a bearer backend and returns the access token (asserting success). */
export async function bearerToken(app: any, backend: string, username: string, password = PASSWORD, scope?: string): Promise<string> {
  const res = await login(app, backend, username, password, scope);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** The `name=value` part of the Set-Cookie header for `name`. */
export function cookieFrom(res: request.Response, name = 'rcauth'): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const line = header?.find((c) => c.startsWith(`${name}=`));
  return line?.split(';')[0];
}
