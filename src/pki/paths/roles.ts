/** `roles/:name` (POST replaces, PATCH merges, GET, DELETE) and `LIST roles`. */
import { parseFields } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import { PATH } from '../records.js';
import { ROLE_DEFAULTS, ROLE_FIELDS, roleFromRequest, roleResponse, validateRole, type Role } from '../roles.js';
import type { PkiState } from '../state.js';
import { GENERIC } from './common.js';

async function issuerRefWarning(state: PkiState, ref: string): Promise<string[]> {
  const set = await state.issuerSet();
  try {
    set.resolveIssuer(ref);
    return [];
  } catch {
    return ref === 'default'
      ? ['Issuing Certificate was set to default, but no default issuing certificate (configurable at /config/issuers) is currently set']
      : [`Issuing Certificate was set to ${ref} but no issuing certificate currently has that name`];
  }
}

async function writeRole(state: PkiState, req: LogicalRequest, patch: boolean): Promise<LogicalResponse> {
  const name = req.params['name']!;
  const p = parseFields(ROLE_FIELDS, req.data);
  let base: Role = ROLE_DEFAULTS;
  if (patch) {
    const old = await state.role(req.storage, name);
    if (!old) throw new LogicalError('Unable to fetch role entry to patch');
    base = { ...ROLE_DEFAULTS, ...old };
  }
  const { role, warnings } = roleFromRequest(p, base);
  validateRole(role);
  warnings.push(...(await issuerRefWarning(state, role.issuer_ref)));
  await req.storage.putJson(PATH.role + name, role);
  state.roleChanged(name, role);
  return { data: roleResponse(role), warnings: [...p.warnings, ...warnings] };
}

export function rolePaths(state: PkiState): PathDef[] {
  return [
    {
      pattern: 'roles/?',
      operations: {
        list: async (req) => {
          const keys = await req.storage.list(PATH.role);
          return { data: { keys } };
        },
      },
    },
    {
      pattern: `roles/(?<name>${GENERIC})`,
      existenceCheck: async (req) => (await state.role(req.storage, req.params['name']!)) !== undefined,
      operations: {
        read: async (req) => {
          const r = await state.role(req.storage, req.params['name']!);
          return r ? { data: roleResponse({ ...ROLE_DEFAULTS, ...r }) } : undefined;
        },
        create: (req) => writeRole(state, req, false),
        update: (req) => writeRole(state, req, false),
        patch: (req) => writeRole(state, req, true),
        delete: async (req) => {
          await req.storage.delete(PATH.role + req.params['name']!);
          state.roleChanged(req.params['name']!, null);
          return undefined;
        },
      },
    },
  ];
}
