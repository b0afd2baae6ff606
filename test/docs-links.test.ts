import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/process.js';

/**
 * The docs a newcomer reads, and the code that cites them, must lead somewhere that exists inside
 * the repository. Checked here:
 * - every relative Markdown link in README.md, BENCHMARKS.md, docs/**.md (and any .md beside the
 *   code) names a file of the repo and, with `#anchor`, a heading of that file;
 * - every `docs/….md` or `docs/….md#anchor` mentioned in the code (src/, test/, bench/, scripts/,
 *   comments included) or in the prose of those Markdown files does the same, from the repo root;
 * - none of those files cites the wire contract that used to live outside the repo, its
 *   reference notes, a section number of theirs, or a path out of the repo.
 * Anchors follow GitHub's rule: the heading's text in lower case, punctuation other than `-` and
 * `_` dropped, each space a `-`, and `-1`, `-2`, … for repeated headings.
 */

/** A view of the files being checked, so that the checks also run on made-up files (below). */
interface Files {
  /** Text of a file (repo-relative, `/`-separated), or undefined when there is none. */
  text(file: string): string | undefined;
  isDirectory(file: string): boolean;
}

interface Problem {
  file: string;
  line: number;
  message: string;
}

/** GitHub's heading anchor. */
function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link counts by its text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const FENCE = /^ {0,3}(```|~~~)/;

/** The text with fenced code blocks and inline code spans blanked out (same length, same lines). */
function withoutCode(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) {
        fenced = !fenced;
        return ' '.repeat(line.length);
      }
      if (fenced) return ' '.repeat(line.length);
      return line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
    })
    .join('\n');
}

const anchorCache = new WeakMap<Files, Map<string, Set<string>>>();

/** The anchors a Markdown file offers: one per heading outside code fences. */
function anchorsOf(files: Files, file: string): Set<string> {
  let cache = anchorCache.get(files);
  if (!cache) {
    cache = new Map();
    anchorCache.set(files, cache);
  }
  let anchors = cache.get(file);
  if (anchors) return anchors;
  anchors = new Set();
  const seen = new Map<string, number>();
  for (const line of withoutCode(files.text(file) ?? '').split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!heading) continue;
    const base = githubSlug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  cache.set(file, anchors);
  return anchors;
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Checks one link target (repo-relative once resolved); null when it leads somewhere real. */
function targetProblem(files: Files, target: string, anchor: string | undefined): string | null {
  if (target.startsWith('../') || target === '..' || path.posix.isAbsolute(target)) {
    return 'leads outside the repository';
  }
  if (files.text(target) === undefined && !files.isDirectory(target)) return `${target} does not exist`;
  if (anchor === undefined || anchor === '') return null;
  if (!target.endsWith('.md')) return null;
  return anchorsOf(files, target).has(anchor) ? null : `${target} has no heading with the anchor #${anchor}`;
}

const MD_LINK = /\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const MD_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm;
const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
const DOCS_MENTION = /(?<![\w./-])(docs\/(?:[\w.-]+\/)*[\w.-]+?\.md)(?:#([\p{L}\p{N}_-]+))?/gu;

/** Relative Markdown links of a Markdown file: `[text](path#anchor)`, `[id]: path`. */
function markdownLinkProblems(files: Files, file: string): Problem[] {
  const text = files.text(file) ?? '';
  const prose = withoutCode(text);
  const problems: Problem[] = [];
  const targets: Array<[string, number]> = [];
  for (const m of prose.matchAll(MD_LINK)) targets.push([m[1]!, m.index! + m[0].lastIndexOf(m[1]!)]);
  for (const m of prose.matchAll(MD_DEFINITION)) targets.push([m[1]!, m.index!]);
  for (const [raw, index] of targets) {
    if (raw === '' || EXTERNAL.test(raw)) continue;
    const hash = raw.indexOf('#');
    const pathPart = hash === -1 ? raw : raw.slice(0, hash);
    const anchor = hash === -1 ? undefined : raw.slice(hash + 1);
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathPart);
    } catch {
      decoded = pathPart;
    }
    const target = decoded === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decoded));
    const problem = targetProblem(files, target, anchor);
    if (problem) problems.push({ file, line: lineAt(text, index), message: `link '${raw}': ${problem}` });
  }
  return problems;
}

/**
 * `docs/….md[#anchor]` named in code or prose, read from the repository root. In Markdown the
 * targets of links are left to markdownLinkProblems (they are relative to the file).
 */
function docsMentionProblems(files: Files, file: string): Problem[] {
  let text = files.text(file) ?? '';
  if (file.endsWith('.md')) text = text.replace(MD_LINK, (link) => link.replace(/\(.*\)$/s, (target) => ' '.repeat(target.length)));
  const problems: Problem[] = [];
  for (const m of text.matchAll(DOCS_MENTION)) {
    const problem = targetProblem(files, m[1]!, m[2]);
    if (problem) problems.push({ file, line: lineAt(text, m.index!), message: `'${m[0]}': ${problem}` });
  }
  return problems;
}

