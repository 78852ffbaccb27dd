import { Authorized, ContentType, Controller, CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthController,
  RegisterController,
  ResetPasswordController,
  SessionsController,
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

@JsonController('/auth') export class AuthRegister extends RegisterController {}
@JsonController('/auth') export class AuthVerify extends VerifyController {}
@JsonController('/auth') export class AuthReset extends ResetPasswordController {}
@JsonController('/users') export class Users extends UsersController {}
@JsonController('/auth/sessions') export class AuthSessions extends SessionsController<User> {}

@JsonController('/items')
export class ItemsController {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: User) {
    return { owner: user.email };
  }

  @Authorized(['items:write'])
  @Get('/admin')
  admin() {
    return { ok: true };
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

export const exampleControllers: Function[] = [
  JwtAuthController,
  CookieAuthController,
  AuthRegister,
  AuthVerify,
  AuthReset,
  Users,
  AuthSessions,
  ItemsController,
  PageController,
  AccountPageController,
];
