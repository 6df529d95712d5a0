// Golden interaction tests: every testdata/*.txt script is replayed and each
// command's full output compared with the expected block checked in beside it.
// RAFT_REWRITE=1 rewrites the expected blocks (then review the diff by hand).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTestFile } from './interaction/datadriven.js';
import { InteractionEnv } from './interaction/interaction-env.js';

const dir = join(import.meta.dirname, 'testdata');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
const rewrite = process.env.RAFT_REWRITE === '1';

describe('raft interaction scripts', () => {
  it('has scripts to run', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(file, () => {
      const env = new InteractionEnv();
      const failures = runTestFile(join(dir, file), (tc) => env.handle(tc), rewrite);
      const report = failures
        .map((f) => `${file}:${f.line}: ${f.source}\n--- expected\n${f.expected}\n--- actual\n${f.actual}`)
        .join('\n\n');
      expect(report).toBe('');
    });
  }
});
