import { readFileSync } from 'fs';
import { join } from 'path';
import { ContentType, Controller, Get, NotFoundError, Param, Res } from 'routing-controllers';
import { Container, Token } from 'typedi';
import type { OpenApiDocument } from '../src';

/** The typedi token of the app's OpenAPI document (built once at start, see app.ts). */
export const OPENAPI_DOCUMENT = new Token<OpenApiDocument>('routing-controllers-auth-example:openapi');

/**
 * A strict policy for the docs page: scripts, styles and requests from this origin only (no CDN,
 * no inline script), so Swagger UI works offline and nothing else can run in the page.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SWAGGER_UI_DIST = join(require.resolve('swagger-ui-dist/package.json'), '..');

/** The Swagger UI files the page loads, read once from the swagger-ui-dist package. */
const ASSETS: Record<string, { type: string; file: string }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'favicon-32x32.png': { type: 'image/png', file: 'favicon-32x32.png' },
};
const assetCache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let body = assetCache.get(name);
  if (!body) {
    // The bundle's source-map comment points at a file this app does not serve.
    const raw = readFileSync(join(SWAGGER_UI_DIST, ASSETS[name].file));
    body = name.endsWith('.js') ? Buffer.from(raw.toString('utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '\n')) : raw;
    assetCache.set(name, body);
  }
  return body;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API docs — routing-controllers-auth example</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// A file, not an inline script, so the page's CSP needs no 'unsafe-inline'.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

function secured(response: any, type: string): void {
  response.setHeader('Content-Security-Policy', DOCS_CSP);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Type', type);
}

/** `GET /docs` (Swagger UI, served from this app) and `GET /openapi.json` (`auth.openApi()`). */
@Controller()
export class DocsController {
  @Get('/openapi.json')
  @ContentType('application/json; charset=utf-8')
  document(): OpenApiDocument {
    return Container.get(OPENAPI_DOCUMENT);
  }

  @Get('/docs')
  page(@Res() response: any): string {
    secured(response, 'text/html; charset=utf-8');
    return PAGE;
  }

  @Get('/docs/assets/init.js')
  init(@Res() response: any): string {
    secured(response, 'text/javascript; charset=utf-8');
    return INIT;
  }

  @Get('/docs/assets/:name')
  asset(@Param('name') name: string, @Res() response: any): Buffer {
    if (!Object.hasOwn(ASSETS, name)) throw new NotFoundError('No such asset.');
    secured(response, ASSETS[name].type);
    response.setHeader('Cache-Control', 'public, max-age=3600');
    return asset(name);
  }
}
