import { type TSchema, Type } from '@sinclair/typebox';
import { ADMIN_KEY, ClientParams, map, restErrors } from '../../http/schemas.js';

/** Admin: an activity's report (docs/decisioning.md#reports). */
const nullable = <T extends TSchema>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description });

const MetricReport = Type.Object({
  conversions: Type.Integer({ description: 'Every conversion counted (a visitor may convert several times)' }),
  visitors: Type.Integer({ description: 'Distinct visitors of the experience who converted' }),
  rate: nullable(Type.Number(), 'Converting visitors / visitors; null while the experience has no visitor'),
  lift: nullable(Type.Number(), 'Relative difference to the control’s rate; null for the control and while the control has no conversion'),
  interval: nullable(
    Type.Object({ low: Type.Number(), high: Type.Number() }),
    '95 % interval of the lift (Katz log interval); null for the control and while either side has no conversion',
  ),
  significant: Type.Boolean({ description: 'The rate differs from the control’s (pooled two-proportion z-test, two-sided, 5 %)' }),
  tooFewVisitors: Type.Boolean({
    description: 'A side has fewer than 30 visitors, 5 conversions or 5 visitors who did not convert: nothing is called significant',
  }),
});

const ExperienceReport = Type.Object({
  id: Type.String(),
  name: Type.String(),
  control: Type.Boolean({ description: 'The first experience, which the others are compared with' }),
  visitors: Type.Integer({ description: 'Distinct visitors with at least one impression' }),
  impressions: Type.Integer(),
  metrics: map(MetricReport, { description: 'Every metric of the activity, by name' }),
});

export const getReport = {
  summary: 'Report of an activity: visitors, impressions and conversions per experience, against the control',
  tags: ['Admin: activities'],
  security: ADMIN_KEY,
  params: Type.Object({ ...ClientParams.properties, activityId: Type.String({ description: 'The activity id' }) }),
  response: {
    200: Type.Object(
      {
        activityId: Type.String(),
        activityName: Type.String(),
        generatedAt: Type.String({ format: 'date-time' }),
        method: Type.String({ description: 'The statistics used' }),
        experiences: Type.Array(ExperienceReport, { description: 'Every experience of the activity, in its order' }),
      },
      { description: 'The counts so far, every experience of the activity listed' },
    ),
    ...restErrors(401, 403, 404),
  },
};
