import { Type } from '@sinclair/typebox';

const problem = (status: number, description: string) =>
  Type.Object({ status: Type.Literal(status), message: Type.String() }, { description });

export const health = {
  summary: 'Health check',
  description:
    'Answers 200 once the server accepts traffic, its store answers and its data directory takes writes; 503 while the store does not answer, 507 while the disk is full (docs/wire-contract.md#13-faults). For monitoring; load balancers ask /readyz.',
  tags: ['Operations'],
  response: {
    200: Type.Object({ status: Type.Literal('ok') }, { description: 'The server and its store are up' }),
    503: problem(503, 'The store does not answer'),
    507: problem(507, 'The data directory is out of disk space: writes are refused until space is freed'),
  },
};

export const ready = {
  summary: 'Readiness',
  description:
    'For load balancers: 200 while this server can take traffic, 503 with Retry-After while it cannot (its store does not answer, its disk is full, or it is shutting down). Comes back to 200 by itself.',
  tags: ['Operations'],
  response: {
    200: Type.Object({ status: Type.Literal('ready') }, { description: 'Send traffic here' }),
    503: problem(503, 'Send traffic elsewhere for now: see the message and Retry-After'),
  },
};
