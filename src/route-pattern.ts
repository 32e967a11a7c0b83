/** A Hono route path (`/user/:id`, `/admin/*`) as a RegExp over request paths. */
export const routeRegex = (path: string): RegExp =>
  new RegExp(`^${path.replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}$`);
