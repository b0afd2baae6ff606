/**
 * The JavaScript that builds Target's script objects inside a client's sandbox, once per sandbox
 * (docs/profile-scripts.md#inside-a-script), then freezes every built-in and the global object, so
 * no script can leave anything behind for another script or a later request: prototype poisoning
 * fails, and a script's only memory across calls is its own locals.
 *
 * The request reaches the sandbox once: `begin(json)` parses what the scripts may read of it (the
 * `user.` values, the running scripts' locals, the profile attributes, the session facts, the
 * locations' names and parameters — `RequestData` in script-runs.ts) into private variables, and
 * the objects answer from those without leaving the sandbox. Only the rarer reads (urls, headers,
 * the browser family, a profile too large to pass) call `host(op, a)`, once per request each. Each
 * `run(fn, script, location)` runs one compiled script and keeps its value and locals, where the
 * scripts after it read them; `finish()` answers all of the request's outputs as one JSON text,
 * `[values, locals]` by script position. Every table is a `Map` (no name is special, `__proto__`
 * included), and the code here keeps to few calls: it runs inside each script's step budget.
 * A run that is stopped never reaches the end of `run`, so nothing of it is kept.
 *
 * `compile(source)` makes a script's function with the sandbox's own `Function` constructor (the
 * host checks first that the source is a function body: client-sandbox.ts).
 */

/** The host's operations, by number. */
export const HOST_OP = {
  header: 1,
  profileGet: 2,
  browserType: 3,
  url: 4,
  urlParam: 5,
} as const;

/** `url` operands: which url (0 page, 1 referrer, 2 landing) × 8 + the part. */
export const URL_PART = { url: 0, protocol: 1, domain: 2, query: 3 } as const;

/** Positions of the session facts in `RequestData.f`. */
export const FACTS = ['isFirstSession', 'isNewSession', 'daysSinceLastVisit', 'sessionCount', 'pcId', 'sessionId', 'browser'] as const;

const fact = (name: (typeof FACTS)[number]) => FACTS.indexOf(name);

