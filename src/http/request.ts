import type { IncomingMessage, ServerResponse } from 'http';
import type { Action } from 'routing-controllers';

/**
 * The few facts about a request the library needs, read the same way from routing-controllers'
 * Express driver (`action.request` is Express's request) and Koa driver (`action.context` is ctx).
 */
export interface HttpExchange {
  /** The Node request. */
  readonly raw: IncomingMessage;
  readonly rawResponse: ServerResponse;
  readonly method: string;
  header(name: string): string | undefined;
  /** `http` or `https`, as the framework reports it (so its trust-proxy setting applies). */
  readonly protocol: string;
  /** The `Host` as the framework reports it (trust-proxy applies: X-Forwarded-Host). */
  readonly host: string | undefined;
  /** The client's address as the framework reports it (its trust-proxy setting applies). */
  readonly ip: string | undefined;
  /** A body an app-level parser already read, if any. */
  readonly parsedBody: unknown;
  /** The raw text an app-level parser kept (koa-bodyparser's `rawBody`), if any. */
  readonly rawBodyText: string | undefined;
  /** Sets the response status (for routes whose status depends on the outcome). */
  setStatus(code: number): void;
  /** The framework's own request and response objects, handed to hooks. */
  readonly request: unknown;
  readonly response: unknown;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Classes rather than object literals: a literal with getters and closures is built on V8's slow
 * path for every request, and this runs on every authenticated request.
 */
class ExpressExchange implements HttpExchange {
  readonly method: string;
  readonly rawBodyText = undefined;

  constructor(
    readonly raw: any,
    readonly rawResponse: any,
  ) {
    this.method = raw.method;
  }

  get request(): unknown {
    return this.raw;
  }

  get response(): unknown {
    return this.rawResponse;
  }

  header(name: string): string | undefined {
    return firstHeader(this.raw.headers[name.toLowerCase()]);
  }

  get protocol(): string {
    const req = this.raw;
    return typeof req.protocol === 'string' ? req.protocol : req.socket?.encrypted ? 'https' : 'http';
  }

  get host(): string | undefined {
    // Express 4's req.host drops the port; the origin check needs it, so prefer the Host header
    // unless trust proxy says X-Forwarded-Host wins (req.get honours neither, so read it here).
    const req = this.raw;
    const trustProxy = typeof req.app?.get === 'function' && req.app.get('trust proxy fn');
    const forwarded = firstHeader(req.headers['x-forwarded-host']);
    if (forwarded && trustProxy && trustProxy(req.socket?.remoteAddress, 0)) return forwarded.split(',')[0].trim();
    return firstHeader(req.headers.host);
  }

  get ip(): string | undefined {
    const req = this.raw;
    return typeof req.ip === 'string' ? req.ip : req.socket?.remoteAddress;
  }

  get parsedBody(): unknown {
    const req = this.raw;
    return req._body === true || req.body !== undefined ? req.body : undefined;
  }

  setStatus(code: number): void {
    this.rawResponse.status(code);
  }
}

class KoaExchange implements HttpExchange {
  readonly raw: IncomingMessage;
  readonly rawResponse: ServerResponse;
  readonly method: string;

  constructor(private readonly ctx: any) {
    this.raw = ctx.req;
    this.rawResponse = ctx.res;
    this.method = ctx.method;
  }

  get request(): unknown {
    return this.ctx.request;
  }

  get response(): unknown {
    return this.ctx.response;
  }

  header(name: string): string | undefined {
    return firstHeader(this.raw.headers[name.toLowerCase()]);
  }

  get protocol(): string {
    return this.ctx.protocol;
  }

  get host(): string | undefined {
    return this.ctx.host || undefined;
  }

  get ip(): string | undefined {
    return this.ctx.ip || undefined;
  }

  get parsedBody(): unknown {
    return this.ctx.request?.body;
  }

  get rawBodyText(): string | undefined {
    const rawBody = this.ctx.request?.rawBody;
    return typeof rawBody === 'string' ? rawBody : undefined;
  }

  setStatus(code: number): void {
    this.ctx.status = code;
  }
}

/**
 * One exchange per request, kept under a symbol on the framework's request (Express) or context
 * (Koa): the checkers, `@CurrentUser()`, the middleware and the controllers all get the same one,
 * and the per-request authentication is cached on it. One property per request: a WeakMap entry
 * costs more, mostly in garbage collection.
 */
const EXCHANGE = Symbol('routing-controllers-auth.exchange');

export function exchangeFromExpress(req: any, res: any): HttpExchange {
  return (req[EXCHANGE] ??= new ExpressExchange(req, res));
}

export function exchangeFromKoa(ctx: any): HttpExchange {
  return (ctx[EXCHANGE] ??= new KoaExchange(ctx));
}

/** routing-controllers' Koa driver puts the Koa context on `action.context`. */
export function exchangeFromAction(action: Action): HttpExchange {
  return action.context ? exchangeFromKoa(action.context) : exchangeFromExpress(action.request, action.response);
}

/**
 * From the `@Req()` / `@Res()` a controller receives: Express gives its request and response;
 * Koa gives `ctx.request` / `ctx.response`, which point back to the context.
 */
export function exchangeFromParams(request: any, response: any): HttpExchange {
  return request?.ctx ? exchangeFromKoa(request.ctx) : exchangeFromExpress(request, response);
}

/** Appends a header value (Set-Cookie may be sent several times). */
export function appendHeader(res: ServerResponse, name: string, value: string): void {
  const existing = res.getHeader(name);
  if (existing === undefined) res.setHeader(name, value);
  else res.setHeader(name, ([] as string[]).concat(existing as any, value));
}
