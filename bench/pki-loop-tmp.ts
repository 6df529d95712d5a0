import { generateKeyPairSync } from 'node:crypto';
import { PkiHarness } from '../test/pki/harness.js';
import { buildCsr } from '../src/pki/csr.js';
import { subjectAltNameExt } from '../src/pki/extensions.js';
import { buildName } from '../src/pki/name.js';
import { toPem } from '../src/pki/pem.js';
const mode = process.argv[2] ?? 'sign';
const secs = Number(process.argv[3] ?? 5);
const h = new PkiHarness();
await h.init();
h.maxLeaseTtl = 87600 * 3600;
await h.ok('root/generate/internal', { common_name: 'R', key_type: 'ec', ttl: '87600h' });
await h.ok('config/urls', { issuing_certificates: 'http://127.0.0.1:8200/v1/pki/ca', crl_distribution_points: 'http://127.0.0.1:8200/v1/pki/crl', ocsp_servers: 'http://127.0.0.1:8200/v1/pki/ocsp' });
await h.ok('roles/r', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', ttl: '24h', no_store: true });
const csrs: string[] = [];
for (let i = 0; i < 1024; i++) {
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cn = `app${i}.example.com`;
  csrs.push(toPem('CERTIFICATE REQUEST', buildCsr({ subjectDer: buildName({ commonName: cn }), key: kp.privateKey, extensions: [subjectAltNameExt({ dns: [cn] }, false)] })));
}
let n = 0;
const end = performance.now() + secs * 1000;
const t0 = performance.now();
while (performance.now() < end) {
  for (let j = 0; j < 50; j++, n++) {
    if (mode === 'sign') await h.ok('sign/r', { csr: csrs[n % 1024] });
    else await h.ok('issue/r', { common_name: `svc${n % 1000}.example.com` });
  }
}
console.log(mode, ((performance.now() - t0) * 1000 / n).toFixed(1), 'µs/op', n);
await h.close();
