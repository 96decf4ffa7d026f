import { EnvBoolean, EnvList, EnvNumber, ServiceEnvironment } from '#jetstream';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min, ValidateIf } from 'class-validator';

export class ProducerEnvironment extends ServiceEnvironment {
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  /** Larger request bodies get 413. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  BATCH_MAX_MESSAGES = 100;

  /** Furthest ahead a message may be scheduled (`deliverAt`, `delayMs`); default 365 days. */
  @EnvNumber()
  @IsInt()
  @Min(1_000)
  SCHEDULE_MAX_DELAY_MS = 365 * 24 * 3600_000;

  /** Most messages the SCHEDULES stream may hold (pending schedules and their ledger entries, plus delivered ones for 24 h); beyond it scheduling answers 507. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  SCHEDULES_MAX_MESSAGES = 1_000_000;

  /** Most schedules one caller (credential) may have pending, counted by the server across all pods; beyond it 507 (quota `schedules-per-caller`). */
  @EnvNumber()
  @IsInt()
  @Min(1)
  SCHEDULES_MAX_PENDING_PER_CALLER = 100_000;

  /**
   * Most payload bytes one caller's pending schedules may hold, counted by the server across all pods in
   * 4 KiB units rounded up per schedule; beyond it 507 (quota `schedules-bytes-per-caller`). The default,
   * a quarter of SCHEDULES_MAX_BYTES, leaves room for other callers.
   */
  @EnvNumber()
  @IsInt()
  @Min(4096)
  SCHEDULES_MAX_PENDING_BYTES_PER_CALLER = 268_435_456;

  /** Most bytes the SCHEDULES stream may hold; beyond it scheduling answers 507 (quota `schedules-bytes`). Keep it well under the JetStream volume. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  SCHEDULES_MAX_BYTES = 1024 * 1024 * 1024;

  /** `ce-source` of messages posted as plain payloads (a structured CloudEvent keeps its own source). */
  @IsString()
  @Length(1, 1024)
  CLOUDEVENTS_SOURCE = '/nestjet/ingress';

  /** The ingress's base URL as clients reach it: `ce-dataschema` links to its schema route. Default http://localhost:<PORT>. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['https', 'http'] }, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL?: string;

  /** Whole publish deadline including retries; past it the ingress answers 503. */
  @EnvNumber()
  @IsInt()
  @Min(50)
  PUBLISH_DEADLINE_MS = 5_000;

  @EnvNumber()
  @IsInt()
  @Min(10)
  PUBLISH_ATTEMPT_TIMEOUT_MS = 2_000;

  /** Serve the admin APIs (/v1/dlq, /v1/ops); turn off on ingress-only deployments. */
  @EnvBoolean()
  @IsBoolean()
  ADMIN_API_ENABLED = true;

  /** Serve the operations console at /console/ (static files; its data comes from the admin APIs, with the caller's credential). */
  @EnvBoolean()
  @IsBoolean()
  CONSOLE_ENABLED = true;

  /** How often the operations view samples stream and consumer state (rates, 15 minutes of history); 0: never. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(60_000)
  OPS_SAMPLE_INTERVAL_MS = 2_000;

  /** Jaeger's query API (e.g. http://jaeger:16686), for the console's trace view through /v1/ops/traces. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['https', 'http'] }, { message: 'JAEGER_QUERY_URL must be an http(s) URL' })
  JAEGER_QUERY_URL?: string;

  /** Jaeger's UI as the viewer reaches it, for "Open in Jaeger" links; unset: no link. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['https', 'http'] }, { message: 'JAEGER_UI_URL must be an http(s) URL' })
  JAEGER_UI_URL?: string;

  /** `none` turns REST authentication off (local experiments only; warned at every start). */
  @IsOptional()
  @IsIn(['none'], { message: 'AUTH_MODE is either unset (authentication required) or none' })
  AUTH_MODE?: 'none';

  /** JSON file of API keys: `[{"id", "hash": "sha256:<hex>", "scopes": [...]}]` (see README, Security). */
  @IsOptional()
  @IsString()
  API_KEYS_FILE?: string;

  /** JWT bearer tokens are verified against this JWKS (with JWT_ISSUER and JWT_AUDIENCE); https unless JWT_JWKS_ALLOW_HTTP. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['https', 'http'] }, { message: 'JWT_JWKS_URL must be an http(s) URL' })
  JWT_JWKS_URL?: string;

  /** Accept an http:// JWKS (tests, a loopback sidecar): keys fetched in clear can be swapped on the way, and with them every token. */
  @EnvBoolean()
  @IsBoolean()
  JWT_JWKS_ALLOW_HTTP = false;

  @ValidateIf((e: ProducerEnvironment) => e.JWT_JWKS_URL !== undefined)
  @IsString({ message: 'JWT_ISSUER is required with JWT_JWKS_URL' })
  JWT_ISSUER?: string;

  @ValidateIf((e: ProducerEnvironment) => e.JWT_JWKS_URL !== undefined)
  @IsString({ message: 'JWT_AUDIENCE is required with JWT_JWKS_URL' })
  JWT_AUDIENCE?: string;

