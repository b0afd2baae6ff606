import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VisitAnswer } from '../delivery/visit-decisions.js';
import type { EdgeLocation } from './edge-request.js';
import { decisionHandles, propositionOf, SCHEMA } from './edge-response.js';

const viewScope: EdgeLocation = { mode: 'prefetch', kind: 'pageLoad', eventIndex: 0, scope: '__view__' };

test("an imported artifact's view changes (actions) become dom-action items the Web SDK renders on __view__", () => {
  const answer: VisitAnswer = {
    request: viewScope,
    location: 'target-global-mbox',
    options: [
      {
        type: 'actions',
        content: [
          { type: 'setHtml', selector: '#hero', cssSelector: '#hero', content: 'Hello' },
          { type: 'setStyle', selector: '.cta', content: { color: 'red' } },
          'not an action',
        ],
        responseTokens: {},
        eventToken: 'adobe-display-token',
      },
    ],
    metrics: [{ type: 'click', eventToken: 'adobe-click-token' }],
    matched: [{ activityId: '1002', experienceId: '0' }],
  };
  const proposition = propositionOf(answer, viewScope)!;
  assert.equal(proposition.scope, '__view__');
  assert.deepEqual(proposition.scopeDetails.characteristics, { eventToken: 'adobe-display-token', clickToken: 'adobe-click-token' });
  assert.deepEqual(proposition.scopeDetails.activity, { id: '1002' });
  assert.equal(proposition.scopeDetails.correlationID, '1002:0:0');
  assert.equal(proposition.id, `AT:${Buffer.from('{"activityId":"1002","experienceId":"0"}').toString('base64')}`);
  assert.deepEqual(
    proposition.items.map((item) => [item.schema, item.data]),
    [
      [
        SCHEMA.domAction,
        {
          id: '1002.0.target-global-mbox.0.0',
          type: 'setHtml',
          format: 'application/vnd.adobe.target.dom-action',
          content: 'Hello',
          selector: '#hero',
          prehidingSelector: '#hero',
        },
      ],
      [
        SCHEMA.domAction,
        {
          id: '1002.0.target-global-mbox.0.1',
          type: 'setStyle',
          format: 'application/vnd.adobe.target.dom-action',
          content: { color: 'red' },
          selector: '.cta',
          prehidingSelector: '.cta',
        },
      ],
    ],
  );
});

test('a location nothing decided has no proposition, and every event that asked gets its handle', () => {
  const empty: VisitAnswer = { request: viewScope, location: 'target-global-mbox', options: [] };
  assert.equal(propositionOf(empty, viewScope), undefined);
  const handles = decisionHandles([empty], new Map([[viewScope, viewScope]]), [0, 2]);
  assert.deepEqual(handles, [
    { type: 'personalization:decisions', eventIndex: 0, payload: [] },
    { type: 'personalization:decisions', eventIndex: 2, payload: [] },
  ]);
});
