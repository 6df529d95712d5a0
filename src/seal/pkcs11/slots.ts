/** Finding the configured token: by slot ID, by token label, or both (then they must agree). */
import { endianness } from 'node:os';
import { Pkcs11SealError, describeNativeError } from './errors.js';
import { pkcs11js, type LoadedLibrary } from './library.js';

export interface SelectedSlot {
  handle: Buffer;
  id: bigint;
  label: string;
  manufacturer: string;
  model: string;
  flags: number;
}

/** "token \"seal\" (slot 584055234)", for messages. */
export function describeSlot(slot: Pick<SelectedSlot, 'id' | 'label'>): string {
  return `token "${slot.label}" (slot ${slot.id})`;
}

/** pkcs11js hands CK_SLOT_ID / CK_ULONG values over as native-endian byte buffers. */
export function ulongOf(buf: Buffer): bigint {
  const le = endianness() === 'LE';
  if (buf.length === 8) return le ? buf.readBigUInt64LE(0) : buf.readBigUInt64BE(0);
  if (buf.length === 4) return BigInt(le ? buf.readUInt32LE(0) : buf.readUInt32BE(0));
  throw new RangeError(`unexpected CK_ULONG size ${buf.length}`);
}

/** Fixed-width PKCS#11 strings are blank-padded. */
function unpad(text: string): string {
  return text.replace(/[ \0]+$/, '');
}

interface SlotEntry {
  handle: Buffer;
  id: bigint;
  /** Undefined when the slot's token is not initialised or cannot be read. */
  token: { label: string; manufacturer: string; model: string; flags: number } | undefined;
}

function listSlots(lib: LoadedLibrary): SlotEntry[] {
  let handles: Buffer[];
  try {
    handles = lib.p11.C_GetSlotList(true);
  } catch (err) {
    throw new Pkcs11SealError('slot', `pkcs11 seal: C_GetSlotList on "${lib.path}" failed (${describeNativeError(err)}): check the HSM is connected and its client is configured`, { cause: err });
  }
  return handles.map((handle) => {
    let token: SlotEntry['token'];
    try {
      const info = lib.p11.C_GetTokenInfo(handle);
      if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0) {
        token = { label: unpad(info.label), manufacturer: unpad(info.manufacturerID), model: unpad(info.model), flags: info.flags };
      }
    } catch {
      token = undefined;
    }
    return { handle, id: ulongOf(handle), token };
  });
}

function inventory(slots: SlotEntry[]): string {
  if (slots.length === 0) return 'the library reports no slot with a token';
  return 'slots with a token: ' + slots.map((s) => (s.token ? `${s.id} ("${s.token.label}")` : `${s.id} (uninitialised)`)).join(', ');
}

export function selectSlot(lib: LoadedLibrary, want: { slot: bigint | undefined; tokenLabel: string | undefined }): SelectedSlot {
  const slots = listSlots(lib);
  let match: SlotEntry;
  if (want.slot !== undefined) {
    const bySlot = slots.find((s) => s.id === want.slot);
    if (!bySlot) {
      throw new Pkcs11SealError('slot', `pkcs11 seal: no token in slot ${want.slot} of "${lib.path}"; ${inventory(slots)}. Check \`slot\` (VAULT_HSM_SLOT); slot IDs can change when tokens are re-initialised, \`token_label\` is stabler`);
    }
    if (!bySlot.token) {
      throw new Pkcs11SealError('slot', `pkcs11 seal: the token in slot ${want.slot} of "${lib.path}" is not initialised; initialise it with the HSM's tools or choose another slot (${inventory(slots)})`);
    }
    if (want.tokenLabel !== undefined && bySlot.token.label !== want.tokenLabel) {
      throw new Pkcs11SealError('slot', `pkcs11 seal: slot ${want.slot} holds token "${bySlot.token.label}", not "${want.tokenLabel}": \`slot\` and \`token_label\` disagree; set only one of them`);
    }
    match = bySlot;
  } else {
    const byLabel = slots.filter((s) => s.token?.label === want.tokenLabel);
    if (byLabel.length === 0) {
      throw new Pkcs11SealError('slot', `pkcs11 seal: no token labelled "${want.tokenLabel}" in "${lib.path}"; ${inventory(slots)}. Check \`token_label\` (VAULT_HSM_TOKEN_LABEL) and that the token is initialised`);
    }
    if (byLabel.length > 1) {
      throw new Pkcs11SealError('slot', `pkcs11 seal: ${byLabel.length} tokens are labelled "${want.tokenLabel}" (slots ${byLabel.map((s) => s.id).join(', ')}): set \`slot\` to choose one`);
    }
    match = byLabel[0]!;
  }
  const token = match.token!;
  return { handle: match.handle, id: match.id, label: token.label, manufacturer: token.manufacturer, model: token.model, flags: token.flags };
}
