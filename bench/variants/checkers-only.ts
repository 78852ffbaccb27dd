import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { type Action, Authorized, createExpressServer, CurrentUser, Get, JsonController, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import type { VariantServer } from '../variant';
import { AnsweredErrors } from './answered-errors';

@JsonController('/items')
class CheckedItems {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: { sub: string }) {
    return { owner: user.sub };
  }
}

/**
 * (a′) routing-controllers' own price for `@Authorized()` + `@CurrentUser()`: checkers that only
 * look for the header and check nothing. No checker plugged into routing-controllers, hand-written
 * or library, can be faster than this row; it is the floor for (b) and (c).
 */
export async function start(): Promise<VariantServer> {
  const owner = randomUUID();
  useContainer(Container, { fallbackOnErrors: true });
  const app = createExpressServer({
    controllers: [CheckedItems],
    middlewares: [AnsweredErrors],
    authorizationChecker: (action: Action) => {
      const header: string | undefined = action.request.headers.authorization;
      if (!header || !header.startsWith('Bearer ')) return false;
      action.request.user = { sub: owner };
      return true;
    },
    currentUserChecker: (action: Action) => action.request.user,
  });
  return { app, token: 'not-checked', expectedOwner: owner };
}
