import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';

/**
 * A Nest transport that receives nothing: it keeps the handlers Nest
 * registers (`getHandlers()`) and the `extras` object Nest hands over with
 * each, so a test or a bench can call Nest's own handler pipeline directly.
 */
export class HandlersOnlyServer extends Server implements CustomTransportStrategy {
  /** Pattern → the `extras` object Nest passed to `addHandler` (the pattern's own metadata). */
  readonly extras = new Map<string, object>();

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    this.extras.set(pattern as string, extras!);
    super.addHandler(pattern, callback, isEventHandler, extras);
  }

  listen(callback: () => void): void {
    callback();
  }

  close(): void {}

  on(): void {}

  unwrap<T>(): T {
    throw new Error('HandlersOnlyServer has no client');
  }
}
