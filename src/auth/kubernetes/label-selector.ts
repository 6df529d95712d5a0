/**
 * Kubernetes LabelSelector (`bound_service_account_namespace_selector`), given as JSON:
 * `{"matchLabels": {...}, "matchExpressions": [{"key", "operator": In|NotIn|Exists|DoesNotExist, "values"}]}`.
 * All requirements must hold (metav1.LabelSelectorAsSelector semantics).
 */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function parseLabelSelector(text: string): LabelSelector {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('label selector must be a JSON LabelSelector object');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('label selector must be an object');
  const sel = raw as Record<string, unknown>;
  const out: LabelSelector = {};
  if (sel['matchLabels'] !== undefined) {
    const ml = sel['matchLabels'];
    if (ml === null || typeof ml !== 'object' || Array.isArray(ml) || !Object.values(ml).every((v) => typeof v === 'string')) {
      throw new Error('matchLabels must map strings to strings');
    }
    out.matchLabels = ml as Record<string, string>;
  }
  if (sel['matchExpressions'] !== undefined) {
    const me = sel['matchExpressions'];
    if (!Array.isArray(me)) throw new Error('matchExpressions must be a list');
    out.matchExpressions = me.map((e: unknown) => {
      const x = e as Record<string, unknown>;
      const op = x['operator'];
      if (typeof x['key'] !== 'string' || typeof op !== 'string' || !OPERATORS.has(op)) throw new Error('invalid matchExpressions entry');
      const values = x['values'];
      if (values !== undefined && !(Array.isArray(values) && values.every((v) => typeof v === 'string'))) throw new Error('values must be strings');
      if ((op === 'In' || op === 'NotIn') && (!Array.isArray(values) || values.length === 0)) throw new Error(`operator ${op} needs values`);
      return { key: x['key'], operator: op as 'In', ...(values ? { values: values as string[] } : {}) };
    });
  }
  return out;
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
