import { IsOptional, IsString, MaxLength } from 'class-validator';
import { JsonController } from 'routing-controllers';
import {
  RegisterController,
  ResetPasswordController,
  UserCreateDto,
  UserManager,
  UsersController,
  UserUpdateDto,
  VerifyController,
  type HttpExchange,
} from '../../src';
import type { User } from './app';

/**
 * The user-management controllers as an app declares them, plus a UserManager that records
 * every hook call, for the register / verify / reset-password / users suites.
 */

// ---- the app's DTOs: its User entity has a `displayName` column ----------------------------

export class AppUserCreate extends UserCreateDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  displayName?: string;
}

export class AppUserUpdate extends UserUpdateDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  displayName?: string;
}

// ---- work the 202 routes run after responding ------------------------------------------------

const pending: Promise<void>[] = [];

/** Waits until every task `request-verify-token` / `forgot-password` started has finished. */
export async function backgroundSettled(): Promise<void> {
  while (pending.length > 0) await Promise.all(pending.splice(0));
}

// ---- the controllers, exactly as the quick start writes them (no constructor arguments) ------

@JsonController('/auth')
export class AuthRegister extends RegisterController<User> {}

/** The same route with the app's own DTO: extra columns become registrable. */
@JsonController('/app-auth')
export class AppAuthRegister extends RegisterController<User> {
  protected override createDto = AppUserCreate;
}

@JsonController('/auth')
export class AuthVerify extends VerifyController<User> {
  protected override afterResponse(exchange: HttpExchange, task: () => Promise<void>): Promise<void> {
    const done = super.afterResponse(exchange, task);
    pending.push(done);
    return done;
  }
}

@JsonController('/auth')
export class AuthReset extends ResetPasswordController<User> {
  protected override afterResponse(exchange: HttpExchange, task: () => Promise<void>): Promise<void> {
    const done = super.afterResponse(exchange, task);
    pending.push(done);
    return done;
  }
}

@JsonController('/users')
export class Users extends UsersController<User> {
  protected override updateDto = AppUserUpdate;
}

export const userControllers: Function[] = [AuthRegister, AppAuthRegister, AuthVerify, AuthReset, Users];

// ---- a UserManager that records its hooks ------------------------------------------------------

export type HookName =
  | 'validatePassword'
  | 'onAfterRegister'
  | 'onAfterUpdate'
  | 'onAfterRequestVerify'
  | 'onAfterVerify'
  | 'onAfterForgotPassword'
  | 'onAfterResetPassword'
  | 'onAfterLogin'
  | 'onBeforeDelete'
  | 'onAfterDelete';

export class RecordingUserManager extends UserManager<User> {
  readonly calls: { hook: HookName; args: any[] }[] = [];
  /** What a hook does besides being recorded (throw, wait for the test): set by a test. */
  behaviour: Partial<Record<HookName, (...args: any[]) => void | Promise<void>>> = {};

  /** When set, `getByEmail` waits for it: shows what a route does before its lookup finishes. */
  lookupGate: Promise<void> | undefined;

  override async getByEmail(email: string): Promise<User | null> {
    await this.lookupGate;
    return super.getByEmail(email);
  }

  /** The argument lists of every call of `hook`, oldest first. */
  callsOf(hook: HookName): any[][] {
    return this.calls.filter((c) => c.hook === hook).map((c) => c.args);
  }

  reset(): void {
    this.calls.length = 0;
    this.behaviour = {};
    this.lookupGate = undefined;
  }

  private async record(hook: HookName, args: any[]): Promise<void> {
    this.calls.push({ hook, args });
    await this.behaviour[hook]?.(...args);
  }

  override validatePassword(password: string, user: Partial<User>) {
    return this.record('validatePassword', [password, user]);
  }
  override onAfterRegister(user: User, request?: unknown) {
    return this.record('onAfterRegister', [user, request]);
  }
  override onAfterUpdate(user: User, update: unknown, request?: unknown) {
    return this.record('onAfterUpdate', [user, update, request]);
  }
  override onAfterRequestVerify(user: User, token: string, request?: unknown) {
    return this.record('onAfterRequestVerify', [user, token, request]);
  }
  override onAfterVerify(user: User, request?: unknown) {
    return this.record('onAfterVerify', [user, request]);
  }
  override onAfterForgotPassword(user: User, token: string, request?: unknown) {
    return this.record('onAfterForgotPassword', [user, token, request]);
  }
  override onAfterResetPassword(user: User, request?: unknown) {
    return this.record('onAfterResetPassword', [user, request]);
  }
  override onAfterLogin(user: User, request?: unknown, response?: unknown) {
    return this.record('onAfterLogin', [user, request, response]);
  }
  override onBeforeDelete(user: User, request?: unknown) {
    return this.record('onBeforeDelete', [user, request]);
  }
  override onAfterDelete(user: User, request?: unknown) {
    return this.record('onAfterDelete', [user, request]);
  }
}

/** A promise the test resolves by hand: a hook that waits on it is still running until then. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Captures console.error while `work` runs (Express's final handler and background failures log there). */
export async function capturingErrors<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map((a) => (a instanceof Error ? (a.stack ?? String(a)) : String(a))).join(' '));
  try {
    const result = await work();
    // Express's final handler logs on setImmediate, after the client already has its answer.
    await new Promise((resolve) => setImmediate(resolve));
    return { result, lines };
  } finally {
    console.error = original;
  }
}

/** Asserts the Express request a hook received is the one of this route. */
export function isExpressRequest(request: any, method: string, url: string): boolean {
  return typeof request?.get === 'function' && request.method === method && request.originalUrl === url;
}
