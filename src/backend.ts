import type { Strategy } from './strategies/strategy';
import type { Transport } from './transports/transport';

export interface AuthenticationBackendOptions {
  /** Unique among the configured backends; `AuthController` subclasses name it in `super(name)`. */
  name: string;
  transport: Transport;
  strategy: Strategy;
}

/** A transport (how the token travels) paired with a strategy (how it is made and checked). */
export class AuthenticationBackend {
  readonly name: string;
  readonly transport: Transport;
  readonly strategy: Strategy;

  constructor(options: AuthenticationBackendOptions) {
    this.name = options.name;
    this.transport = options.transport;
    this.strategy = options.strategy;
  }
}
