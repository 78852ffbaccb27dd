import { Authorized, ContentType, Controller, CurrentUser, Get, HttpCode, JsonController, Post } from 'routing-controllers';
import {
  AuthController,
  PasskeyController,
  RegisterController,
  ResetPasswordController,
  SessionsController,
  TwoFactorController,
  UsersController,
  VerifyController,
} from '../src';
import { Container } from 'typedi';
import { examplePage, PAGE_OPTIONS } from './page';
import type { User } from './user';

// The quick start's controllers: each base controller is extended under the route it serves.

@JsonController('/auth/jwt')
export class JwtAuthController extends AuthController<User> {
  constructor() {
    super('jwt');
  }
}

@JsonController('/auth/cookie')
export class CookieAuthController extends AuthController<User> {
  constructor() {
    super('cookie');
  }
}

@JsonController('/auth')
export class AuthRegister extends RegisterController {}
@JsonController('/auth')
export class AuthVerify extends VerifyController {}
@JsonController('/auth')
export class AuthReset extends ResetPasswordController {}
@JsonController('/users')
export class Users extends UsersController {}
@JsonController('/auth/sessions')
export class AuthSessions extends SessionsController<User> {}
/** Second factors: POST /auth/2fa/verify finishes a login that stopped for one; /auth/2fa/totp enrols TOTP. */
@JsonController('/auth')
export class AuthTwoFactor extends TwoFactorController<User> {}

/** The user's passkeys, and signing in with one through the cookie backend (the page's buttons). */
@JsonController('/auth/passkeys')
export class AuthPasskeys extends PasskeyController<User> {
  constructor() {
    super('cookie');
  }
}

/** The scopes this app's routes ask for, with what they allow (shown in the OpenAPI document). */
export const EXAMPLE_SCOPES = {
  'items:read': 'Read items (every user may be granted it)',
  'items:write': 'Create and change items',
};

@JsonController('/items')
export class ItemsController {
  @Authorized(['items:read'])
  @Get('/')
  list(@CurrentUser() user: User) {
    return { owner: user.email };
  }

  @Authorized(['items:write'])
  @Get('/admin')
  admin() {
    return { ok: true };
  }

  /** An unsafe route: with the cookie backend, only the app's own pages may call it (CSRF rule). */
  @Authorized(['items:write'])
  @Post('/')
  @HttpCode(201)
  create(@CurrentUser() user: User) {
    return { created: true, owner: user.email };
  }
}

/** `GET /` — the demo page (public; it talks to the API from the browser). */
@Controller()
export class PageController {
  @Get('/')
  @ContentType('text/html; charset=utf-8')
  page() {
    return examplePage(Container.has(PAGE_OPTIONS) ? Container.get(PAGE_OPTIONS) : { socialLogin: false });
  }
}

/** `GET /account` — a protected HTML page: browsers without a session are redirected to `/` (see app.ts). */
@Controller()
export class AccountPageController {
  @Authorized()
  @Get('/account')
  @ContentType('text/html; charset=utf-8')
  account(@CurrentUser() user: User) {
    const email = user.email.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!doctype html><meta charset="utf-8"><title>Account</title><p>Signed in as ${email}. <a href="/">Back</a></p>`;
  }
}

/** The JSON API: what the OpenAPI document describes. */
export const apiControllers: Function[] = [
  JwtAuthController,
  CookieAuthController,
  AuthRegister,
  AuthVerify,
  AuthReset,
  Users,
  AuthSessions,
  AuthTwoFactor,
  AuthPasskeys,
  ItemsController,
];

export const exampleControllers: Function[] = [...apiControllers, PageController, AccountPageController];
