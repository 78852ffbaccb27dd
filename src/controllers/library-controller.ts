const LIBRARY_CONTROLLER = Symbol.for('routing-controllers-auth:library-controller');

/**
 * Marks one of the library's base controllers, so a failure on a route an app inherits from it is
 * answered by the library's rule (outage 503, bug 500 `{code, message}` reported once) rather than
 * with routing-controllers' development body, which carries the stack.
 */
export function LibraryController(): ClassDecorator {
  return (target) => {
    (target.prototype as Record<symbol, unknown>)[LIBRARY_CONTROLLER] = true;
  };
}

/** True for a controller class that is, or extends, one of the library's base controllers. */
export function isLibraryController(target: unknown): boolean {
  return typeof target === 'function' && (target.prototype as Record<symbol, unknown> | undefined)?.[LIBRARY_CONTROLLER] === true;
}
