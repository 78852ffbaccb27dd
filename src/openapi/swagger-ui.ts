import { readFileSync } from 'fs';
import { join } from 'path';
import { ContentType, Controller, Get, NotFoundError, Param, Res } from 'routing-controllers';
import { NOT_DOCUMENTED } from './controller-routes';
import type { OpenApiOptions } from './build-document';
import type { OpenApiDocument } from './document-types';

/** Options of `auth.swaggerUi()`. */
export interface SwaggerUiOptions {
  /** Where the page is served (its files under `<path>/assets/`). Default `/docs`. */
  path?: string;
  /** Where the OpenAPI document is served, and the page loads it from. Default `/openapi.json`. */
  documentPath?: string;
  /** routing-controllers' `routePrefix`, if the app uses one: the page's links need it. */
  routePrefix?: string;
  /** The page's title. Default: the document's `info.title`. */
  title?: string;
  /** How the document is built (`auth.openApi(openApi)`, once, at its first request). */
  openApi?: OpenApiOptions;
  /** The document to serve, built by the app; default: `auth.openApi(openApi)`. */
  document?: OpenApiDocument;
}

/**
 * A strict policy for the page: scripts, styles and requests from this origin only (no CDN, no
 * inline script), so Swagger UI works offline and nothing else can run in the page.
 */
export const SWAGGER_UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The Swagger UI files the page loads, from the swagger-ui-dist package (a dependency). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const assetCache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let body = assetCache.get(name);
  if (!body) {
    const raw = readFileSync(join(require.resolve('swagger-ui-dist/package.json'), '..', name));
    // The bundle's source-map comment points at a file this page does not serve.
    body = name.endsWith('.js') ? Buffer.from(raw.toString('utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '\n')) : raw;
    assetCache.set(name, body);
  }
  return body;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function pageHtml(title: string, assets: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${assets}/init.js"></script>
</body>
</html>
`;
}

/** Sets a header on Express's response or Koa's (`@Res()` is either). */
function setHeader(response: any, name: string, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader(name, value);
  else response.set(name, value);
}

function secured(response: any, type: string): void {
  setHeader(response, 'Content-Security-Policy', SWAGGER_UI_CSP);
  setHeader(response, 'X-Content-Type-Options', 'nosniff');
  setHeader(response, 'Content-Type', type);
}

/**
 * A routing-controllers controller serving Swagger UI (the swagger-ui-dist files, no CDN) at
 * `path` and the document at `documentPath`; Express and Koa alike. Its own routes stay out of the
 * document.
 */
export function swaggerUiController(document: () => OpenApiDocument, options: SwaggerUiOptions = {}): Function {
  const path = `/${(options.path ?? '/docs').replace(/^\/+|\/+$/g, '')}`;
  const documentPath = options.documentPath ?? '/openapi.json';
  const prefix = (options.routePrefix ?? '').replace(/\/+$/, '');
  const assets = `${prefix}${path}/assets`;
  // A file, not an inline script, so the page's CSP needs no 'unsafe-inline'. No validator: it
  // would send the document to validator.swagger.io.
  const init = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(prefix + documentPath)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

  @Controller()
  class SwaggerUiController {
    @Get(documentPath)
    @ContentType('application/json; charset=utf-8')
    document(): OpenApiDocument {
      return document();
    }

    @Get(path)
    page(@Res() response: any): string {
      secured(response, 'text/html; charset=utf-8');
      return pageHtml(options.title ?? document().info?.title ?? 'API', assets);
    }

    @Get(`${path}/assets/init.js`)
    init(@Res() response: any): string {
      secured(response, 'text/javascript; charset=utf-8');
      return init;
    }

    @Get(`${path}/assets/:name`)
    asset(@Param('name') name: string, @Res() response: any): Buffer {
      if (!Object.hasOwn(ASSETS, name)) throw new NotFoundError('No such asset.');
      secured(response, ASSETS[name]);
      setHeader(response, 'Cache-Control', 'public, max-age=3600');
      return asset(name);
    }
  }
  (SwaggerUiController as unknown as Record<symbol, boolean>)[NOT_DOCUMENTED] = true;
  return SwaggerUiController;
}
