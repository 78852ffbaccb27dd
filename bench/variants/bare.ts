import 'reflect-metadata';
import { createExpressServer, Get, JsonController, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import type { VariantServer } from '../variant';
import { FIXED_OWNER } from './owner';

/** (a) The floor: the same route with no authentication at all. */
@JsonController('/items')
class BareItems {
  @Get('/')
  list() {
    return { owner: FIXED_OWNER };
  }
}

export async function start(): Promise<VariantServer> {
  useContainer(Container, { fallbackOnErrors: true });
  return { app: createExpressServer({ controllers: [BareItems] }), expectedOwner: FIXED_OWNER };
}
