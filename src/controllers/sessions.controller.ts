import { Authorized, CurrentUser, Delete, Get, Param, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import { ErrorCode, NotFoundError } from '../errors';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { SESSION_SCHEMA } from '../openapi/library-schemas';
import { LibraryRoute } from '../routes/route-declaration';
import { json } from '../routes/route-docs';
import type { SessionInfo } from '../sessions/session-store';
import { AuthRoutes } from './auth-routes';

/** One entry of `GET /`: a session as its user sees it. */
export interface SessionView {
  id: string;
  backend: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** True for the session the request itself belongs to. */
  current: boolean;
}

/**
 * The user's own sessions (logins with refresh tokens): list them, end one, end all others.
 * Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth/sessions') class Sessions extends SessionsController {}
 * ```
 */
export class SessionsController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  // A session store's failure leaves each route through its helper: an outage 503, anything else a reported 500.

  /** `GET /` — the user's live sessions, oldest first; `current` marks the request's own. */
  @LibraryRoute({
    sessionOnly: true,
    docs: () => ({
      summary: "The current user's live sessions",
      responses: {
        '200': {
          description: "Oldest first; `current` marks the request's own.",
          content: json({ type: 'array', items: { $ref: `#/components/schemas/${SESSION_SCHEMA}` } }),
        },
      },
    }),
  })
  @Authorized()
  @Get('/')
  async list(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<SessionView[]> {
    const current = await this.currentSessionId(exchangeFromParams(request, response));
    const sessions = await this.auth.sessions.listForUser(user.id);
    return sessions.map((session) => this.serializeSession(session, session.id === current));
  }

  /** `DELETE /:id` — 204, the session and its tokens end; 404 `NOT_FOUND` for an id that is not one of the user's sessions. */
  @LibraryRoute({
    sessionOnly: true,
    errors: () => [[404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: "End one of the current user's sessions", responses: { '204': { description: 'Ended, with its tokens.' } } }),
  })
  @Authorized()
  @Delete('/:id')
  async end(@CurrentUser({ required: true }) user: U, @Param('id') id: string, @Req() request: any, @Res() response: any): Promise<null> {
    const exchange = exchangeFromParams(request, response);
    const auth = this.auth;
    const session = await auth.sessions.findForUser(user.id, id);
    if (!session) throw new NotFoundError('No session of yours has this id.');
    const ended = await auth.sessions.revoke(session.id);
    if (ended) await auth.userManager.notifySessionRevoked(user, ended, exchange.request);
    return null;
  }

  /** `DELETE /` — 204, every session of the user but the current one ends. */
  @LibraryRoute({
    sessionOnly: true,
    docs: () => ({ summary: 'End every other session of the current user', responses: { '204': { description: 'Every session but the current one ended.' } } }),
  })
  @Authorized()
  @Delete('/')
  async endOthers(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<null> {
    const exchange = exchangeFromParams(request, response);
    const auth = this.auth;
    const current = await this.currentSessionId(exchange);
    const ended = await auth.sessions.revokeAllForUser(user.id, current);
    for (const session of ended) await auth.userManager.notifySessionRevoked(user, session, exchange.request);
    return null;
  }

  /** The response entry for a session; override to shape it. */
  protected serializeSession(session: SessionInfo, current: boolean): SessionView {
    const { id, backend, createdAt, lastUsedAt, expiresAt, userAgent, ip } = session;
    return { id, backend, createdAt, lastUsedAt, expiresAt, userAgent, ip, current };
  }

  private async currentSessionId(exchange: HttpExchange): Promise<string | undefined> {
    return (await this.auth.principalFor(exchange))?.grant.sessionId;
  }
}