  /** Accepted `typ` header values of a JWT (case-insensitive, `application/` optional); RFC 9068 access tokens are `at+jwt`. */
  @EnvList()
  @IsArray()
  @ArrayMinSize(1, { message: 'JWT_TYPES must name at least one typ (e.g. at+jwt,JWT)' })
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9!#$&^_.+-]+(\/[A-Za-z0-9!#$&^_.+-]+)?$/, { each: true, message: 'JWT_TYPES: each typ is a media type like at+jwt or application/at+jwt' })
  JWT_TYPES: string[] = ['at+jwt', 'JWT'];

  /** Longest a JWT may be valid (exp − iat, or exp − now without iat); a token without exp is always refused. Default 24 h. */
  @EnvNumber()
  @IsInt()
  @Min(60)
  @Max(366 * 24 * 3600)
  JWT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

  /** Serve /metrics without a credential (Prometheus); the chart's public Ingress never routes it. */
  @EnvBoolean()
  @IsBoolean()
  METRICS_PUBLIC = true;

  /** Serve the OpenAPI UI and document (/docs) without a credential. */
  @EnvBoolean()
  @IsBoolean()
  DOCS_PUBLIC = true;

  /**
   * Requests run through the ingress in-process before the port opens (and so
   * before /readyz can answer), so a new pod takes its first traffic with warm
   * code; each is refused by validation, so nothing is published. 0: none.
   */
  @EnvNumber()
  @IsInt()
  @Min(0)
  @Max(100_000)
  WARM_UP_REQUESTS = 1_000;

  /** Requests per credential per RATE_LIMIT_WINDOW_MS, counted across all producer pods; past it 429 (quota `requests`). A key's or JWT's `quotas.requests` overrides it. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX = 2_000;

  /** Requests per client address per window to the public paths (console files, /docs, /metrics when public); probes are exempt. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  RATE_LIMIT_ANONYMOUS_MAX = 50;

  @EnvNumber()
  @IsInt()
  @Min(100)
  @Max(300_000)
  RATE_LIMIT_WINDOW_MS = 1_000;

  /** Bytes a credential may publish (stored payloads, scheduled ones included) per PUBLISH_BYTES_WINDOW_MS, across all pods; past it 429 (quota `publish-bytes`). A key's or JWT's `quotas.publishBytes` overrides it. */
  @EnvNumber()
  @IsInt()
  @Min(1024)
  PUBLISH_BYTES_MAX = 256 * 1024 * 1024;

  @EnvNumber()
  @IsInt()
  @Min(100)
  @Max(300_000)
  PUBLISH_BYTES_WINDOW_MS = 60_000;

  /** Requests with no or a refused credential per client address per AUTH_FAILURE_WINDOW_MS, across all pods; past it 429 (quota `auth-failures`) instead of 401. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  AUTH_FAILURE_MAX = 30;

  @EnvNumber()
  @IsInt()
  @Min(100)
  @Max(300_000)
  AUTH_FAILURE_WINDOW_MS = 60_000;

  /** How often each pod adds its quota counts to the shared counters (the COUNTERS stream) and learns the others'. */
  @EnvNumber()
  @IsInt()
  @Min(10)
  @Max(10_000)
  QUOTA_FLUSH_INTERVAL_MS = 200;

  /**
   * Share of a quota one pod may grant between two answers from the shared
   * counter; past it the pod waits for one. N pods together pass a quota by
   * less than N × QUOTA_LOCAL_SHARE × the quota. 0: every grant asks.
   */
  @EnvNumber()
  @Min(0)
  @Max(1)
  QUOTA_LOCAL_SHARE = 0.05;

  /** A JWT claim holding per-caller quota overrides (`{"requests": n, "publishBytes": n}`); unset: JWT callers get the defaults. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/, { message: 'JWT_QUOTA_CLAIM must be a claim name' })
  JWT_QUOTA_CLAIM?: string;

  /**
   * Behind an Ingress controller or load balancer: the proxies whose
   * X-Forwarded-For is believed (comma-separated addresses/CIDRs, or true for
   * any), so rate limits apply per client instead of per proxy.
   */
  @IsOptional()
  @Matches(/^(true|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, { message: 'TRUST_PROXY must be true, false or a list of addresses/CIDRs' })
  TRUST_PROXY?: string;

  /** A request must arrive whole (headers and body) within this; slow clients get 408. */
  @EnvNumber()
  @IsInt()
  @Min(100)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** The headers must arrive within this (slow-loris). */
  @EnvNumber()
  @IsInt()
  @Min(100)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** Idle keep-alive connections close after this; above the usual 60 s of load balancers. */
  @EnvNumber()
  @IsInt()
  @Min(1_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

  /** At most this many field errors in a 400; the rest are counted in `errorsOmitted`. */
  @EnvNumber()
  @IsInt()
  @Min(1)
  @Max(1_000)
  MAX_FIELD_ERRORS = 20;

  /** Value of Retry-After on 503. */
  @EnvNumber()
  @IsInt()
  @Min(0)
  RETRY_AFTER_SECONDS = 2;

  /** PUBLIC_URL, or this server on localhost. */
  get publicUrl(): string {
    return this.PUBLIC_URL ?? `http://localhost:${this.PORT}`;
  }
}
