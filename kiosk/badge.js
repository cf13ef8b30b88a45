// Badge tokens (docs/formats.md, "Badge token"), verified on the device with the event's
// public keys and refused when revoked, so the kiosk can decide while offline.
"use strict";

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

/// What the kiosk can tell on its own: `{decision, reason}`, or decision `unknown` when this
/// browser cannot verify signatures.
async function verifyLocally(device, text) {
  const token = text.trim().toUpperCase();
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
  const current = revocations(device).get(attendeeId);
  if (current !== undefined && serial < current) {
    return { decision: "refused", reason: "revoked" };
  }
  return { decision: "accepted" };
}

let revocationCache = { device: null, map: new Map() };

function revocations(device) {
  if (revocationCache.device !== device) {
    revocationCache = { device, map: new Map(device.revocations || []) };
  }
  return revocationCache.map;
}

