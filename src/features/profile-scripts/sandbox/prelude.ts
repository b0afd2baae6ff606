/**
 * The JavaScript that builds Target's script objects inside a client's sandbox, once per sandbox
 * (docs/profile-scripts.md#inside-a-script). It is called with one host function, `host(op, a)`,
 * which answers from the request being served (the host swaps the request, nothing is injected into
 * the sandbox per request or per script). It then freezes every built-in and the global object, so
 * no script can leave anything behind for another script or a later request: prototype poisoning
 * fails, and a script's only memory across calls is its own locals.
 *
 * It answers `[run, compile]`: `run(fn)` calls a compiled script and turns its value into what the
 * attribute stores (undefined and null stay so; arrays joined with `,`; everything else `String()`);
 * `compile(source)` makes the script's function with the sandbox's own `Function` constructor, which
 * parses the source as a function body (a source cannot close the body and run code at compile time).
 */

/** The host's operations, by number (a number is cheaper to pass than a name). */
export const HOST_OP = {
  userGet: 1,
  getLocal: 2,
  setLocal: 3,
  header: 4,
  profileGet: 5,
  mboxName: 6,
  mboxParam: 7,
  fact: 8,
  url: 9,
  urlParam: 10,
} as const;

/** `fact` operands: the value of a built-in of the visit. */
export const FACT = {
  categoryAffinity: 1,
  categoryAffinities: 2,
  isFirstSession: 3,
  isNewSession: 4,
  daysSinceLastVisit: 5,
  pcId: 6,
  sessionId: 7,
  browser: 8,
  browserType: 9,
  activeActivities: 10,
  sessionCount: 11,
} as const;

/** `url` operands: which url (0 page, 1 referrer, 2 landing) × 8 + the part. */
export const URL_PART = { url: 0, protocol: 1, domain: 2, query: 3 } as const;

export const PRELUDE = `(function (host) {
  'use strict';
  var freeze = Object.freeze, define = Object.defineProperty, FunctionCtor = Function, isArray = Array.isArray;
  var str = function (v) { return String(v); };
  var getter = function (target, name, op, a) {
    define(target, name, { enumerable: true, get: function () { return host(op, a); } });
  };
  var split = function (text) { return text ? text.split(',') : []; };
  var user = {
    get: function (name) { return host(${HOST_OP.userGet}, str(name)); },
    getLocal: function (key) { return host(${HOST_OP.getLocal}, str(key)); },
    setLocal: function (key, value) {
      host(${HOST_OP.setLocal}, str(key), value === undefined || value === null ? null : isArray(value) ? value.join(',') : str(value));
    },
    header: function (name) { return host(${HOST_OP.header}, str(name)); },
  };
  getter(user, 'categoryAffinity', ${HOST_OP.fact}, ${FACT.categoryAffinity});
  define(user, 'categoryAffinities', { enumerable: true, get: function () { return split(host(${HOST_OP.fact}, ${FACT.categoryAffinities})); } });
  getter(user, 'isFirstSession', ${HOST_OP.fact}, ${FACT.isFirstSession});
  getter(user, 'isNewSession', ${HOST_OP.fact}, ${FACT.isNewSession});
  getter(user, 'daysSinceLastVisit', ${HOST_OP.fact}, ${FACT.daysSinceLastVisit});
  getter(user, 'pcId', ${HOST_OP.fact}, ${FACT.pcId});
  getter(user, 'sessionId', ${HOST_OP.fact}, ${FACT.sessionId});
  getter(user, 'browser', ${HOST_OP.fact}, ${FACT.browser});
  getter(user, 'browserType', ${HOST_OP.fact}, ${FACT.browserType});
  define(user, 'activeActivities', { enumerable: true, get: function () { return split(host(${HOST_OP.fact}, ${FACT.activeActivities})); } });
  define(user, 'activeCampaigns', { enumerable: true, get: function () { return split(host(${HOST_OP.fact}, ${FACT.activeActivities})); } });
  var profile = {
    get: function (name) { return host(${HOST_OP.profileGet}, str(name)); },
    param: function (name) { return host(${HOST_OP.profileGet}, str(name)); },
  };
  getter(profile, 'sessionCount', ${HOST_OP.fact}, ${FACT.sessionCount});
  var mbox = { param: function (name) { return host(${HOST_OP.mboxParam}, str(name)); } };
  getter(mbox, 'name', ${HOST_OP.mboxName}, 0);
  var place = function (which) {
    var target = { param: function (name) { return host(${HOST_OP.urlParam}, which, str(name)); } };
    getter(target, 'url', ${HOST_OP.url}, which * 8 + ${URL_PART.url});
    getter(target, 'protocol', ${HOST_OP.url}, which * 8 + ${URL_PART.protocol});
    getter(target, 'domain', ${HOST_OP.url}, which * 8 + ${URL_PART.domain});
    getter(target, 'query', ${HOST_OP.url}, which * 8 + ${URL_PART.query});
    return freeze(target);
  };
  var globals = { user: freeze(user), profile: freeze(profile), mbox: freeze(mbox), page: place(0), referrer: place(1), landing: place(2) };
  for (var name in globals) define(globalThis, name, { value: globals[name], enumerable: false });
  // console.log has no effect (as in Target): a frozen no-op, not a channel.
  define(globalThis, 'console', { value: freeze({ log: freeze(function () {}) }) });

  // Freeze every built-in reachable from the global object, then the global object itself.
  var seen = new WeakSet();
  var deepFreeze = function (value) {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
    seen.add(value);
    freeze(value);
    deepFreeze(Object.getPrototypeOf(value));
    var keys = Reflect.ownKeys(value);
    for (var i = 0; i < keys.length; i++) {
      var desc = Object.getOwnPropertyDescriptor(value, keys[i]);
      if (!desc) continue;
      if ('value' in desc) deepFreeze(desc.value);
      else { deepFreeze(desc.get); deepFreeze(desc.set); }
    }
  };
  deepFreeze(globalThis);
  deepFreeze((function () {}).constructor);
  deepFreeze(Object.getPrototypeOf(function* () {}));
  deepFreeze(Object.getPrototypeOf(async function () {}));
  deepFreeze(Object.getPrototypeOf(async function* () {}));

  var run = function (fn) {
    var value = fn();
    if (value === undefined || value === null) return value;
    return isArray(value) ? value.join(',') : str(value);
  };
  var compile = function (source) { return freeze(new FunctionCtor(source)); };
  return [run, compile];
})`;
