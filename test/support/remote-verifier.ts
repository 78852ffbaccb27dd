import { fork, type ChildProcess } from 'child_process';
import { join } from 'path';

/** What the other service answered about a token. */
export type RemoteVerdict = { ok: true; kid?: string; sub?: string } | { ok: false; code: string };

/**
 * A second process verifying tokens with jose against a JWKS URL (see jwks-verifier.ts): what
 * another service would do with the app's `/.well-known/jwks.json`.
 */
export class RemoteVerifier {
  private next = 0;
  private readonly waiting = new Map<number, (answer: any) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: { id?: number }) => {
      if (answer.id === undefined) return;
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    });
  }

  static async start(jwksUrl: string, audience: string): Promise<RemoteVerifier> {
    const child = fork(join(__dirname, 'jwks-verifier.js'), [jwksUrl, audience], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the verifier process exited (${code})`)));
    });
    return new RemoteVerifier(child);
  }

  verify(token: string): Promise<RemoteVerdict> {
    return this.ask({ token }).then(({ ok, kid, sub, code }) => (ok ? { ok, kid, sub } : { ok, code }));
  }

  /** Refetches the set now, as the verifier does once the served `max-age` has passed. */
  async reload(): Promise<void> {
    const answer = await this.ask({ reload: true });
    if (!answer.ok) throw new Error(`reload failed: ${answer.code}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }

  private ask(message: object): Promise<any> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the verifier process did not answer')), 10_000);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.send({ id, ...message });
    });
  }
}
