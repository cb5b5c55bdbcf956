/** How error messages name what an app gave instead of what was expected. */
export function typeName(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x;
}
