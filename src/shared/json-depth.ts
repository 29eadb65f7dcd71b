// Bounding how deeply untrusted JSON nests, before anything recursive (serialising, schemas) touches it.

/**
 * Whether a JSON value nests deeper than `max` levels (an object or array is one level). Walks
 * iteratively, so a hostile depth cannot overflow the stack before it is refused.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== "object") continue;
    const depth = item.depth + 1;
    if (depth > max) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return false;
}
