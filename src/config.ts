import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * One typed configuration, parsed once at start from PROFILE_EDGE_* variables and CLI flags
 * (flags win). Invalid values fail fast with a message naming the variable.
 */
export interface Limits {
  /** Longest attribute name, in characters. */
  maxNameLength: number;
  /** Longest value through the single/bulk profile APIs and the admin API. */
  maxApiValueLength: number;
  /** Longest value of a delivery `profileParameters` entry. */
  maxDeliveryValueLength: number;
  /** Most profile parameters per delivery mbox or pageLoad. */
  maxDeliveryParameters: number;
  /** Total attribute data of one profile (UTF-8 bytes of names and values). */
  maxProfileBytes: number;
  /** Single update: longest query string (GET or POST). */
  maxUpdateQueryBytes: number;
  /** Single update: largest POST body. */
  maxUpdateBodyBytes: number;
  /** Longest thirdPartyId on the m2 and fetch endpoints. */
  maxThirdPartyIdLength: number;
  /** Longest tntId / ECID. */
  maxDeviceIdLength: number;
  /** Bulk update: a request body must be smaller than this (50 MB, docs/wire-contract.md#32-limits). */
  maxBatchBodyBytes: number;
  /** Bulk update: most data rows in one batch. */
  maxBatchRows: number;
  /** Bulk update: longest header line (`batch=` and the column names), checked before it is split. */
  maxBatchHeaderBytes: number;
  /** Bulk update: most attribute columns after the key column, counted before the header is split. */
  maxBatchColumns: number;
  /** Longest thirdPartyId on delivery calls (Target's Delivery API schema: 128). */
  maxDeliveryThirdPartyIdLength: number;
  /** Most tntIds, and most ECIDs, one profile holds (tooManyIds in src/domain/profile-write.ts). */
  maxDeviceIdsPerKind: number;
  /** Most thirdPartyIds, and most customerIds, one profile holds. */
  maxCustomerIdsPerKind: number;
  /** Most mboxes in `execute.mboxes` / `prefetch.mboxes` of one delivery call. */
  maxDeliveryMboxes: number;
  /**
   * Largest delivery request body, checked before it is read (Content-Length) and as it arrives.
   * Target accepts 60 MB; Adobe's SDKs send a few KB (docs/security.md#limits-and-hostile-input).
   */
  maxDeliveryBodyBytes: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Operator-provided admin key (never defaulted); undefined = generated at first start. */
  adminKey: string | undefined;
  publicUrl: string | undefined;
  /** The built web console served at /console/ (docs/console.md); `dist/console` of the package by default. */
  consoleDir: string;
  logLevel: string;
  accessLog: boolean;
  /** Lifetime of a profile token, in seconds. */
  tokenTtlSeconds: number;
  /** Lifetime of a generated admin key, in days. */
  adminKeyTtlDays: number;
  /** How often the lifetime sweep runs, in seconds. */
  sweepIntervalSeconds: number;
  /**
   * How long one day of a client's `profileLifetimeDays` lasts, in ms: a day, unless a soak or a
   * test shortens it to watch profiles expire and be swept (PROFILE_EDGE_LIFETIME_DAY_SECONDS).
   */
  lifetimeDayMs: number;
  /** SQLite `synchronous` pragma: NORMAL survives process kills, FULL also power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Grace period for in-flight requests on SIGTERM, in milliseconds. */
  shutdownTimeoutMs: number;
  /** Server processes sharing the listening port (node:cluster); 1 = no cluster. */
  workers: number;
  /**
   * PostgreSQL: how long a process's claim on a batch lasts without progress (each chunk renews
   * it). A process that dies has its batch taken over by another this long after its last chunk.
   */
  batchLeaseSeconds: number;
  /**
   * Keep clients and tokens in memory (ADR 004). Off: every profile API call reads both from the
   * database. Applies to PostgreSQL and to a single SQLite process (several workers never cache).
   */
  authCache: boolean;
  /**
   * PostgreSQL: longest time a cached client or token is trusted. Other nodes' changes normally
   * arrive within milliseconds (LISTEN/NOTIFY); this bounds a missed notification.
   */
  authCacheTtlSeconds: number;
  /** PostgreSQL: connections in this process's pool. */
  databasePoolSize: number;
  /**
   * PostgreSQL: longest wait for a free pooled connection; past it the request answers 503 with
   * Retry-After 1 (every connection busy: load, not an outage).
   */
  databasePoolWaitMs: number;
  /** Connection-level limits against oversized and slow clients (docs/security.md). */
  server: ServerLimits;
  /** Bulk API calls (batch uploads) one client may make per minute; 0 = no limit. Target: 50. */
  bulkRateLimitPerMinute: number;
  /**
   * Keys that sign and verify event tokens (PROFILE_EDGE_EVENT_TOKEN_KEYS): the first signs, all
   * verify (a rotation). Undefined: one key generated per database and kept in it.
   */
  eventTokenKeys: Buffer[] | undefined;
  /**
   * PROFILE_EDGE_TLS_CERT_FILE / PROFILE_EDGE_TLS_KEY_FILE: PEM files that make the server listen
   * with TLS (Adobe's Web SDK speaks only https, docs/web-sdk.md#tls). Both or neither; unset: HTTP.
   */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Path prefix of the Edge Network routes (PROFILE_EDGE_EDGE_BASE_PATH, the Web SDK's `edgeBasePath`), no leading or trailing `/`. */
  edgeBasePath: string;
  limits: Limits;
  /** Each profile script run's budget and each client sandbox's caps (docs/profile-scripts.md#budget). */
  scripts: ScriptLimits;
}

export interface ScriptLimits {
  /** Interpreter steps (function calls, loop iterations) per run; Target: 2,000 instructions. */
  steps: number;
  /** Wall-clock time per run, in milliseconds. */
  deadlineMs: number;
  /** Heap of one client's sandbox, in bytes. */
  memoryBytes: number;
  /** Stack of one client's sandbox, in bytes. */
  stackBytes: number;
}

export interface ServerLimits {
  /** Largest request line + headers, in bytes; above → 431. */
  maxHeaderBytes: number;
  /** Time a client has to send the complete request headers (slowloris); then 408 and close. */
  headersTimeoutMs: number;
  /** Time a client has to send the complete request, body included; then 408 and close. */
  requestTimeoutMs: number;
  /** A socket with no traffic in either direction for this long is closed. */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Requests served on one keep-alive connection before it is closed; 0 = unlimited. */
  maxRequestsPerSocket: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 10_000,
};

export const DEFAULT_LIMITS: Limits = {
  maxNameLength: 128,
  maxApiValueLength: 5000,
  maxDeliveryValueLength: 256,
  maxDeliveryParameters: 50,
  maxProfileBytes: 64 * 1024,
  maxUpdateQueryBytes: 8 * 1024,
  maxUpdateBodyBytes: 60 * 1024,
  maxThirdPartyIdLength: 256,
  maxDeviceIdLength: 128,
  maxBatchBodyBytes: 50 * 1024 * 1024,
  maxBatchRows: 500_000,
  maxBatchHeaderBytes: 2 * 1024 * 1024,
  maxBatchColumns: 10_000,
  maxDeliveryThirdPartyIdLength: 128,
  maxDeliveryMboxes: 50,
  maxDeviceIdsPerKind: 1000,
  maxCustomerIdsPerKind: 100,
  maxDeliveryBodyBytes: 1024 * 1024,
};

export class ConfigError extends Error {}

export type ConfigOverrides = Partial<Omit<Config, 'limits' | 'server'>> & { limits?: Partial<Limits>; server?: Partial<ServerLimits> };

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got '${raw}'`);
}

/** Shortest event token key, in bytes (HMAC-SHA256 keys shorter than this are guessable). */
export const MIN_EVENT_TOKEN_KEY_BYTES = 16;

/**
 * PROFILE_EDGE_EVENT_TOKEN_KEYS: comma-separated keys, each hex (only 0-9, a-f) or base64
 * (standard or url-safe), of at least 16 bytes.
 */
export function parseEventTokenKeys(raw: string, name = 'PROFILE_EDGE_EVENT_TOKEN_KEYS'): Buffer[] {
  const items = raw.split(',').map((item) => item.trim());
  return items.map((item, index) => {
    const where = `${name}: key ${index + 1} of ${items.length}`;
    let key: Buffer;
    if (/^(?:[0-9a-fA-F]{2})+$/.test(item)) key = Buffer.from(item, 'hex');
    else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(item) && item.replace(/=+$/, '').length % 4 !== 1) key = Buffer.from(item, 'base64');
    else throw new ConfigError(`${where} is neither hex nor base64`);
    if (key.length < MIN_EVENT_TOKEN_KEY_BYTES) {
      throw new ConfigError(`${where} has ${key.length} bytes: use at least ${MIN_EVENT_TOKEN_KEY_BYTES} (openssl rand -base64 32)`);
    }
    return key;
  });
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** Both TLS files or neither: one alone is a half-done setup that must not silently serve plain HTTP. */
function tlsFiles(env: Env): Config['tls'] {
  const certFile = optional(env, 'PROFILE_EDGE_TLS_CERT_FILE');
  const keyFile = optional(env, 'PROFILE_EDGE_TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const [set, unset] = certFile === undefined ? ['KEY', 'CERT'] : ['CERT', 'KEY'];
    throw new ConfigError(
      `PROFILE_EDGE_TLS_${set}_FILE is set but PROFILE_EDGE_TLS_${unset}_FILE is not: set both (TLS) or neither (plain HTTP)`,
    );
  }
  return { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
}

/** Edge base path as the Web SDK's `edgeBasePath`: segments of letters, digits, `_ . ~ -`, joined by `/`. */
const EDGE_BASE_PATH = /^[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*$/;

export function parseConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const synchronous = (optional(env, 'PROFILE_EDGE_SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new ConfigError(`PROFILE_EDGE_SQLITE_SYNCHRONOUS must be NORMAL or FULL, got '${synchronous}'`);
  }
  const config: Config = {
    port: integer(env, 'PROFILE_EDGE_PORT', 8080, 0, 65535),
    host: optional(env, 'PROFILE_EDGE_HOST') ?? '127.0.0.1',
    dataDir: optional(env, 'PROFILE_EDGE_DATA_DIR') ?? './data',
    databaseUrl: optional(env, 'PROFILE_EDGE_DATABASE_URL'),
    adminKey: optional(env, 'PROFILE_EDGE_ADMIN_KEY'),
    publicUrl: optional(env, 'PROFILE_EDGE_PUBLIC_URL'),
    consoleDir: optional(env, 'PROFILE_EDGE_CONSOLE_DIR') ?? fileURLToPath(new URL('../dist/console', import.meta.url)),
    logLevel: optional(env, 'PROFILE_EDGE_LOG_LEVEL') ?? 'info',
    accessLog: boolean(env, 'PROFILE_EDGE_ACCESS_LOG', false),
    tokenTtlSeconds: integer(env, 'PROFILE_EDGE_TOKEN_TTL_SECONDS', 90 * 86400, 60, 10 * 365 * 86400),
    adminKeyTtlDays: integer(env, 'PROFILE_EDGE_ADMIN_KEY_TTL_DAYS', 365, 1, 10 * 365),
    sweepIntervalSeconds: integer(env, 'PROFILE_EDGE_SWEEP_INTERVAL_SECONDS', 60, 1, 86400),
    lifetimeDayMs: integer(env, 'PROFILE_EDGE_LIFETIME_DAY_SECONDS', 86400, 1, 86400) * 1000,
    sqliteSynchronous: synchronous,
    shutdownTimeoutMs: integer(env, 'PROFILE_EDGE_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    workers: integer(env, 'PROFILE_EDGE_WORKERS', 1, 1, 64),
    batchLeaseSeconds: integer(env, 'PROFILE_EDGE_BATCH_LEASE_SECONDS', 30, 1, 3600),
    authCache: boolean(env, 'PROFILE_EDGE_AUTH_CACHE', true),
    authCacheTtlSeconds: integer(env, 'PROFILE_EDGE_AUTH_CACHE_TTL_SECONDS', 5, 1, 3600),
    databasePoolSize: integer(env, 'PROFILE_EDGE_DATABASE_POOL_SIZE', 20, 1, 1000),
    databasePoolWaitMs: integer(env, 'PROFILE_EDGE_DATABASE_POOL_WAIT_MS', 60_000, 10, 600_000),
    server: {
      maxHeaderBytes: integer(env, 'PROFILE_EDGE_MAX_HEADER_BYTES', DEFAULT_SERVER_LIMITS.maxHeaderBytes, 1024, 1024 * 1024),
      headersTimeoutMs: integer(env, 'PROFILE_EDGE_HEADERS_TIMEOUT_MS', DEFAULT_SERVER_LIMITS.headersTimeoutMs, 100, 600_000),
      requestTimeoutMs: integer(env, 'PROFILE_EDGE_REQUEST_TIMEOUT_MS', DEFAULT_SERVER_LIMITS.requestTimeoutMs, 100, 3_600_000),
      idleTimeoutMs: integer(env, 'PROFILE_EDGE_IDLE_TIMEOUT_MS', DEFAULT_SERVER_LIMITS.idleTimeoutMs, 100, 3_600_000),
      keepAliveTimeoutMs: integer(env, 'PROFILE_EDGE_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs, 100, 600_000),
      maxRequestsPerSocket: integer(env, 'PROFILE_EDGE_MAX_REQUESTS_PER_SOCKET', DEFAULT_SERVER_LIMITS.maxRequestsPerSocket, 0, 10_000_000),
    },
    bulkRateLimitPerMinute: integer(env, 'PROFILE_EDGE_BULK_RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
    eventTokenKeys:
      optional(env, 'PROFILE_EDGE_EVENT_TOKEN_KEYS') === undefined ? undefined : parseEventTokenKeys(env.PROFILE_EDGE_EVENT_TOKEN_KEYS!),
    tls: tlsFiles(env),
    edgeBasePath: optional(env, 'PROFILE_EDGE_EDGE_BASE_PATH') ?? 'ee',
    scripts: {
      steps: integer(env, 'PROFILE_EDGE_SCRIPT_BUDGET_STEPS', 2_000, 100, 1_000_000),
      deadlineMs: integer(env, 'PROFILE_EDGE_SCRIPT_DEADLINE_MS', 5, 1, 1_000),
      memoryBytes: integer(env, 'PROFILE_EDGE_SCRIPT_MEMORY_MB', 8, 1, 512) * 1024 * 1024,
      stackBytes: integer(env, 'PROFILE_EDGE_SCRIPT_STACK_KB', 256, 32, 8192) * 1024,
    },
    limits: {
      ...DEFAULT_LIMITS,
      maxBatchHeaderBytes: integer(env, 'PROFILE_EDGE_MAX_BATCH_HEADER_BYTES', DEFAULT_LIMITS.maxBatchHeaderBytes, 1024, 16 * 1024 * 1024),
      maxDeliveryBodyBytes: integer(
        env,
        'PROFILE_EDGE_MAX_DELIVERY_BODY_BYTES',
        DEFAULT_LIMITS.maxDeliveryBodyBytes,
        16 * 1024,
        60 * 1024 * 1024,
      ),
      maxDeviceIdsPerKind: integer(env, 'PROFILE_EDGE_MAX_DEVICE_IDS_PER_KIND', DEFAULT_LIMITS.maxDeviceIdsPerKind, 1, 1_000_000),
      maxCustomerIdsPerKind: integer(env, 'PROFILE_EDGE_MAX_CUSTOMER_IDS_PER_KIND', DEFAULT_LIMITS.maxCustomerIdsPerKind, 1, 1_000_000),
      maxBatchColumns: integer(env, 'PROFILE_EDGE_MAX_BATCH_COLUMNS', DEFAULT_LIMITS.maxBatchColumns, 1, 1_000_000),
    },
  };
  const { limits, server, ...rest } = overrides;
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  config.limits = { ...config.limits, ...limits };
  config.server = { ...config.server, ...server };
  return validate(config);
}

function validate(config: Config): Config {
  if (config.adminKey !== undefined && config.adminKey.length < 32) {
    throw new ConfigError('PROFILE_EDGE_ADMIN_KEY must be at least 32 characters long');
  }
  if (config.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError('PROFILE_EDGE_DATABASE_URL must be a postgres:// URL (unset = embedded SQLite)');
  }
  if (config.publicUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(config.publicUrl);
    } catch {
      throw new ConfigError(`PROFILE_EDGE_PUBLIC_URL is not a URL: '${config.publicUrl}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError('PROFILE_EDGE_PUBLIC_URL must be an http:// or https:// URL');
    }
    config.publicUrl = config.publicUrl.replace(/\/+$/, '');
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`PROFILE_EDGE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (!Number.isInteger(config.workers) || config.workers < 1 || config.workers > 64) {
    throw new ConfigError(`workers must be a whole number from 1 to 64, got '${config.workers}'`);
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be from 0 to 65535, got '${config.port}'`);
  }
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    throw new ConfigError('PROFILE_EDGE_HEADERS_TIMEOUT_MS must not be larger than PROFILE_EDGE_REQUEST_TIMEOUT_MS');
  }
  config.edgeBasePath = config.edgeBasePath.replace(/^\/+|\/+$/g, '');
  if (!EDGE_BASE_PATH.test(config.edgeBasePath) || config.edgeBasePath.split('/').some((segment) => /^\.+$/.test(segment))) {
    throw new ConfigError(
      `PROFILE_EDGE_EDGE_BASE_PATH must be one or more path segments of letters, digits, '_', '.', '~' or '-' joined by '/', got '${config.edgeBasePath}'`,
    );
  }
  if (config.tls) {
    for (const [name, file] of [
      ['PROFILE_EDGE_TLS_CERT_FILE', config.tls.certFile],
      ['PROFILE_EDGE_TLS_KEY_FILE', config.tls.keyFile],
    ] as const) {
      if (!fs.existsSync(file)) throw new ConfigError(`${name}: no file at ${file}`);
    }
  }
  config.dataDir = path.resolve(config.dataDir);
  config.consoleDir = path.resolve(config.consoleDir);
  return config;
}