export const PRELUDE = `(function (host) {
  'use strict';
  var freeze = Object.freeze, define = Object.defineProperty, FunctionCtor = Function, Map = globalThis.Map;
  var isArray = Array.isArray, parse = JSON.parse, stringify = JSON.stringify, str = String;
  var text = function (value) { return isArray(value) ? value.join(',') : str(value); };
  var split = function (value) { return typeof value === 'string' && value !== '' ? value.split(',') : []; };

  // The request: names of the scripts, user values, locals (by script), profile (null: ask the host),
  // facts, locations. Tables are plain objects whose keys are the names with a \`$\` in front: no
  // built-in property starts with one, so no name (\`__proto__\`, \`toString\`) is special.
  var names = null, U = null, L = null, P = null, F = null, M = null, W = null, B = null;
  var asked = null, urls = null, outV = null, outL = null;
  var locals = null, pending = null, loc = null, where = -1;
  var ask = function (store, key, op, a, b) {
    var value = store.get(key);
    if (value === undefined) { value = host(op, a, b); store.set(key, value); }
    return value;
  };
  var read = function (table, key) { var value = table['$' + key]; return value === undefined ? null : value; };
  var name = function (value) { return typeof value === 'string' ? value : str(value); };

  var user = {
    get: function (key) { return read(U, name(key)); },
    getLocal: function (key) {
      key = name(key);
      var value = pending !== null ? pending.get(key) : undefined;
      return value !== undefined ? value : locals !== undefined ? read(locals, key) : null;
    },
    setLocal: function (key, value) {
      if (value === undefined || value === null) return;
      if (pending === null) pending = new Map();
      pending.set(name(key), text(value));
    },
    header: function (key) { key = name(key).toLowerCase(); return ask(asked, 'h' + key, ${HOST_OP.header}, key); },
  };
  var getter = function (target, key, get) { define(target, key, { enumerable: true, get: get }); };
  getter(user, 'categoryAffinity', function () { return read(U, 'categoryAffinity'); });
  getter(user, 'categoryAffinities', function () { return split(read(U, 'categoryAffinities')); });
  getter(user, 'isFirstSession', function () { return F[${fact('isFirstSession')}]; });
  getter(user, 'isNewSession', function () { return F[${fact('isNewSession')}]; });
  getter(user, 'daysSinceLastVisit', function () { return F[${fact('daysSinceLastVisit')}]; });
  getter(user, 'pcId', function () { return F[${fact('pcId')}]; });
  getter(user, 'sessionId', function () { return F[${fact('sessionId')}]; });
  getter(user, 'browser', function () { return F[${fact('browser')}]; });
  getter(user, 'browserType', function () { return B !== null ? B : ask(asked, 'bt', ${HOST_OP.browserType}); });
  getter(user, 'activeActivities', function () { return []; });
  getter(user, 'activeCampaigns', function () { return []; });
  var profileGet = function (key) {
    key = name(key);
    return P !== null ? read(P, key) : ask(asked, 'p' + key, ${HOST_OP.profileGet}, key);
  };
  var profile = { get: profileGet, param: profileGet };
  getter(profile, 'sessionCount', function () { return F[${fact('sessionCount')}]; });
  var mbox = { param: function (key) { return loc[1] === null ? null : read(loc[1], name(key)); } };
  getter(mbox, 'name', function () { return loc[0]; });
  // A url's parts, [url, protocol, domain, query, params], handed over when some script reads urls
  // (W: page, referrer; the landing url is the page's; a location with its own address carries its
  // page and referrer).
  var partsOf = function (which) { return which < 2 && loc.length > 2 ? loc[2 + which] : W[which === 2 ? 0 : which]; };
  var place = function (which) {
    var target = {
      param: function (key) {
        key = name(key);
        return W !== null ? read(partsOf(which)[4], key) : ask(urls, which + ':' + key, ${HOST_OP.urlParam}, which, key);
      },
    };
    var part = function (key, code) {
      getter(target, key, function () { return W !== null ? partsOf(which)[code] : ask(urls, code, ${HOST_OP.url}, which * 8 + code); });
    };
    part('url', ${URL_PART.url});
    part('protocol', ${URL_PART.protocol});
    part('domain', ${URL_PART.domain});
    part('query', ${URL_PART.query});
    return freeze(target);
  };
  var globals = { user: freeze(user), profile: freeze(profile), mbox: freeze(mbox), page: place(0), referrer: place(1), landing: place(2) };
  for (var key in globals) define(globalThis, key, { value: globals[key], enumerable: false });
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

  var begin = function (json) {
    var req = parse(json);
    names = req.s; U = req.u; L = req.l; P = req.p; F = req.f; M = req.m; W = req.w; B = req.b;
    asked = new Map(); urls = new Map(); outV = []; outL = [];
    where = -1;
  };
  var run = function (fn, index, at) {
    if (at !== where) { where = at; loc = M[at]; urls = new Map(); }
    var script = '$' + names[index];
    locals = L[script];
    pending = null;
    var value = fn();
    // The run completed: keep its value and locals, where the next runs read them.
    if (value !== undefined && value !== null) {
      if (typeof value !== 'string') value = text(value);
      outV[index] = value;
      if (value !== '' && value.length <= ${2048}) U[script] = value;
    }
    if (pending !== null) {
      if (locals === undefined) { locals = {}; L[script] = locals; }
      var kept = outL[index];
      if (kept === undefined) { kept = []; outL[index] = kept; }
      pending.forEach(function (v, k) { locals['$' + k] = v; kept.push([k, v]); });
    }
  };
  var finish = function () {
    var all = stringify([outV, outL]);
    U = L = P = M = W = B = asked = urls = outV = outL = null;
    return all;
  };
  var compile = function (source) { return freeze(new FunctionCtor(source)); };
  return [begin, run, finish, compile];
})`;
