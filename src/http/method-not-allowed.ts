/**
 * A known path asked with a method it does not serve: 405 with the methods it does (RFC 9110 15.5.6),
 * not a 404 that would say the path does not exist. Built from the app's own routes, so it cannot drift.
 */
interface Route {
  method: string;
  path: string;
}

const pattern = (path: string) =>
  new RegExp(
    `^${path
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
  );

export function allowedMethods(routes: readonly Route[]) {
  let table: { re: RegExp; methods: Set<string> }[] | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const r of routes) {
      // Middleware (ALL) and wildcards are not resources.
      if (r.method === 'ALL' || r.path.includes('*')) continue;
      const methods = byPath.get(r.path) ?? new Set<string>();
      methods.add(r.method);
      if (r.method === 'GET') methods.add('HEAD');
      byPath.set(r.path, methods);
    }
    return [...byPath].map(([path, methods]) => ({ re: pattern(path), methods }));
  };
  /** The methods `path` answers to, or null when no route has that path. */
  return function allowed(path: string): string[] | null {
    table ??= build();
    const methods = new Set<string>();
    for (const entry of table) if (entry.re.test(path)) for (const m of entry.methods) methods.add(m);
    return methods.size > 0 ? [...methods].sort() : null;
  };
}
