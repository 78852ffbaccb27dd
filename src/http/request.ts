import type { IncomingMessage, ServerResponse } from 'http';
import type { Action } from 'routing-controllers';

/**
 * The few facts about a request the library needs, read the same way from routing-controllers'
 * Express driver (`action.request` is Express's request) and Koa driver (`action.context` is ctx).
 */
export interface HttpExchange {
  /** The Node request: the key the per-request authentication is cached under. */
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

export function exchangeFromExpress(req: any, res: any): HttpExchange {
  return {
    raw: req,
    rawResponse: res,
    method: req.method,
    header: (name) => firstHeader(req.headers[name.toLowerCase()]),
    get protocol() {
      return typeof req.protocol === 'string' ? req.protocol : (req.socket as any)?.encrypted ? 'https' : 'http';
    },
    get host() {
      // Express 4's req.host drops the port; the origin check needs it, so prefer the Host header
      // unless trust proxy says X-Forwarded-Host wins (req.get honours neither, so read it here).
      const trustProxy = typeof req.app?.get === 'function' && req.app.get('trust proxy fn');
      const forwarded = firstHeader(req.headers['x-forwarded-host']);
      if (forwarded && trustProxy && trustProxy(req.socket?.remoteAddress, 0)) return forwarded.split(',')[0].trim();
      return firstHeader(req.headers.host);
    },
    get ip() {
      return typeof req.ip === 'string' ? req.ip : req.socket?.remoteAddress;
    },
    get parsedBody() {
      return req._body === true || req.body !== undefined ? req.body : undefined;
    },
    rawBodyText: undefined,
    setStatus: (code) => void res.status(code),
    request: req,
    response: res,
  };
}

export function exchangeFromKoa(ctx: any): HttpExchange {
  return {
    raw: ctx.req,
    rawResponse: ctx.res,
    method: ctx.method,
    header: (name) => firstHeader(ctx.req.headers[name.toLowerCase()]),
    get protocol() {
      return ctx.protocol;
    },
    get host() {
      return ctx.host || undefined;
    },
    get ip() {
      return ctx.ip || undefined;
    },
    get parsedBody() {
      return ctx.request?.body;
    },
    setStatus: (code) => void (ctx.status = code),
    get rawBodyText() {
      return typeof ctx.request?.rawBody === 'string' ? ctx.request.rawBody : undefined;
    },
    request: ctx.request,
    response: ctx.response,
  };
}

/** One exchange per request: the checkers, `@CurrentUser()` and the controllers all ask for it. */
const exchanges = new WeakMap<object, HttpExchange>();

function cached(key: object, make: () => HttpExchange): HttpExchange {
  let exchange = exchanges.get(key);
  if (!exchange) {
    exchange = make();
    exchanges.set(key, exchange);
  }
  return exchange;
}

/** routing-controllers' Koa driver puts the Koa context on `action.context`. */
export function exchangeFromAction(action: Action): HttpExchange {
  return action.context
    ? cached(action.context, () => exchangeFromKoa(action.context))
    : cached(action.request, () => exchangeFromExpress(action.request, action.response));
}

/**
 * From the `@Req()` / `@Res()` a controller receives: Express gives its request and response;
 * Koa gives `ctx.request` / `ctx.response`, which point back to the context.
 */
export function exchangeFromParams(request: any, response: any): HttpExchange {
  return request?.ctx ? cached(request.ctx, () => exchangeFromKoa(request.ctx)) : cached(request, () => exchangeFromExpress(request, response));
}

/** Appends a header value (Set-Cookie may be sent several times). */
export function appendHeader(res: ServerResponse, name: string, value: string): void {
  const existing = res.getHeader(name);
  if (existing === undefined) res.setHeader(name, value);
  else res.setHeader(name, ([] as string[]).concat(existing as any, value));
}
