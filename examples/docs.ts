import type { Auth } from '../src';

/**
 * `GET /docs` (Swagger UI, served from this app: the library's `auth.swaggerUi()`, no CDN, a strict
 * Content-Security-Policy) and `GET /openapi.json` (this app's document). Built once at start, so a
 * route asking for an undeclared scope stops the app there (`undeclaredScopes: 'error'`).
 */
export function docsController(auth: Auth<any>, controllers: Function[], description: string): Function {
  return auth.swaggerUi({
    document: auth.openApi({
      controllers,
      info: { title: 'routing-controllers-auth example', version: '1.0.0', description },
      undeclaredScopes: 'error',
    }),
  });
}
