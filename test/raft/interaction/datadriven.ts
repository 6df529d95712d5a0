// A tiny version of cockroachdb/datadriven, the format of etcd's raft testdata:
//
//   # comment
//   command arg key=value key=(1,2,3)
//   optional input lines
//   ----
//   expected output (no blank lines; a blank line ends the block)
//
// The whole output of each command is compared with the expected block; with
// RAFT_REWRITE=1 the file's expected blocks are rewritten instead.

import { readFileSync, writeFileSync } from 'node:fs';

export interface CmdArg {
  readonly key: string;
  readonly values: readonly string[];
  /** Whether the token had the key=value form (a bare token has no value). */
  readonly hasValue: boolean;
}

export interface TestCase {
  readonly line: number;
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  readonly input: readonly string[];
  readonly expected: string;
  /** Line range [start, end) of the expected block in the file. */
  readonly expectedStart: number;
  readonly expectedEnd: number;
  readonly source: string;
}

function parseArgs(tokens: string[]): CmdArg[] {
  return tokens.map((tok) => {
    const eq = tok.indexOf('=');
    if (eq < 0) return { key: tok, values: [], hasValue: false };
    const key = tok.slice(0, eq);
    let v = tok.slice(eq + 1);
    if (v.startsWith('(') && v.endsWith(')')) {
      v = v.slice(1, -1);
      return { key, values: v === '' ? [] : v.split(','), hasValue: true };
    }
    return { key, values: [v], hasValue: true };
  });
}

/** Splits a command line on spaces, keeping parenthesised groups together. */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export function parseTestFile(text: string): TestCase[] {
  const lines = text.split('\n');
  const cases: TestCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    const tokens = tokenize(l.trim());
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      input.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`line ${start + 1}: command "${l}" has no ---- separator`);
    i++; // skip ----
    const expectedStart = i;
    while (i < lines.length && lines[i]!.trim() !== '') i++;
    const expectedEnd = i;
    cases.push({
      line: start + 1,
      cmd: tokens[0]!,
      args: parseArgs(tokens.slice(1)),
      input,
      expected: lines.slice(expectedStart, expectedEnd).join('\n'),
      expectedStart,
      expectedEnd,
      source: l,
    });
  }
  return cases;
}

/** Runs every case of a file; returns mismatches, or rewrites the file when rewrite=true. */
export function runTestFile(
  path: string,
  run: (tc: TestCase) => string,
  rewrite: boolean,
): { line: number; source: string; expected: string; actual: string }[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const cases = parseTestFile(text);
  const failures: { line: number; source: string; expected: string; actual: string }[] = [];
  const replacements: { start: number; end: number; lines: string[] }[] = [];
  for (const tc of cases) {
    let actual = run(tc).replace(/\n+$/, '');
    if (actual === '') actual = 'ok';
    if (actual.split('\n').some((x) => x.trim() === '')) {
      throw new Error(`${path}:${tc.line}: output of "${tc.source}" contains a blank line`);
    }
    if (rewrite) replacements.push({ start: tc.expectedStart, end: tc.expectedEnd, lines: actual.split('\n') });
    else if (actual !== tc.expected) failures.push({ line: tc.line, source: tc.source, expected: tc.expected, actual });
  }
  if (rewrite) {
    for (const r of replacements.reverse()) lines.splice(r.start, r.end - r.start, ...r.lines);
    writeFileSync(path, lines.join('\n'));
  }
  return failures;
}
