import { subjectMatches } from '#contracts';

export interface Route<H> {
  pattern: string;
  handler: H;
}

const ANY_CONSUMER = '*';

/**
 * Handlers by consumer and subject pattern. `@EventPattern('orders.created',
 * { consumer: 'fulfillment' })` binds a handler to one durable; without a
 * consumer it serves every bound durable. Lookups are cached per subject
 * because routed subjects repeat.
 */
export class HandlerRoutes<H> {
  private readonly routes = new Map<string, Route<H>[]>();
  private readonly cache = new Map<string, Route<H> | null>();

  add(consumer: string | undefined, pattern: string, handler: H): void {
    const key = consumer ?? ANY_CONSUMER;
    const list = this.routes.get(key) ?? [];
    if (list.some((r) => r.pattern === pattern)) {
      throw new Error(`two handlers for pattern "${pattern}" on consumer "${key}"`);
    }
    list.push({ pattern, handler });
    this.routes.set(key, list);
    this.cache.clear();
  }

  find(consumer: string, subject: string): Route<H> | null {
    const key = `${consumer} ${subject}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const match = (list?: Route<H>[]) => list?.find((r) => subjectMatches(r.pattern, subject));
    const found = match(this.routes.get(consumer)) ?? match(this.routes.get(ANY_CONSUMER)) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }

  /** Swaps each route's handler for what `swap` makes of it (the same one to keep it). */
  replaceHandlers(swap: (route: Route<H>) => H): void {
    for (const list of this.routes.values()) for (const route of list) route.handler = swap(route);
    this.cache.clear();
  }

  handlers(): H[] {
    return [...this.routes.values()].flat().map((r) => r.handler);
  }

  consumers(): string[] {
    return [...this.routes.keys()].filter((k) => k !== ANY_CONSUMER);
  }
}
