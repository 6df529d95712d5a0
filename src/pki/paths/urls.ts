/** `config/urls` (AIA and CRL distribution URLs) and `config/cluster` (template values). */
import { field, parseFields } from '../../core/fields.js';
import { LogicalError, type PathDef } from '../../core/logical.js';
import { emptyUrls, PATH, type ClusterConfig, type UrlsConfig } from '../records.js';
import type { PkiState } from '../state.js';

const URL_FIELDS = ['issuing_certificates', 'crl_distribution_points', 'ocsp_servers'] as const;

function isUrl(u: string): boolean {
  try {
    const parsed = new URL(u);
    return parsed.host !== '' || parsed.protocol === 'ldap:';
  } catch {
    return false;
  }
}

/** Vault's validateURLs: every AIA entry must parse as a URL (unless templating is on). */
export function validateAiaUrls(c: Pick<UrlsConfig, (typeof URL_FIELDS)[number]>): void {
  for (const f of URL_FIELDS) {
    for (const u of c[f]) {
      if (!isUrl(u)) throw new LogicalError(`invalid URL found in Authority Information Access (AIA) parameter ${f}: ${u}`);
    }
  }
}

export function urlPaths(state: PkiState): PathDef[] {
  return [
    {
      pattern: 'config/urls',
      operations: {
        read: async (req) => {
          const c = { ...emptyUrls(), ...((await req.storage.getJson<UrlsConfig>(PATH.urls)) ?? {}) };
          return { data: { ...c } };
        },
        update: (req) =>
          state.withLock(async () => {
            const p = parseFields(
              {
                issuing_certificates: field.commaStringSlice(),
                crl_distribution_points: field.commaStringSlice(),
                ocsp_servers: field.commaStringSlice(),
                enable_templating: field.bool(),
              },
              req.data,
            );
            const c = { ...emptyUrls(), ...((await req.storage.getJson<UrlsConfig>(PATH.urls)) ?? {}) };
            for (const f of URL_FIELDS) if (p.present.has(f)) c[f] = p.values[f];
            if (p.present.has('enable_templating')) c.enable_templating = p.values.enable_templating;
            if (!c.enable_templating) validateAiaUrls(c);
            await req.storage.putJson(PATH.urls, c);
            state.issuersChanged();
            return { data: { ...c }, warnings: p.warnings };
          }),
      },
    },
    {
      pattern: 'config/cluster',
      operations: {
        read: async (req) => ({ data: { path: '', aia_path: '', ...((await req.storage.getJson<ClusterConfig>(PATH.cluster)) ?? {}) } }),
        update: (req) =>
          state.withLock(async () => {
            const p = parseFields({ path: field.string(), aia_path: field.string() }, req.data);
            const c: ClusterConfig = { path: '', aia_path: '', ...((await req.storage.getJson<ClusterConfig>(PATH.cluster)) ?? {}) };
            if (p.present.has('path')) c.path = p.values.path;
            if (p.present.has('aia_path')) c.aia_path = p.values.aia_path;
            for (const [k, u] of Object.entries(c)) {
              if (u !== '' && !isUrl(u)) throw new LogicalError(`invalid ${k} value: ${u}`);
            }
            await req.storage.putJson(PATH.cluster, c);
            state.issuersChanged();
            return { data: { ...c }, warnings: p.warnings };
          }),
      },
    },
  ];
}
