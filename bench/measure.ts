/** One benchmark line: a measured rate beside a floor measured in the same run, as a cost ratio. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly floor?: number;
  readonly floorName?: string;
  /** floor rate / measured rate: how many times the floor's cost the measured work costs. */
  readonly ratio?: number;
  /** The ratio the issue sets as a goal (at most). */
  readonly goal?: number;
  /** An absolute goal (at most), in `unit`, for figures that are not rates (e.g. MB resident). */
  readonly limit?: number;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up and returns its rate. */
export async function measure(fn: () => unknown, ms = 1000): Promise<{ opsPerSecond: number; iterations: number }> {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) await fn();
  let iterations = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) await fn();
    iterations += 20;
    now = performance.now();
  }
  return { opsPerSecond: (iterations * 1000) / (now - start), iterations };
}

export function formatResult(r: BenchResult): string {
  const rate = `${r.value.toFixed(0)} ${r.unit}`;
  if (r.limit !== undefined) return `${r.name}: ${rate}, goal <= ${r.limit} ${r.unit}: ${r.value <= r.limit ? 'met' : 'NOT met'}`;
  if (r.ratio === undefined || r.floor === undefined) return `${r.name}: ${rate}`;
  const goal = r.goal === undefined ? '' : `, goal <= ${r.goal}x: ${r.ratio <= r.goal ? 'met' : 'NOT met'}`;
  return `${r.name}: ${rate}; floor (${r.floorName ?? 'floor'}) ${r.floor.toFixed(0)} ${r.unit}; ratio ${r.ratio.toFixed(2)}x${goal}`;
}