// Spelled in pieces, so that this file does not trip its own check.
const FORBIDDEN: Array<[RegExp, string]> = [
  [new RegExp(`\\b${'CONT' + 'RACT'}\\b`), `cites the old contract document; link a section of docs/wire-contract.md instead`],
  [new RegExp(['target', 'wire', 'facts'].join('-')), 'cites a reference note that is not in the repository'],
  [new RegExp(['real', 'clients'].join('-')), 'cites a reference note that is not in the repository'],
  // The repo's own docs/web-sdk.md shares the note's name; it is checked as a link like any doc.
  [new RegExp(`(?<!docs/|\\]\\()${['web', 'sdk\\.md'].join('-')}`), 'cites a reference note that is not in the repository'],
  [
    new RegExp(`(?:\\.\\./)+${'sha' + 'red'}(?![\\w.-])|/work/${'sha' + 'red'}\\b|${'sha' + 'red'}/spec\\b`),
    'names a path outside the repository',
  ],
  [new RegExp(`${'\u00a7'}\\s?\\d`), 'cites a section number of a document outside the repository'],
];

function citationProblems(files: Files, file: string): Problem[] {
  const lines = (files.text(file) ?? '').split('\n');
  const problems: Problem[] = [];
  lines.forEach((line, i) => {
    for (const [pattern, message] of FORBIDDEN) {
      if (pattern.test(line)) problems.push({ file, line: i + 1, message: `${message}: ${line.trim().slice(0, 120)}` });
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The repository

const SELF = 'test/docs-links.test.ts';
const CODE_DIRS = ['src', 'test', 'bench', 'scripts'];
const TEXT_FILE = /\.(?:[cm]?[jt]s|json|md|sh|txt|ya?ml)$/;

const repo: Files = {
  text(file) {
    try {
      return fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    } catch {
      return undefined;
    }
  },
  isDirectory(file) {
    try {
      return fs.statSync(path.join(REPO_ROOT, file)).isDirectory();
    } catch {
      return false;
    }
  },
};

function walk(dir: string, keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  const full = path.join(REPO_ROOT, dir);
  if (!fs.existsSync(full)) return found;
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...walk(rel, keep));
    else if (keep(entry.name)) found.push(rel);
  }
  return found;
}

const codeFiles = CODE_DIRS.flatMap((dir) => walk(dir, (name) => TEXT_FILE.test(name))).filter((file) => file !== SELF);
const markdownFiles = [
  ...['README.md', 'BENCHMARKS.md', 'RELIABILITY.md'].filter((file) => repo.text(file) !== undefined),
  ...walk('docs', (name) => name.endsWith('.md')),
  ...codeFiles.filter((file) => file.endsWith('.md')),
];
const everyFile = [...new Set([...markdownFiles, ...codeFiles])];

function report(problems: Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}

test('the files checked include the entry points a newcomer reads and the code that cites them', () => {
  for (const file of ['README.md', 'docs/wire-contract.md', 'docs/batches.md', 'docs/adr/001-layout-and-store-interfaces.md']) {
    assert.ok(markdownFiles.includes(file), `${file} is checked`);
  }
  for (const file of ['src/features/profiles/update-routes.ts', 'test/readme.test.ts', 'bench/run.ts', 'scripts/run-tests.ts']) {
    assert.ok(codeFiles.includes(file), `${file} is checked`);
  }
});

test('every relative Markdown link leads to a file of the repo and, with #anchor, to one of its headings', () => {
  const problems = markdownFiles.flatMap((file) => markdownLinkProblems(repo, file));
  assert.equal(problems.length, 0, report(problems));
});

test('every docs/….md#anchor named in code, tests, benchmarks, scripts and docs leads to a heading', () => {
  const problems = everyFile.flatMap((file) => docsMentionProblems(repo, file));
  assert.equal(problems.length, 0, report(problems));
});

test('docs/wire-contract.md has its numbered sections, and the code cites them', () => {
  const anchors = anchorsOf(repo, 'docs/wire-contract.md');
  for (const anchor of [
    '1-tenants',
    '3-profile-model',
    '5-single-profile-update',
    '6-bulk-profile-update',
    '8-delivery',
    '11-error-bodies',
  ]) {
    assert.ok(anchors.has(anchor), `docs/wire-contract.md has #${anchor}`);
  }
  const cited = everyFile.filter((file) => /docs\/wire-contract\.md#/.test(repo.text(file) ?? ''));
  assert.ok(cited.length >= 20, `code cites docs/wire-contract.md sections (${cited.length} files)`);
});

test('no file cites a document outside the repo: not the old contract, not its reference notes, not their section numbers', () => {
  const problems = everyFile.flatMap((file) => citationProblems(repo, file));
  assert.equal(problems.length, 0, report(problems));
});

// ---------------------------------------------------------------------------------------------
// The checks themselves fail on what they are meant to catch

function memoryFiles(contents: Record<string, string>): Files {
  return {
    text: (file) => contents[file],
    isDirectory: (file) => Object.keys(contents).some((name) => name.startsWith(`${file.replace(/\/$/, '')}/`)),
  };
}

test("GitHub's anchor rule: lower case, punctuation dropped except - and _, spaces to -", () => {
  assert.equal(githubSlug('5. Single profile update'), '5-single-profile-update');
  assert.equal(githubSlug('2.2 Minting a tntId'), '22-minting-a-tntid');
  assert.equal(githubSlug('Whole-batch refusals (nothing stored, nothing applied)'), 'whole-batch-refusals-nothing-stored-nothing-applied');
  assert.equal(githubSlug('ADR 005 — PostgreSQL: profile rows list their ids'), 'adr-005--postgresql-profile-rows-list-their-ids');
  assert.equal(githubSlug('The `mbox` cookie & its_entries'), 'the-mbox-cookie--its_entries');
  assert.equal(githubSlug('Privacy: export and erasure'), 'privacy-export-and-erasure');
});

test('a broken link, a missing anchor, an outside path and an old citation are each reported', () => {
  const files = memoryFiles({
    'docs/guide.md': [
      '# Guide',
      '## 5. Single profile update',
      '## Repeated',
      '## Repeated',
      '```',
      '## Not a heading (in a fence)',
      '[fine](#repeated-1) and [in a fence](missing.md) stay quiet',
      '```',
      'Links: [ok](guide.md#5-single-profile-update), [ok](../README.md), [ok](adr/), [ok](#repeated-1),',
      '[gone](missing.md), [bad anchor](guide.md#6-bulk), [fenced heading](#not-a-heading-in-a-fence),',
      '[escapes](../../elsewhere/notes.md), `[in code](missing.md)`.',
      '[ref]: nowhere.md',
    ].join('\n'),
    'docs/adr/001.md': '# ADR',
    'README.md': 'See docs/guide.md#5-single-profile-update and docs/guide.md#nope, docs/lost.md.',
    'src/a.ts': [
      '/** Single update (docs/guide.md#5-single-profile-update). */',
      '/** Bulk (docs/guide.md#6-bulk-profile-update), old: CONT' + 'RACT \u00a76. */',
      '// see ../sha' + 'red/spec/x and target-wire' + '-facts and the (\u00a75) rule',
      '// reference/web' + '-sdk.md is outside; docs/web' + '-sdk.md is the repo’s own',
    ].join('\n'),
  });

  const links = markdownLinkProblems(files, 'docs/guide.md').map((p) => `${p.line}: ${p.message}`);
  assert.deepEqual(links, [
    "10: link 'missing.md': docs/missing.md does not exist",
    "10: link 'guide.md#6-bulk': docs/guide.md has no heading with the anchor #6-bulk",
    "10: link '#not-a-heading-in-a-fence': docs/guide.md has no heading with the anchor #not-a-heading-in-a-fence",
    "11: link '../../elsewhere/notes.md': leads outside the repository",
    "12: link 'nowhere.md': docs/nowhere.md does not exist",
  ]);

  const mentions = [...docsMentionProblems(files, 'README.md'), ...docsMentionProblems(files, 'src/a.ts')].map(
    (p) => `${p.file}:${p.line}: ${p.message}`,
  );
  assert.deepEqual(mentions, [
    "README.md:1: 'docs/guide.md#nope': docs/guide.md has no heading with the anchor #nope",
    "README.md:1: 'docs/lost.md': docs/lost.md does not exist",
    "src/a.ts:2: 'docs/guide.md#6-bulk-profile-update': docs/guide.md has no heading with the anchor #6-bulk-profile-update",
    "src/a.ts:4: 'docs/web-sdk.md': docs/web-sdk.md does not exist",
  ]);

  const citations = citationProblems(files, 'src/a.ts').map((p) => `${p.line}: ${p.message.split(':')[0]}`);
  assert.deepEqual(citations, [
    '2: cites the old contract document; link a section of docs/wire-contract.md instead',
    '2: cites a section number of a document outside the repository',
    '3: cites a reference note that is not in the repository',
    '3: names a path outside the repository',
    '3: cites a section number of a document outside the repository',
    '4: cites a reference note that is not in the repository',
  ]);
  assert.deepEqual(citationProblems(files, 'docs/guide.md'), []);
});
