/**
 * `auth.swaggerUi()`: the docs page the library ships, mounted as a routing-controllers controller
 * (Express 4, 5 and Koa), serving swagger-ui-dist's files and the app's document from the app
 * itself: no URL of another origin in what the page loads.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { SwaggerUiOptions } from '../../src';
import { buildApp, type TestApp } from '../support/app';

describe('auth.swaggerUi(): Swagger UI served by the app, offline', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  /** An app with the page, made from its configured Auth as an app does. */
  async function withDocs(options: SwaggerUiOptions = {}): Promise<TestApp> {
    t = await buildApp({ extraControllers: (auth) => [auth.swaggerUi(options)] });
    return t;
  }

  it('serves the page, its three files and init.js from this origin, under a strict CSP, and nothing else of the package', async () => {
    const { app } = await withDocs({ openApi: { onWarning: () => undefined } });
    const page = await request(app).get('/docs');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'").and.include("connect-src 'self'").and.not.include('unsafe-inline');
    const links = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(links).to.have.members([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/init.js',
    ]);
    expect(page.text).not.to.match(/https?:|\/\/[a-z]/i);

    const types: Record<string, RegExp> = {
      '/docs/assets/swagger-ui.css': /^text\/css/,
      '/docs/assets/favicon-32x32.png': /^image\/png/,
      '/docs/assets/swagger-ui-bundle.js': /^text\/javascript/,
      '/docs/assets/init.js': /^text\/javascript/,
    };
    for (const link of links) {
      const res = await request(app).get(link).buffer(true);
      expect(res.status, link).to.equal(200);
      expect(res.headers['content-type'], link).to.match(types[link]);
      expect(Number(res.headers['content-length'] ?? (res.body as Buffer).length), link).to.be.greaterThan(30);
    }
    const bundle = await request(app)
      .get('/docs/assets/swagger-ui-bundle.js')
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      });
    expect(bundle.body).to.include('SwaggerUIBundle').and.not.include('sourceMappingURL=swagger-ui-bundle.js.map');
    const init = await request(app).get('/docs/assets/init.js');
    expect(init.text).to.include('url: "/openapi.json"').and.include('validatorUrl: null');
    expect(init.text).not.to.match(/https?:/);

    expect((await request(app).get('/docs/assets/index.html')).status).to.equal(404);
    expect((await request(app).get('/docs/assets/..%2Fpackage.json')).status).to.equal(404);
  });

  it("serves the app's document at /openapi.json, without the page's own routes", async () => {
    const { app } = await withDocs({ openApi: { info: { title: 'Docs test', version: '3.0.0' }, onWarning: () => undefined } });
    const res = await request(app).get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.body.info).to.include({ title: 'Docs test', version: '3.0.0' });
    expect(res.body.paths).to.have.property('/items/admin');
    expect(Object.keys(res.body.paths).filter((p) => p.startsWith('/docs') || p === '/openapi.json')).to.deep.equal([]);
    expect((await request(app).get('/docs')).text).to.include('<title>Docs test</title>');
  });

  it('takes another path, document path and route prefix for its links', async () => {
    const { app } = await withDocs({
      path: '/api-docs/',
      documentPath: '/spec.json',
      routePrefix: '/v1/',
      document: { openapi: '3.0.3', info: { title: 'Given', version: '1' }, paths: {} },
    });
    const page = await request(app).get('/api-docs');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('href="/v1/api-docs/assets/swagger-ui.css"');
    expect((await request(app).get('/api-docs/assets/init.js')).text).to.include('url: "/v1/spec.json"');
    expect((await request(app).get('/spec.json')).body.info.title).to.equal('Given');
  });
});
