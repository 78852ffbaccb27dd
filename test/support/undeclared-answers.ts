import { takeUndeclaredAnswers } from '../../src/routes/undeclared-answers';

/**
 * Mocha root hook: every HTTP test is also a check of the library routes' declarations. A library
 * route that answered a code its declaration (and so the OpenAPI document) does not list, anywhere
 * in the run, fails the run, naming the route, status and code.
 */
export const mochaHooks = {
  afterAll(): void {
    const found = takeUndeclaredAnswers();
    if (found.length === 0) return;
    const lines = found.map((a) => `- ${a.route} answered ${a.status} ${a.code}`);
    throw new Error(`Library routes answered codes their declarations do not list:\n${lines.join('\n')}`);
  },
};
