import { getMetadataArgsStorage } from 'routing-controllers';
import type { ConfiguredAuth } from '../configured-auth';
import { AuthHttpError, BadRequestError, ErrorCode } from '../errors';
import { readBody } from '../http/body';
import { prepareErrorAnswer } from '../http/error-answer';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { validateBody } from '../http/validate';
import { authorizedRequirement } from '../openapi/route-scopes';
import type { AppFailures } from '../context/app-failures';
import { reportWithoutApp } from '../context/failure-sink';
import { type FailureReporter, toClientError } from '../request-failures';
import { authorizedErrors, declaredRouteErrors } from './declared-answers';
import type { LibraryRouteDeclaration, RouteContext } from './route-types';
import { recordUndeclaredAnswer } from './undeclared-answers';

/** The body a route read as it declared: the raw fields and each declared DTO, validated. */
export interface RouteInput {
  fields: Record<string, unknown>;
  dtos: object[];
}

const CALL = Symbol('routing-controllers-auth.route-call');

/** One request to a declared route: what the handler asks of its declaration. */
export class RouteCall {
  constructor(
    readonly controller: any,
    readonly declaration: LibraryRouteDeclaration,
    readonly exchange: HttpExchange,
    /** The class declaring the route (a base controller) and its method. */
    readonly declaredOn: Function,
    readonly method: string,
  ) {}

  /** The controller's `Auth` (the one it was given, else the configured one). */
  get auth(): ConfiguredAuth<any> {
    return this.controller.auth;
  }

  /**
   * Reads the declared body, validates it against the declared DTOs and, when the rate limit names
   * the account, counts the attempt for it.
   */
  async body(): Promise<RouteInput> {
    const body = this.declaration.body;
    if (!body) throw new Error(`${this.controller.constructor.name}: this route declares no body.`);
    const fields = await readBody(this.exchange, body.accepts);
    body.prepare?.(fields);
    const dtos: object[] = [];
    for (const dto of body.dtos?.(this.controller) ?? []) dtos.push(await validateBody(dto as new () => object, fields));
    const account = this.declaration.rateLimit?.account;
    if (account) await this.countAttempt(account(dtos[0]));
    return { fields, dtos };
  }

  /** Counts an attempt in the declared budget (429 `TOO_MANY_REQUESTS` once spent). */
  async countAttempt(account?: string): Promise<void> {
    const limit = this.declaration.rateLimit;
    if (!limit) throw new Error(`${this.controller.constructor.name}: this route declares no rate limit.`);
    await this.auth.limitAttempt(limit.action, this.exchange, account);
  }
}

/** The declared route's call serving `exchange` (set by `LibraryRoute` before the handler runs), if any. */
export function findRouteCall(exchange: HttpExchange): RouteCall | undefined {
  return (exchange as unknown as Record<symbol, RouteCall | undefined>)[CALL];
}

/** The declared route's call serving `exchange`; a handler of a declared route always has one. */
export function routeCall(exchange: HttpExchange): RouteCall {
  const call = findRouteCall(exchange);
  if (!call) throw new Error('routing-controllers-auth: routeCall() outside a declared library route.');
  return call;
}

/** Where routing-controllers passes `@Req()` and `@Res()` to the declared method. */
function exchangeParams(declaredOn: Function, method: string): { request: number; response: number } {
  const params = getMetadataArgsStorage().params.filter((p) => p.object.constructor === declaredOn && p.method === method);
  const request = params.find((p) => p.type === 'request')?.index;
  const response = params.find((p) => p.type === 'response')?.index;
  if (request === undefined || response === undefined) {
    throw new Error(`routing-controllers-auth: ${declaredOn.name}.${method} is a library route without @Req() and @Res().`);
  }
  return { request, response };
}

const positions = new WeakMap<Function, Map<string, { request: number; response: number }>>();

/** The exchange of the request the declared method serves; undefined when code calls it without one. */
function exchangeOf(declaredOn: Function, method: string, args: unknown[]): HttpExchange | undefined {
  let own = positions.get(declaredOn);
  if (!own) positions.set(declaredOn, (own = new Map()));
  let at = own.get(method);
  if (!at) own.set(method, (at = exchangeParams(declaredOn, method)));
  const request = args[at.request];
  return typeof request === 'object' && request !== null ? exchangeFromParams(request, args[at.response]) : undefined;
}

