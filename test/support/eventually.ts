/**
 * Polls until `fn` returns something truthy, or fails naming `what`. Activities run in real time
 * even when a time-skipping server has jumped ahead, so a test waits for their effects.
 */
export async function eventually<T>(fn: () => Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
