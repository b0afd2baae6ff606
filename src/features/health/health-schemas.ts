import { Type } from '@sinclair/typebox';

export const health = {
  summary: 'Health check',
  description: 'Answers 200 once the server accepts traffic and its store answers.',
  tags: ['Operations'],
  response: {
    200: Type.Object({ status: Type.Literal('ok') }, { description: 'The server and its store are up' }),
    503: Type.Object({ status: Type.Literal(503), message: Type.String() }, { description: 'The store does not answer' }),
  },
};
