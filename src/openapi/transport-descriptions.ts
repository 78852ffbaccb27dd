import { bearerLoginResponses } from '../transports/bearer';
import { cookieLoginResponses } from '../transports/cookie';
import type { Transport } from '../transports/transport';

/** A transport as the OpenAPI document and the start-up checks see it: its own words, else generic ones. */
export interface TransportDescription {
  label: string;
  setsCookies: boolean;
  originChecks: { issuing: boolean; authenticated: boolean };
  challenges: boolean;
  securityScheme(backendName: string, scopes: Readonly<Record<string, string>>): Record<string, unknown>;
  loginResponses(refresh: boolean): Record<string, unknown>;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * What `transport` says about itself. A transport of the app's own that says nothing is described
 * generically: an HTTP authentication scheme named after its `scheme`, a login answering either a
 * token (200) or cookies (204), no origin checks and no challenge.
 */
export function describeTransport(transport: Transport): TransportDescription {
  return {
    label: transport.label ?? capitalised(transport.scheme),
    setsCookies: transport.setsCookies ?? false,
    originChecks: transport.originChecks ?? { issuing: false, authenticated: false },
    // One truth for the document and the answers: a transport challenges when it says how (`challenge`).
    challenges: typeof transport.challenge === 'function',
    securityScheme: (backendName, scopes) =>
      transport.describeSecurity?.(backendName, scopes) ?? {
        type: 'http',
        scheme: transport.scheme,
        description: `Backend "${backendName}": credentials through the app's own "${transport.scheme}" transport.`,
      },
    loginResponses: (refresh) => transport.describeLoginResponses?.(refresh) ?? genericLoginResponses(refresh),
  };
}

/** Either answer of the library's transports: what a login through a transport that does not say answers. */
export function genericLoginResponses(refresh: boolean): Record<string, unknown> {
  return { ...bearerLoginResponses(refresh), ...cookieLoginResponses(refresh) };
}
