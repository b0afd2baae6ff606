import fs from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type Config, ConfigError } from './config.js';
import { type Clock, systemClock } from './domain/clock.js';
import { handleClientError } from './http/client-errors.js';
import { frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { refuseOversizedBeforeContinue } from './http/expect-continue.js';
import { registerStrictJsonBodies } from './http/json-body.js';
import { registerMetrics } from './http/metrics.js';
import { registerApiReference } from './http/openapi.js';
import { registerProtocolRefusals } from './http/protocol-refusals.js';
import { ProfileApiAccess } from './http/profile-api-access.js';
import { decorateRequestClient } from './http/request-client.js';
import { registerResponseBursts } from './http/response-bursts.js';
import { AJV_OPTIONS, schemaErrorFormatter } from './http/validation.js';
import { registerActivityRoutes } from './features/activities/activities-routes.js';
import { ActivityPreview } from './features/activities/activity-preview.js';
import { registerActivityPreviewRoutes } from './features/activities/activity-preview-routes.js';
import { registerArtifactAdminRoutes, registerArtifactRoutes } from './features/artifact/artifact-routes.js';
import { ActivitiesService } from './features/activities/activities-service.js';
import { BatchFiles } from './features/batches/batch-files.js';
import { BatchIntake } from './features/batches/batch-intake.js';
import { BatchProcessor } from './features/batches/batch-processor.js';
import { registerBatchRoutes } from './features/batches/batch-routes.js';
import { BatchesService } from './features/batches/batches-service.js';
import { BulkRateLimiter } from './features/batches/bulk-rate-limit.js';
import { registerClientRoutes } from './features/clients/clients-routes.js';
import { registerConsoleRoutes } from './features/console/console-routes.js';
import { ClientsService } from './features/clients/clients-service.js';
import { registerDeliveryRoutes } from './features/delivery/delivery-routes.js';
import { DeliveryService } from './features/delivery/delivery-service.js';
import { registerDatastreamRoutes } from './features/datastreams/datastreams-routes.js';
import { registerEdgeRoutes } from './features/edge/edge-routes.js';
import { EdgeService } from './features/edge/edge-service.js';
import { DatastreamsService } from './features/datastreams/datastreams-service.js';
import { registerHealthRoutes } from './features/health/health-routes.js';
import { registerScriptMetrics } from './features/profile-scripts/scripts-metrics.js';
import { registerProfileScriptRoutes } from './features/profile-scripts/scripts-routes.js';
import { ProfileScriptsService } from './features/profile-scripts/scripts-service.js';
import { registerAdminProfileRoutes } from './features/profiles/admin-profile-routes.js';
import { registerFetchRoutes } from './features/profiles/fetch-routes.js';
import { ProfilesService } from './features/profiles/profiles-service.js';
import { registerUpdateRoutes } from './features/profiles/update-routes.js';
import { registerReportRoutes } from './features/reports/report-routes.js';
import { type ActivityLookup, ReportsService } from './features/reports/reports-service.js';
import { registerPrivacyRoutes } from './features/privacy/privacy-routes.js';
import { PrivacyService } from './features/privacy/privacy-service.js';
import { CredentialsService } from './features/tokens/credentials-service.js';
import { registerTokenRoutes } from './features/tokens/token-routes.js';
import { DiskSpace } from './store/disk-space.js';
import { openStores, type Stores } from './store/open-stores.js';
import { escapeStrayPercentsInPath } from './wire/form-params.js';

export interface AppOptions {
  clock?: Clock;
  /** Pino logger options; `false` silences the server (tests). */
  logger?: boolean | object;
  /** Where reports find an activity's experiences and metrics; the stored activities by default. */
  activities?: ActivityLookup;
}

export interface Services {
  clients: ClientsService;
  activities: ActivitiesService;
  credentials: CredentialsService;
  profiles: ProfilesService;
  batches: BatchesService;
  delivery: DeliveryService;
  privacy: PrivacyService;
  reports: ReportsService;
  datastreams: DatastreamsService;
  profileScripts: ProfileScriptsService;
}

/** One entry of the route table (every method + URL pattern the server answers). */
export interface RouteEntry {
  method: string;
  url: string;
}

export interface App {
  http: FastifyInstance;
  /** Every route registered, as Fastify saw it: tests walk it so that no route is forgotten. */
  routes: readonly RouteEntry[];
  services: Services;
  stores: Stores;
  config: Config;
  clock: Clock;
  /** Applies accepted batches in the background; the server starts and stops it. */
  batchProcessor: BatchProcessor;
  /** Whether the data directory takes writes (a full disk): /healthz, /readyz, batch intake. */
  disk: DiskSpace;
  /** Stops the HTTP server (in-flight requests finish), then closes the stores. */
  close(): Promise<void>;
}

/**
 * Plain HTTP, or TLS when both PROFILE_EDGE_TLS_* files are configured (docs/web-sdk.md#tls):
 * the same socket limits either way. The files are read once, at start.
 */
function listenerOptions(config: Config, socket: http.ServerOptions): { http: http.ServerOptions } | { https: https.ServerOptions } {
  if (!config.tls) return { http: socket };
  const read = (name: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  return {
    https: {
      ...socket,
      cert: read('PROFILE_EDGE_TLS_CERT_FILE', config.tls.certFile),
      key: read('PROFILE_EDGE_TLS_KEY_FILE', config.tls.keyFile),
    },
  };
}

/** The composition root: the only place that builds real stores, services and the HTTP app. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const stores = await openStores(config);
  const disk = new DiskSpace(config.dataDir);

  const clients = new ClientsService(stores.clients, clock);
  // PostgreSQL keeps batch bodies in the database, where every node can read them.
  // A file no process wrote for longer than a connection may stay idle (plus a minute) is a
  // leftover; a younger one may belong to another process on the same data directory.
  const batchBodies = stores.batchBodies ?? new BatchFiles(config.dataDir, config.server.idleTimeoutMs + 60_000);
  const activities = new ActivitiesService(stores.activities, clock, stores.activityChanges, {
    eventTokenKeys: config.eventTokenKeys,
    notifiedTrustMs: config.authCacheTtlSeconds * 1000,
  });
  const profileScripts = new ProfileScriptsService(stores.profileScripts, clock, stores.activityChanges, activities, {
    limits: config.scripts,
    notifiedTrustMs: config.authCacheTtlSeconds * 1000,
    onDisabled: (reason) => scriptMetrics?.disabled(reason),
  });
  let scriptMetrics: ReturnType<typeof registerScriptMetrics> | undefined;
  const services: Services = {
    clients,
    activities,
    credentials: new CredentialsService(stores.credentials, clock, {
      profileTokenTtlSeconds: config.tokenTtlSeconds,
      adminKeyTtlDays: config.adminKeyTtlDays,
      configuredAdminKey: config.adminKey,
    }),
    profiles: new ProfilesService(stores.profiles, clock, config.limits, config.lifetimeDayMs),
    batches: new BatchesService(stores.batches),
    delivery: new DeliveryService(clients, stores.visits, clock, config.limits, activities, config.lifetimeDayMs, profileScripts),
    privacy: new PrivacyService(stores.profiles, stores.batches, batchBodies, () => stores.scrubDeleted(), clock),
    datastreams: new DatastreamsService(stores.datastreams, clock, config.authCache ? config.authCacheTtlSeconds * 1000 : 0),
    reports: new ReportsService(stores.reports, options.activities ?? ((client, id) => activities.reported(client, id)), clock),
    profileScripts,
  };
  const access = new ProfileApiAccess(services.clients, services.credentials);

  const limitsOfServer = config.server;
  const http = Fastify({
    logger:
      options.logger === false
        ? false
        : { level: config.logLevel, redact: ['req.headers.authorization'], ...(typeof options.logger === 'object' ? options.logger : {}) },
    logController: new LogController({ disableRequestLogging: !config.accessLog }),
    // Fastify 5 closes idle keep-alive sockets on close() and lets in-flight requests finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestIdHeader: false,
    // Slow and oversized clients (docs/security.md): Node enforces these on the socket, with or without TLS.
    ...listenerOptions(config, {
      maxHeaderSize: limitsOfServer.maxHeaderBytes,
      // A missing Host is refused by registerProtocolRefusals, with a body.
      requireHostHeader: false,
      headersTimeout: limitsOfServer.headersTimeoutMs,
      // How often Node looks for connections past their headers/request timeout.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(limitsOfServer.headersTimeoutMs / 4))),
    }),
    requestTimeout: limitsOfServer.requestTimeoutMs,
    connectionTimeout: limitsOfServer.idleTimeoutMs,
    keepAliveTimeout: limitsOfServer.keepAliveTimeoutMs,
    maxRequestsPerSocket: limitsOfServer.maxRequestsPerSocket,
    clientErrorHandler: handleClientError,
    // Ids in paths may be 256 characters, URL-encoded up to three times that.
    routerOptions: { maxParamLength: 2048 },
    // Path parameters decode by the rule of forms: a stray `%` is a literal `%`.
    rewriteUrl: (request) => escapeStrayPercentsInPath(request.url ?? '/'),
    frameworkErrors,
    ajv: { customOptions: AJV_OPTIONS },
    schemaErrorFormatter,
  });
  // Response schemas document the answers; the bytes stay JSON.stringify's (fast-json-stringify
  // would drop any property a schema does not declare, and re-encode strings its own way).
  http.setSerializerCompiler(() => JSON.stringify);
  decorateRequestClient(http);
  registerErrorHandling(http, { storageError: (error) => disk.noteFailure(error) });
  registerProtocolRefusals(http);
  refuseOversizedBeforeContinue(http, (url) =>
    url.includes('/batchUpdate')
      ? config.limits.maxBatchBodyBytes
      : url.startsWith('/m2/')
        ? config.limits.maxUpdateBodyBytes
        : config.limits.maxDeliveryBodyBytes,
  );
  const routes: RouteEntry[] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });

  await registerApiReference(http);
  registerResponseBursts(http);
  const metrics = registerMetrics(http, (header) => services.credentials.authorizeAdmin(header));
  scriptMetrics = registerScriptMetrics(metrics, profileScripts);
  registerHealthRoutes(http, { ping: stores.ping, disk, metrics });
  registerUpdateRoutes(http, { access, profiles: services.profiles, limits: config.limits });
  registerFetchRoutes(http, { access, profiles: services.profiles, limits: config.limits });
  registerArtifactRoutes(http, { clients: services.clients, activities: services.activities });
  registerDeliveryRoutes(http, { delivery: services.delivery, limits: config.limits, metrics });
  registerEdgeRoutes(http, {
    edge: new EdgeService(services.clients, services.delivery, config.limits, clock),
    datastreams: services.datastreams,
    limits: config.limits,
    basePath: config.edgeBasePath,
    metrics,
  });

  const batchProcessor = new BatchProcessor(
    stores.batches,
    batchBodies,
    services.clients,
    services.profiles,
    clock,
    config.limits,
    http.log,
    undefined,
    disk,
  );
  const intake = new BatchIntake(stores.batches, batchBodies, clock, config.limits, () => batchProcessor.wake(), {
    // Bodies in files of the data directory: an upload that cannot fit there is refused up front.
    disk: stores.batchBodies ? undefined : disk,
  });
  registerBatchRoutes(http, {
    access,
    intake,
    batches: services.batches,
    config,
    rateLimiter: new BulkRateLimiter(config.bulkRateLimitPerMinute, stores.callWindows),
    now: () => clock.now(),
  });

  await registerConsoleRoutes(http, { consoleDir: config.consoleDir });

  await http.register(async (admin) => {
    admin.addHook('onRequest', async (request) => services.credentials.authorizeAdmin(request.headers.authorization));
    registerStrictJsonBodies(admin);
    registerClientRoutes(admin, { clients: services.clients });
    registerTokenRoutes(admin, { clients: services.clients, credentials: services.credentials });
    registerActivityRoutes(admin, { clients: services.clients, activities: services.activities });
    registerActivityPreviewRoutes(admin, {
      clients: services.clients,
      preview: new ActivityPreview(services.activities, services.profiles, clock, config.limits),
      limits: config.limits,
    });
    registerArtifactAdminRoutes(admin, { clients: services.clients, activities: services.activities });
    registerAdminProfileRoutes(admin, { clients: services.clients, profiles: services.profiles, limits: config.limits });
    registerPrivacyRoutes(admin, { clients: services.clients, privacy: services.privacy, limits: config.limits });
    registerReportRoutes(admin, { clients: services.clients, reports: services.reports });
    registerDatastreamRoutes(admin, { clients: services.clients, datastreams: services.datastreams });
    registerProfileScriptRoutes(admin, { clients, scripts: profileScripts, profiles: services.profiles, limits: config.limits });
  });

  let closed = false;
  return {
    http,
    routes,
    services,
    stores,
    config,
    clock,
    batchProcessor,
    disk,
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      profileScripts.close();
      await stores.close();
    },
  };
}
