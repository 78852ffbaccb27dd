/** Runs `work` with console.error captured; returns the arguments of each call (the log lines). */
export async function captureConsoleErrors(work: () => Promise<void> | void): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void calls.push(args);
  try {
    await work();
  } finally {
    console.error = original;
  }
  return calls;
}
