/** Ten profile scripts of the kinds Target's documentation shows: counters, last values, page and mbox reads, a local. */
export const BENCH_SCRIPTS: Readonly<Record<string, string>> = {
  visits: "if (user.isNewSession) return (Number(user.get('visits')) || 0) + 1;",
  calls: "return (Number(user.get('calls')) || 0) + 1;",
  lastCategory: "var c = profile.get('lastCategory'); if (c) return c;",
  bigCart: "return Number(profile.get('cartSize')) >= 4;",
  tierLabel: "var t = profile.get('loyaltyTier'); return t === 'gold' ? 'VIP' : 'standard';",
  landingDomain: 'if (user.isNewSession) return page.domain;',
  onProducts: "return page.url.indexOf('/products') >= 0;",
  browserKind: 'return user.browserType;',
  productsSeen: "var n = (Number(user.getLocal('n')) || 0) + 1; user.setLocal('n', n); if (n % 5 === 0) return n;",
  recentPages:
    "var p = profile.get('lastSeenPage'); var list = (user.get('recentPages') || '').split(',').filter(function (x) { return x; }); if (p && list[0] !== p) { list.unshift(p); return list.slice(0, 3); }",
};
