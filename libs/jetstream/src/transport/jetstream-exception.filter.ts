import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC filter replaces unknown errors with a generic
 * "Internal server error", which would hide whether an error is retryable and
 * lose the reason the dead-letter record needs. This filter passes the
 * original error through to the transport.
 */
@Catch()
export class JetStreamExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
