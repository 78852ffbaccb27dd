import { Container } from 'typedi';
import { UserManager } from '../src';
import { MAILER } from './mailer';
import type { User } from './user';

/**
 * The example's hooks: sending the verify / reset email is the app's job. Here the "email"
 * goes to the mailer registered in typedi (the console by default).
 */
export class ExampleUserManager extends UserManager<User> {
  /** Every user may read items; `items:write` is granted per user (the `scopes` column). */
  async getScopes(user: User): Promise<string[]> {
    return [...new Set([...(await super.getScopes(user)), 'items:read'])];
  }

  async onAfterRegister(user: User): Promise<void> {
    // A fresh account gets its verification mail at once, as most sites do.
    await this.requestVerify(user);
  }

  async onAfterRequestVerify(user: User, token: string): Promise<void> {
    await Container.get(MAILER).send({ to: user.email, subject: 'Verify your account (POST /auth/verify {token})', token });
  }

  async onAfterForgotPassword(user: User, token: string): Promise<void> {
    await Container.get(MAILER).send({ to: user.email, subject: 'Reset your password (POST /auth/reset-password {token, password})', token });
  }
}
