// Module badge: badge tokens (docs/formats.md, "Badge token"), verified on the device with the
// event's public keys and refused when revoked, so the kiosk can decide while offline. Owns
// the imported public keys and the revocation lookup, both cached per device state.

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const TOKEN_CHARS = 124;
const TOKEN_BYTES = 77;
const PAYLOAD_LEN = 13;
const SIGNATURE_CONTEXT = new TextEncoder().encode("badgetrail/badge/v1\0");

/// RFC 4648 base32 without padding; null for anything that is not a well-formed token.
function base32Decode(text) {
  if (text.length !== TOKEN_CHARS) return null;
  const out = new Uint8Array(TOKEN_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (n < TOKEN_BYTES) out[n++] = (value >> bits) & 0xff;
      value &= (1 << bits) - 1;
    }
  }
  // The last character carries unused bits, which must be zero.
  if (n !== TOKEN_BYTES || value !== 0) return null;
  return out;
}

function base64Decode(text) {
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const importedKeys = new Map();

/// Drops the imported keys: after a refresh (keys come and go) and when the device is lost.
export function forgetKeys() {
  importedKeys.clear();
}

async function publicKey(device, keyId) {
  const cacheKey = `${device.event_id}/${keyId}`;
  if (importedKeys.has(cacheKey)) return importedKeys.get(cacheKey);
  const entry = (device.public_keys || []).find((k) => k.key_id === keyId);
  if (!entry) return null;
  const key = await crypto.subtle.importKey(
    "raw",
    base64Decode(entry.public_key),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  importedKeys.set(cacheKey, key);
  return key;
}

/// The whitespace Rust's `str::trim` removes (Unicode White_Space), which differs from
/// JavaScript's `trim` in U+0085 and U+FEFF.
const EDGE_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/// What the kiosk can tell on its own, read as the server reads it (src/domain/badge.rs):
/// `{decision: "refused", reason}`, `{decision: "accepted", attendee_id}`, or decision
/// `unknown` when this browser cannot verify signatures.
export async function verifyLocally(device, text) {
  // Only ASCII letters change case: `toUpperCase` would turn "ı" into "I" and read a badge
  // the server calls malformed.
  const token = text.replace(EDGE_SPACE, "").replace(/[a-z]/g, (c) => c.toUpperCase());
  const bytes = base32Decode(token);
  if (!bytes) return { decision: "refused", reason: "malformed" };
  const view = new DataView(bytes.buffer);
  if (view.getUint8(0) !== 1) return { decision: "refused", reason: "malformed" };
  const eventId = view.getUint32(1);
  if (eventId !== device.event_id) return { decision: "refused", reason: "wrong_event" };
  const keyId = view.getUint16(5);
  const attendeeId = view.getUint32(7);
  const serial = view.getUint16(11);
  let key;
  try {
    key = await publicKey(device, keyId);
  } catch {
    return { decision: "unknown" };
  }
  if (!key) return { decision: "refused", reason: "forged" };
  const message = new Uint8Array(SIGNATURE_CONTEXT.length + PAYLOAD_LEN);
  message.set(SIGNATURE_CONTEXT, 0);
  message.set(bytes.subarray(0, PAYLOAD_LEN), SIGNATURE_CONTEXT.length);
  let valid;
  try {
    valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      bytes.subarray(PAYLOAD_LEN),
      message,
    );
  } catch {
    return { decision: "unknown" };
  }
  if (!valid) return { decision: "refused", reason: "forged" };
  if (serial < currentSerial(device, attendeeId)) {
    return { decision: "refused", reason: "revoked" };
  }
  return { decision: "accepted", attendee_id: attendeeId };
}

/// The serial an attendee's valid badge carries: 1 unless re-issued; a serial beyond what a
/// badge can carry revokes every badge (as `u16::try_from(..).unwrap_or(u16::MAX)` does).
function currentSerial(device, attendeeId) {
  const current = revocations(device).get(attendeeId);
  if (current === undefined) return 1;
  return Number.isInteger(current) && current >= 0 && current <= 0xffff ? current : 0xffff;
}

let revocationCache = { device: null, map: new Map() };

function revocations(device) {
  if (revocationCache.device !== device) {
    revocationCache = { device, map: new Map(device.revocations || []) };
  }
  return revocationCache.map;
}

