import { Token } from 'typedi';

/** What the example sends instead of email. A real app plugs its mail service in here. */
export interface Mail {
  to: string;
  subject: string;
  /** The single-use token a real email would carry in a link. */
  token: string;
}

export interface Mailer {
  send(mail: Mail): void | Promise<void>;
}

/** The typedi token the example's UserManager resolves its mailer with. */
export const MAILER = new Token<Mailer>('routing-controllers-auth-example:mailer');

/**
 * Prints mails to the console — a development stand-in for email, so verify / reset tokens can
 * be copied from the terminal. Never print tokens in production: they are credentials.
 */
export const consoleMailer: Mailer = {
  send(mail) {
    console.log(`[mail] to ${mail.to}: ${mail.subject}\n[mail]   token: ${mail.token}`);
  },
};
