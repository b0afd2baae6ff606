import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/process.js';
import { startTestServer, tempDir } from './support/server.js';

/** The shell blocks between the readme-examples markers, in order. */
function readmeExamples(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('<!-- readme-examples:start -->')[1]!.split('<!-- readme-examples:end -->')[0]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

test("the README's curl examples run as written against a freshly started server", async () => {
  const workDir = tempDir();
  const server = await startTestServer({ dataDir: path.join(workDir, 'data') });
  try {
    const script = readmeExamples()
      .replace('PE=http://127.0.0.1:8080', `PE=${server.url}`)
      // -f turns any HTTP error into a failed command, so a broken example fails this test.
      .replaceAll('curl -s', 'curl -sf');
    assert.match(script, /curl -sf/);
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: workDir }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(code, 0, `README examples failed:\n${stderr}\n${stdout}`);
    assert.doesNotMatch(stdout, /<success>false<\/success>|"status":\s*[45]\d\d/);
  } finally {
    await server.dispose();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
});
