import type { ConfiguredAuth } from '../configured-auth';
import type { AuthenticationBackend } from '../backend';
import { describeTransport } from './transport-descriptions';

/** How a strategy reads in a heading, by its class (a strategy of the app's own: its class name). */
const STRATEGY_LABELS: Record<string, string> = { JwtStrategy: 'JWT', DatabaseStrategy: 'database token', RedisStrategy: 'Redis token' };

/** "Bearer JWT", "Cookie database token": the transport, then the strategy. */
export function backendTag(backend: AuthenticationBackend): string {
  const transport = describeTransport(backend.transport).label;
  const name = backend.strategy.constructor.name;
  return `${transport} ${STRATEGY_LABELS[name] ?? name.replace(/Strategy$/, '')}`;
}

/**
 * The OpenAPI tag of a library controller's routes: its `tag` option, else for a login controller
 * its backend ("Bearer JWT"). routing-controllers-openapi would spell the class name out instead
 * ("GitHubAuth" reads "Git Hub Auth"). Undefined: keep that default.
 */
export function libraryTag(controller: any, auth: ConfiguredAuth<any>): string | undefined {
  if (typeof controller?.tag === 'string') return controller.tag;
  const backendName = controller?.backendName;
  const backend = typeof backendName === 'string' ? auth.backends.find((b) => b.name === backendName) : undefined;
  return backend ? backendTag(backend) : undefined;
}
