import { expect } from 'chai';
import { spawn } from 'child_process';
import { join, resolve } from 'path';

/** The tool as npm links it (`bin`), run with the Node running the tests. */
export const CLI = resolve(__dirname, '../../../src/cli/main.js');
/** The compiled DataSource files of test/support/cli. */
export const FIXTURES = __dirname;
export const DATA_SOURCE = join(FIXTURES, 'data-source.js');
export const ADMIN_PASSWORD = 'an admin passphrase for the tool';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the tool as a child process; `input` is its stdin (a pipe, not a terminal), closed after writing. */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the tool in a real pseudo-terminal (util-linux `script`): each time the tool prompts, the
 * next of `answers` is typed, followed by Enter. Resolves with everything the terminal showed.
 */
export function runInTerminal(args: string[], env: Record<string, string>, answers: string[]): Promise<{ code: number | null; screen: string }> {
  return new Promise((done, fail) => {
    const command = [process.execPath, CLI, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let prompted = 0;
    child.stdout.on('data', (chunk) => {
      screen += chunk;
      const prompts = screen.match(/Password( \(again\))?: /g)?.length ?? 0;
      while (prompted < prompts && prompted < answers.length) child.stdin.write(`${answers[prompted++]}\r`);
    });
    child.stderr.on('data', (chunk) => (screen += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, screen }));
  });
}

/** A one-line message on stderr, exit code 2, nothing on stdout. */
export function expectRefused(run: Run, message: string): void {
  expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).to.deep.equal({ code: 2, stdout: '', stderr: `error: ${message}\n` });
}
