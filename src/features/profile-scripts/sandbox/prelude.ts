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
 * scripts after it read them; `finish()` answers all of the request's outputs as one JSON text.
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
  var freeze = Object.freeze, define = Object.defineProperty, create = Object.create, FunctionCtor = Function;
  var isArray = Array.isArray, parse = JSON.parse, stringify = JSON.stringify, str = String;
  var has = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
  var put = function (target, key, value) { define(target, key, { value: value, writable: true, enumerable: true, configurable: true }); };
  var text = function (value) { return isArray(value) ? value.join(',') : str(value); };
  var split = function (value) { return typeof value === 'string' && value !== '' ? value.split(',') : []; };

  var req = null, asked = null, urls = null, outputs = null;
  var script = '', locals = null, pending = null, loc = null, where = -1;
  var ask = function (store, key, op, a, b) {
    if (has(store, key)) return store[key];
    var value = host(op, a, b);
    put(store, key, value);
    return value;
  };
  var own = function (target, key) { return target !== null && has(target, key) ? target[key] : null; };

  var user = {
    get: function (name) { return own(req.u, str(name)); },
    getLocal: function (key) { key = str(key); return has(pending, key) ? pending[key] : own(locals, key); },
    setLocal: function (key, value) { if (value !== undefined && value !== null) put(pending, str(key), text(value)); },
    header: function (name) { name = str(name).toLowerCase(); return ask(asked, 'h' + name, ${HOST_OP.header}, name); },
  };
  var getter = function (target, name, read) { define(target, name, { enumerable: true, get: read }); };
  getter(user, 'categoryAffinity', function () { return own(req.u, 'categoryAffinity'); });
  getter(user, 'categoryAffinities', function () { return split(own(req.u, 'categoryAffinities')); });
  getter(user, 'isFirstSession', function () { return req.f[${fact('isFirstSession')}]; });
  getter(user, 'isNewSession', function () { return req.f[${fact('isNewSession')}]; });
  getter(user, 'daysSinceLastVisit', function () { return req.f[${fact('daysSinceLastVisit')}]; });
  getter(user, 'pcId', function () { return req.f[${fact('pcId')}]; });
  getter(user, 'sessionId', function () { return req.f[${fact('sessionId')}]; });
  getter(user, 'browser', function () { return req.f[${fact('browser')}]; });
  getter(user, 'browserType', function () { return ask(asked, 'bt', ${HOST_OP.browserType}); });
  getter(user, 'activeActivities', function () { return []; });
  getter(user, 'activeCampaigns', function () { return []; });
  var profileGet = function (name) {
    name = str(name);
    return req.p !== null ? own(req.p, name) : ask(asked, 'p' + name, ${HOST_OP.profileGet}, name);
  };
  var profile = { get: profileGet, param: profileGet };
  getter(profile, 'sessionCount', function () { return req.f[${fact('sessionCount')}]; });
  var mbox = { param: function (name) { return own(loc[1], str(name)); } };
  getter(mbox, 'name', function () { return loc[0]; });
  var place = function (which) {
    var target = { param: function (name) { name = str(name); return ask(urls, which + ':' + name, ${HOST_OP.urlParam}, which, name); } };
    var part = function (name, code) { getter(target, name, function () { return ask(urls, code, ${HOST_OP.url}, which * 8 + code); }); };
    part('url', ${URL_PART.url});
    part('protocol', ${URL_PART.protocol});
    part('domain', ${URL_PART.domain});
    part('query', ${URL_PART.query});
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

  var begin = function (json) {
    req = parse(json);
    asked = create(null);
    urls = create(null);
    outputs = create(null);
    where = -1;
  };
  var run = function (fn, index, at) {
    script = req.s[index];
    locals = own(req.l, script);
    pending = create(null);
    if (at !== where) { where = at; loc = req.m[at]; urls = create(null); }
    var value = fn();
    if (value !== undefined && value !== null) value = text(value);
    // The run completed: keep its value and locals, where the next runs read them.
    var out = has(outputs, script) ? outputs[script] : (outputs[script] = [null, null]);
    for (var key in pending) {
      if (locals === null) { locals = create(null); put(req.l, script, locals); }
      put(locals, key, pending[key]);
      if (out[1] === null) out[1] = create(null);
      put(out[1], key, pending[key]);
    }
    if (typeof value === 'string') {
      out[0] = value;
      if (value !== '' && value.length <= ${2048}) put(req.u, script, value);
    }
  };
  var finish = function () { var all = stringify(outputs); req = null; outputs = null; return all; };
  var compile = function (source) { return freeze(new FunctionCtor(source)); };
  return [begin, run, finish, compile];
})`;
