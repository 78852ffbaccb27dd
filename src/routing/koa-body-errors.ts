import * as routingControllers from 'routing-controllers';
import { ErrorCode } from '../errors';
import { recordPatchProblem } from './patch-problems';

const PATCHED = Symbol.for('routing-controllers-auth:koa-body-errors');

const CODES: Record<number, { code: string; message: string }> = {
  400: { code: ErrorCode.VALIDATION_ERROR, message: 'The request body is not valid.' },
  413: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'The request body is too large.' },
  415: { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'The request body has an unsupported type or encoding.' },
};

/** raw-body's typed errors, and co-body's JSON SyntaxError (status 400, the raw text on `body`). */
const PARSER_ERROR_TYPES = new Set([
  'entity.too.large',
  'entity.parse.failed',
  'entity.verify.failed',
  'encoding.unsupported',
  'charset.unsupported',
  'request.size.invalid',
  'request.aborted',
]);

function isBodyParserError(error: any): boolean {
  if (!error || typeof error !== 'object') return false;
  if (error instanceof SyntaxError && (error as any).status === 400 && 'body' in error) return true;
  return typeof error.type === 'string' && PARSER_ERROR_TYPES.has(error.type);
}

/**
 * routing-controllers' Koa driver mounts koa-bodyparser for every request before any route; a
 * malformed body throws there and Koa answers with a plain-text 400, outside routing-controllers'
 * error handling. This puts a middleware in front of it that answers those parser errors as
 * `{code, message}`. Other errors pass through untouched.
 */
export function renderKoaBodyErrors(): void {
  // The index's export: the same build as the driver the app's createKoaServer/useKoaServer uses.
  const KoaDriver: any = (routingControllers as Record<string, unknown>).KoaDriver;
  if (typeof KoaDriver?.prototype?.initialize !== 'function') {
    recordPatchProblem('no KoaDriver.prototype.initialize (to answer malformed Koa bodies as {code, message})');
    return;
  }
  const proto = KoaDriver.prototype;
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const initialize = proto.initialize;
  proto.initialize = function (this: { koa: { use(mw: unknown): void } }, ...args: unknown[]) {
    this.koa.use(async (ctx: any, next: () => Promise<unknown>) => {
      try {
        await next();
      } catch (error: any) {
        const mapped = isBodyParserError(error) && !ctx.headerSent ? CODES[Number(error.status)] : undefined;
        if (!mapped) throw error;
        ctx.status = Number(error.status);
        // Same wording as the library's own body reader, whichever parser saw the body first.
        ctx.body = error instanceof SyntaxError ? { code: mapped.code, message: 'The request body is not valid JSON.' } : mapped;
      }
    });
    return initialize.apply(this, args);
  };
}
