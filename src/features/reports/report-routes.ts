import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { clientInPath } from '../../http/request-client.js';
import type { ClientsService } from '../clients/clients-service.js';
import { getReport } from './report-schemas.js';
import type { ReportsService } from './reports-service.js';

/** Admin: `GET /admin/v1/clients/{client}/activities/{activityId}/report` (docs/decisioning.md#reports). */
export function registerReportRoutes(app: FastifyInstance, deps: { clients: ClientsService; reports: ReportsService }): void {
  const { clients, reports } = deps;
  const http = app.withTypeProvider<TypeBoxTypeProvider>();
  http.get(
    '/admin/v1/clients/:client/activities/:activityId/report',
    { schema: getReport, preValidation: clientInPath(clients) },
    async (request) => reports.report(request.client.code, request.params.activityId),
  );
}
