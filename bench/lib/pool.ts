// Runs `task` over `items` with at most `concurrency` in flight; rejects on the first failure.

export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i] as T, i);
    }
  });
  await Promise.all(runners);
}
