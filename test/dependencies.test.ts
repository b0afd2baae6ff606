import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/process.js';

/** Tools run by npm scripts or by the compiler, never imported. */
const USED_WITHOUT_IMPORT = new Set(['@biomejs/biome', 'typescript', 'tsx']);

function sourcesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourcesUnder(relative));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) found.push(relative);
  }
  return found;
}

function importedPackages(dirs: string[]): Set<string> {
  const imported = new Set<string>();
  for (const file of dirs.filter((dir) => fs.existsSync(path.join(REPO_ROOT, dir))).flatMap(sourcesUnder)) {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    for (const [, specifier] of text.matchAll(
      /(?:from\s+|import\(\s*|require(?:\.resolve)?\(\s*|createRequire\([^)]*\)\(\s*|import\s+)'([^'./][^']*)'/g,
    )) {
      const parts = specifier!.split('/');
      imported.add(specifier!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return imported;
}

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('every runtime dependency is imported by the server', () => {
  const imported = importedPackages(['src']);
  const unused = Object.keys(manifest.dependencies).filter((name) => !imported.has(name));
  assert.deepEqual(unused, [], `declared in dependencies, never imported under src/: ${unused.join(', ')}`);
});

test('every development dependency is imported by tests, benches or scripts, or runs as a tool', () => {
  const imported = importedPackages(['src', 'test', 'bench', 'scripts', 'console']);
  const unused = Object.keys(manifest.devDependencies).filter((name) => {
    if (USED_WITHOUT_IMPORT.has(name)) return false;
    // Type packages count when the package they describe is used.
    const described = name.startsWith('@types/') ? name.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : name;
    return !imported.has(described) && !(described === 'node');
  });
  assert.deepEqual(unused, [], `declared in devDependencies, never used: ${unused.join(', ')}`);
});
