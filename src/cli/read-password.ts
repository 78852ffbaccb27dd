import { createInterface } from 'readline';
import { CliError } from './cli-error';

/**
 * The new password: typed without echo (twice, to catch a typo) when stdin is a terminal,
 * otherwise the first line of stdin (`echo "$PASSWORD" | …`, a file, a secret store's pipe).
 * Taken exactly as given, spaces included: only the line ending is removed.
 */
export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFirstLine();
  const password = await promptHidden('Password: ');
  if ((await promptHidden('Password (again): ')) !== password) throw new CliError('The two passwords differ: nothing was changed.');
  return password;
}

function readFirstLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    let first: string | undefined;
    lines.once('line', (line) => {
      first = line;
      lines.close();
    });
    lines.once('close', () => {
      process.stdin.pause();
      if (first) resolve(first);
      else reject(new CliError('No password on stdin: pipe it in, or run the command in a terminal to type it.'));
    });
  });
}

/** Reads a line from the terminal in raw mode, echoing nothing; the prompt goes to stderr. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Raw mode (no echo) before the prompt: what is typed once the prompt shows is never echoed.
  input.setRawMode(true);
  process.stderr.write(prompt);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else if (value) resolve(value);
      else reject(new CliError('No password given: nothing was changed.'));
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(); // Enter, Ctrl-D
        if (char === '\u0003') return finish(new CliError('Cancelled: nothing was changed.')); // Ctrl-C
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char === '\u0015')
          value = ''; // Ctrl-U
        else if (char >= ' ') value += char; // other control characters are not part of a password
      }
    };
    input.on('data', onData);
  });
}