/**
 * Serves one call of a declared route: the handler runs with its `RouteCall` at hand; what it
 * throws leaves as the route's answer (see `answerFor`).
 */
export function serveDeclaredRoute(
  controller: any,
  declaredOn: Function,
  method: string,
  declaration: LibraryRouteDeclaration,
  handler: (...args: unknown[]) => unknown,
  args: unknown[],
): unknown {
  const exchange = exchangeOf(declaredOn, method, args);
  if (!exchange) return handler.apply(controller, args);
  const call = new RouteCall(controller, declaration, exchange, declaredOn, method);
  (exchange as unknown as Record<symbol, RouteCall>)[CALL] = call;
  if (declaration.sessionOnly) {
    // Before the handler reads anything: a request carrying an API key is no session.
    return refuseApiKeys(call)
      .then(() => handler.apply(controller, args))
      .catch((error: unknown) => {
        throw answerFor(error, call);
      });
  }
  // A synchronous handler stays synchronous: a subclass calling `super.me(user)` gets the value itself.
  let result: unknown;
  try {
    result = handler.apply(controller, args);
  } catch (error) {
    throw answerFor(error, call);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw answerFor(error, call);
    });
  }
  return result;
}

/** Throws the session-only refusal when the request's principal is an API key (nothing without a principal: `@Authorized` answers that). */
async function refuseApiKeys(call: RouteCall): Promise<void> {
  const auth = call.auth;
  const principal = await auth.principalFor(call.exchange);
  if (principal) auth.requireSession(principal);
}

/**
 * What a failure of a declared route answers: a declared domain error its status and code; an
 * answer already (an `AuthHttpError`, or any error with an `httpCode` of the app's) as it is; any
 * other failure by the library's rule: an outage 503, a bug reported once through the controller's
 * own `Auth` and answered 500 `{code, message}`, never with its stack. The answer's headers are set,
 * and an `AuthHttpError` the declaration does not list is recorded.
 */
function answerFor(error: unknown, call: RouteCall): unknown {
  const where = `${call.controller.constructor.name}.${call.method}`;
  const mapped = call.declaration.answers?.find((a) => error instanceof a.error);
  let answer: unknown = error;
  if (mapped)
    answer =
      mapped.status === 400
        ? new BadRequestError(mapped.code, (error as Error).message)
        : new AuthHttpError(mapped.status, mapped.code, (error as Error).message);
  else if (typeof (error as { httpCode?: unknown } | null)?.httpCode !== 'number') answer = toClientError(error, reporterOf(call), where, call.exchange.ip);
  prepareErrorAnswer(call.exchange, answer, failuresOf(call));
  if (answer instanceof AuthHttpError && !isDeclared(answer, call))
    recordUndeclaredAnswer({ route: `${call.declaredOn.name}.${call.method}`, status: answer.httpCode, code: answer.code });
  return answer;
}

/** The controller's app, whose outage log counts the route's 503s; undefined when it has none. */
function failuresOf(call: RouteCall): AppFailures | undefined {
  try {
    return call.auth.context.failures;
  } catch {
    return undefined;
  }
}

/** The controller's `Auth` reports it; without one (not configured) the server log does. */
function reporterOf(call: RouteCall): FailureReporter {
  try {
    return call.auth.reportFailure;
  } catch {
    return reportWithoutApp;
  }
}

/**
 * Bugs (500) and outages (503) can meet any route, and 403 `FORBIDDEN` is never the library's own
 * answer but the app's (a `UserManager` hook refusing); every other answer must be in the declaration.
 */
function isDeclared(error: AuthHttpError, call: RouteCall): boolean {
  if (error.httpCode === 500 || error.code === ErrorCode.AUTH_BACKEND_UNAVAILABLE || error.code === ErrorCode.FORBIDDEN) return true;
  let auth: ConfiguredAuth<any>;
  try {
    auth = call.auth;
  } catch {
    return true; // no configured Auth: nothing to check against
  }
  const context: RouteContext = { auth, controller: call.controller, schema: () => ({}) };
  const entries = declaredRouteErrors(call.declaration, context);
  const method = String(call.exchange.method);
  const handlers = getMetadataArgsStorage().filterResponseHandlersWithTargetAndMethod(call.controller.constructor, call.method);
  const requirement = authorizedRequirement({ responseHandlers: handlers } as never);
  if (requirement) entries.push(...authorizedErrors(requirement, auth.backends, method));
  return entries.some((e) => e.status === error.httpCode && e.codes.includes(error.code));
}
