import type { INestApplicationContext, PipeTransform } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PARAMTYPES_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { ModulesContainer, type ApplicationConfig } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum.js';
import { JetStreamExceptionFilter } from '../transport/jetstream-exception.filter.js';
import type { JetStreamContext } from '../transport/jetstream.context.js';
import { JetStreamValidationPipe } from '../transport/jetstream-validation.pipe.js';
import type { DeliveryHandler } from './delivery.js';

type Method = (...args: unknown[]) => unknown;

/** How one parameter of a handler method is filled: the payload (or one of its properties), validated, or the context. */
type ParamSource = { kind: 'payload'; index: number; data?: string; metatype?: unknown } | { kind: 'context'; index: number };

/** A handler method and the instance Nest made of its class. */
interface HandlerMethod {
  instance: object;
  method: Method;
  methodKey: string;
  classRef: object;
}

/**
 * Calls handlers without Nest's RPC pipeline when that pipeline would add
 * nothing but nestjet's own pieces: a static `@JetStreamHandler()` class whose
 * handler has no guards, interceptors, pipes or filters beyond the
 * JetStreamValidationPipe and JetStreamExceptionFilter that decorator puts on
 * it, only `@Payload()` and `@Ctx()` parameters, and an application with no
 * global enhancers. The direct call resolves the same arguments, runs the
 * same validation pipe on `@Payload()` with the same metadata, and lets errors
 * through unchanged, as that exception filter does; everything else (a guard
 * anywhere, a custom parameter decorator, a request-scoped class) keeps Nest's
 * pipeline. Resolved once, when the transport binds.
 *
 * One thing the check cannot see: enhancers registered with `useGlobal*()` on
 * a microservice connected to an app without `inheritAppConfig` (they live on
 * that microservice object alone). Register them on the app with
 * `inheritAppConfig: true`, on the handler class, or as APP_* providers.
 */
export class DirectHandlers {
  private readonly methods = new Map<object, HandlerMethod>();
  private readonly globalsFree: boolean;

  constructor(app: INestApplicationContext) {
    this.globalsFree = noGlobalEnhancers(app);
    if (!this.globalsFree) return;
    for (const module of app.get(ModulesContainer, { strict: false }).values()) {
      for (const wrapper of module.controllers.values()) {
        const instance = wrapper.instance as object | undefined;
        if (!instance || !wrapper.isDependencyTreeStatic()) continue;
        const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
        for (const methodKey of methodNames(proto)) {
          const method = proto[methodKey] as Method;
          const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as object | undefined;
          if (extras) this.methods.set(extras, { instance, method, methodKey, classRef: instance.constructor });
        }
      }
    }
  }

  /**
   * The direct form of a handler Nest registered with these `extras` (the
   * pattern's own metadata object, which Nest hands to `addHandler`), or
   * undefined when Nest's pipeline must run it.
   */
  resolve(extras: object | undefined): DeliveryHandler | undefined {
    const found = extras && this.methods.get(extras);
    if (!found) return undefined;
    const pipe = onlyNestjetEnhancers(found);
    if (!pipe) return undefined;
    const params = paramSources(found);
    if (!params) return undefined;
    const { instance, method } = found;
    const arity = params.reduce((n, p) => Math.max(n, p.index + 1), 0);
    const direct = async (payload: unknown, ctx: JetStreamContext): Promise<unknown> => {
      const args = new Array<unknown>(arity);
      for (const p of params) {
        if (p.kind === 'context') args[p.index] = ctx;
        else {
          const value = p.data ? (payload as Record<string, unknown> | null | undefined)?.[p.data] : payload;
          args[p.index] = pipe === 'none' ? value : await pipe.transform(value, { type: 'body', metatype: p.metatype as never, data: p.data });
        }
      }
      return method.apply(instance, args);
    };
    return direct as unknown as DeliveryHandler;
  }
}

function methodNames(proto: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as Record<string, unknown>) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, name)?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** Global guards, interceptors, pipes or filters would run in Nest's pipeline; without a way to see them, assume some. */
function noGlobalEnhancers(app: INestApplicationContext): boolean {
  const config = (app as unknown as { container?: { applicationConfig?: ApplicationConfig } }).container?.applicationConfig;
  if (!config) return false;
  const counts = [
    config.getGlobalGuards(),
    config.getGlobalInterceptors(),
    config.getGlobalPipes(),
    config.getGlobalFilters(),
    config.getGlobalRequestGuards(),
    config.getGlobalRequestInterceptors(),
    config.getGlobalRequestPipes(),
    config.getGlobalRequestFilters(),
    config.getGlobalPreRequestHooks(),
  ];
  return counts.every((list) => list.length === 0);
}

/**
 * The validation pipe the handler runs with ('none' without one), when its
 * class and method carry nothing but nestjet's pipe and filter; undefined otherwise.
 */
function onlyNestjetEnhancers({ classRef, method }: HandlerMethod): PipeTransform | 'none' | undefined {
  const of = (key: string) => [...((Reflect.getMetadata(key, classRef) as unknown[]) ?? []), ...((Reflect.getMetadata(key, method) as unknown[]) ?? [])];
  if (of(GUARDS_METADATA).length > 0 || of(INTERCEPTORS_METADATA).length > 0) return undefined;
  // Without nestjet's filter, Nest's default RPC filter would replace errors: that class keeps Nest's pipeline.
  const filters = of(EXCEPTION_FILTERS_METADATA);
  if (filters.length === 0 || !filters.every((f) => f instanceof JetStreamExceptionFilter)) return undefined;
  const pipes = of(PIPES_METADATA);
  if (pipes.length > 1 || !pipes.every((p) => p instanceof JetStreamValidationPipe)) return undefined;
  return (pipes[0] as JetStreamValidationPipe | undefined) ?? 'none';
}

/** `@Payload()` and `@Ctx()` parameters without pipes of their own; undefined for anything else. */
function paramSources({ classRef, methodKey }: HandlerMethod): ParamSource[] | undefined {
  // Without parameter decorators Nest's default is `@Payload()` on the first parameter (validated, and no context).
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, classRef, methodKey) ?? { [`${RpcParamtype.PAYLOAD}:0`]: { index: 0 } }) as Record<string, { index: number; data?: unknown; pipes?: unknown[] }>;
  const types = (Reflect.getMetadata(PARAMTYPES_METADATA, (classRef as { prototype: object }).prototype, methodKey) ?? []) as unknown[];
  const sources: ParamSource[] = [];
  for (const [key, arg] of Object.entries(args)) {
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA) || (arg.pipes?.length ?? 0) > 0) return undefined;
    const type = Number(key.split(':')[0]);
    if (type === RpcParamtype.CONTEXT) sources.push({ kind: 'context', index: arg.index });
    else if (type === RpcParamtype.PAYLOAD && (arg.data === undefined || typeof arg.data === 'string')) {
      sources.push({ kind: 'payload', index: arg.index, data: arg.data as string | undefined, metatype: types[arg.index] });
    } else return undefined;
  }
  return sources;
}
