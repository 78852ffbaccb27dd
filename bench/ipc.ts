import type { ChildProcess } from 'child_process';
import type { RunnerRequest, ServerMessage } from './variant';

const ANSWER_TIMEOUT_MS = 10_000;

/** Asks a server process something over IPC and waits for the answer of the given type. */
export function ask<T extends ServerMessage['type']>(child: ChildProcess, request: RunnerRequest, answer: T): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ServerMessage) => {
      if (message.type !== answer) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as Extract<ServerMessage, { type: T }>);
    };
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no '${answer}' answer from the server within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    child.on('message', onMessage);
    child.send(request);
  });
}

/** Tells a server process something that needs no answer. */
export function tell(child: ChildProcess, request: RunnerRequest): void {
  child.send(request);
}
