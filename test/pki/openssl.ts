/**
 * Runs the system `openssl` on PEM/DER we produce. Fails loudly (throws) when openssl is missing:
 * these checks are the point of the tests that use them, never optional.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requireOpenssl(): string {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch (e) {
    throw new Error(`openssl is required for the PKI tests and was not found on PATH: ${(e as Error).message}`);
  }
}

export class OpensslDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'coffer-pki-'));

  file(name: string, content: string | Buffer): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  /** Runs openssl; returns stdout+stderr and the exit status (never throws on non-zero). */
  run(args: string[], input?: Buffer | string): { status: number; out: string } {
    const r = spawnSync('openssl', args, { cwd: this.dir, input, encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** Runs openssl and throws with its output on a non-zero exit. */
  ok(args: string[], input?: Buffer | string): string {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}):\n${r.out}`);
    return r.out;
  }

  text(pem: string): string {
    return this.ok(['x509', '-noout', '-text', '-in', this.file(`c${Math.random().toString(36).slice(2)}.pem`, `${pem}\n`)]);
  }

  verify(rootPem: string, intermediates: string[], leafPem: string): { status: number; out: string } {
    const root = this.file('root.pem', `${rootPem}\n`);
    const args = ['verify', '-CAfile', root];
    if (intermediates.length) args.push('-untrusted', this.file('int.pem', `${intermediates.join('\n')}\n`));
    args.push(this.file('leaf.pem', `${leafPem}\n`));
    return this.run(args);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
