/** The refresh flow moved to src/flows/refresh.ts; the name stays importable from here. */
export { refreshSession } from '../flows/refresh';
