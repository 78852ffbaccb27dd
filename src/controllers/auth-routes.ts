import { Container } from 'typedi';
import { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import type { HttpExchange } from '../http/request';
import { runAfterResponse } from './after-response';
import { LibraryController } from './library-controller';
import { toPublicUser } from './public-user';

/**
 * What the library's base controllers share: the configured `Auth`, the public shape of a user,
 * and work done once the answer has been sent. It declares no routes. Being a library controller,
 * its subclasses answer unexpected failures by the library's rule (503 for an outage, a reported
 * 500 `{code, message}` otherwise).
 */
@LibraryController()
export abstract class AuthRoutes<U extends BaseUser = BaseUser> {
  /** The `Auth` this controller was given, when one process serves several configured apps. */
  protected boundAuth?: Auth<U>;

  /** The `Auth` this controller serves (`auth.ready()` checks only its own controllers). */
  usesAuth(auth: Auth<any>): boolean {
    return (this.boundAuth ?? (Container.has(Auth) ? Auth.current() : undefined)) === auth;
  }

  /** What `auth.ready()` reports for this controller, one message per problem: none, unless a controller says. */
  async readinessProblems(): Promise<string[]> {
    return [];
  }

  /** The configured `Auth`: the one given to the controller, else the one `Auth.configure` registered in typedi. */
  protected get auth(): Auth<U> {
    return this.boundAuth ?? Auth.current<U>();
  }

  /** The response body for a user; override to shape it (it never includes `hashedPassword`). */
  protected serializeUser(user: U): Record<string, unknown> {
    return toPublicUser(user);
  }

  /**
   * Runs `task` once the answer has been handed to the network. Override to hand the work to a job
   * queue instead; the returned promise settles when the work is done.
   */
  protected afterResponse(exchange: HttpExchange, task: () => Promise<void>, label = this.constructor.name): Promise<void> {
    return runAfterResponse(exchange, task, label);
  }

  /**
   * For routes that answer alike for every email (`forgot-password`, `request-verify-token`): `act`
   * runs for the email's user, if there is one, only after the answer is sent, so neither the answer
   * nor its timing tells whether the email has an account.
   */
  protected forUserOfEmailAfterResponse(exchange: HttpExchange, email: string, act: (user: U) => Promise<unknown>, label: string): void {
    const manager = this.auth.userManager;
    void this.afterResponse(
      exchange,
      async () => {
        const user = await manager.getByEmail(email);
        if (user) await act(user);
      },
      label,
    );
  }
}
