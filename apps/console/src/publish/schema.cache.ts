import { api } from '../api/api.client';
import { onSignOut } from '../session/session.store';
import type { OpenApiDocument } from './json-schema';

let openApi: Promise<OpenApiDocument> | null = null;

/** The API description changes only with a deploy, so one fetch per session is enough. */
export function loadOpenApi(): Promise<OpenApiDocument> {
  openApi ??= api.get<OpenApiDocument>('/docs/openapi.json').catch((e: unknown) => {
    openApi = null;
    throw e;
  });
  return openApi;
}

onSignOut(() => {
  openApi = null;
});
