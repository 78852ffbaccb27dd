/**
 * Polls until `check` passes (a store is back and the client has reconnected), bounded: a check that
 * throws counts as "not yet".
 */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not recovered within ${timeoutMs} ms`);
}
