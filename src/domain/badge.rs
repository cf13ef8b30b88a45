//! Badge tokens: the signed, QR-friendly text that identifies an attendee at the door.

use data_encoding::BASE32_NOPAD;
use ed25519_dalek::{SIGNATURE_LENGTH, Signature, Signer, SigningKey, VerifyingKey};

pub const TOKEN_VERSION: u8 = 1;

/// Separates badge signatures from anything else an event key might ever sign.
const SIGNATURE_CONTEXT: &[u8] = b"badgetrail/badge/v1\0";

/// version u8 | event_id u32 | key_id u16 | attendee_id u32 | serial u16, big-endian.
const PAYLOAD_LEN: usize = 1 + 4 + 2 + 4 + 2;
const TOKEN_BYTES: usize = PAYLOAD_LEN + SIGNATURE_LENGTH;

/// Length of every token's text: 77 bytes in unpadded base32.
pub const TOKEN_LEN: usize = (TOKEN_BYTES * 8).div_ceil(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadgeClaims {
    pub event_id: u32,
    pub key_id: u16,
    pub attendee_id: u32,
    /// The attendee's badge issue number; re-issuing bumps it and revokes older badges.
    pub serial: u16,
}

/// The public keys a device accepts for one event.
#[derive(Debug, Clone)]
pub struct EventKeySet {
    pub event_id: u32,
    pub keys: Vec<(u16, VerifyingKey)>,
}

impl EventKeySet {
    fn key(&self, key_id: u16) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .find(|(id, _)| *id == key_id)
            .map(|(_, key)| key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadgeError {
    #[error("not a badgetrail badge: {0}")]
    Malformed(String),
    #[error("badge belongs to another event")]
    WrongEvent { found: u32 },
    #[error("badge signed with an unknown or retired key")]
    UnknownKey(u16),
    #[error("badge signature is not valid (forged or damaged)")]
    Forged,
}

/// Signs `claims` into the token text: uppercase base32 without padding, which fits the
/// QR alphanumeric charset and needs no escaping in a URL path.
pub fn sign(claims: &BadgeClaims, key: &SigningKey) -> String {
    let payload = encode_payload(claims);
    let signature = key.sign(&signed_message(&payload));
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..PAYLOAD_LEN].copy_from_slice(&payload);
    bytes[PAYLOAD_LEN..].copy_from_slice(&signature.to_bytes());
    BASE32_NOPAD.encode(&bytes)
}

/// Reads the claims without checking the signature (for messages and routing only).
pub fn read_unverified(token: &str) -> Result<BadgeClaims, BadgeError> {
    parse(token).map(|(claims, _, _)| claims)
}

/// Accepts a badge only if it was signed by one of the event's current keys.
pub fn verify(token: &str, keys: &EventKeySet) -> Result<BadgeClaims, BadgeError> {
    let (claims, payload, signature) = parse(token)?;
    if claims.event_id != keys.event_id {
        return Err(BadgeError::WrongEvent {
            found: claims.event_id,
        });
    }
    let key = keys
        .key(claims.key_id)
        .ok_or(BadgeError::UnknownKey(claims.key_id))?;
    // Strict verification refuses malleable and small-order signatures, so one badge has
    // exactly one valid token and a damaged one cannot pass by accident.
    key.verify_strict(&signed_message(&payload), &signature)
        .map_err(|_| BadgeError::Forged)?;
    Ok(claims)
}

/// A badge is revoked once the attendee has been issued a newer one.
pub fn is_revoked(claims: &BadgeClaims, current_serial: u16) -> bool {
    claims.serial < current_serial
}

/// Builds a signing key from 32 bytes of randomness supplied by the caller.
pub fn signing_key_from_seed(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

fn encode_payload(claims: &BadgeClaims) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[0] = TOKEN_VERSION;
    payload[1..5].copy_from_slice(&claims.event_id.to_be_bytes());
    payload[5..7].copy_from_slice(&claims.key_id.to_be_bytes());
    payload[7..11].copy_from_slice(&claims.attendee_id.to_be_bytes());
    payload[11..13].copy_from_slice(&claims.serial.to_be_bytes());
    payload
}

fn signed_message(payload: &[u8; PAYLOAD_LEN]) -> [u8; SIGNATURE_CONTEXT.len() + PAYLOAD_LEN] {
    let mut message = [0u8; SIGNATURE_CONTEXT.len() + PAYLOAD_LEN];
    message[..SIGNATURE_CONTEXT.len()].copy_from_slice(SIGNATURE_CONTEXT);
    message[SIGNATURE_CONTEXT.len()..].copy_from_slice(payload);
    message
}

fn parse(token: &str) -> Result<(BadgeClaims, [u8; PAYLOAD_LEN], Signature), BadgeError> {
    // Scanners and keyboards may add whitespace or switch the case of what they read.
    let text = token.trim().to_ascii_uppercase();
    if text.len() != TOKEN_LEN {
        return Err(BadgeError::Malformed(format!(
            "expected {TOKEN_LEN} characters, found {}",
            text.chars().count()
        )));
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    // Trailing-bit checking is on, so no two texts decode to the same badge.
    BASE32_NOPAD
        .decode_mut(text.as_bytes(), &mut bytes)
        .map_err(|e| {
            BadgeError::Malformed(format!(
                "base32 {} at character {}",
                e.error.kind,
                e.error.position + 1
            ))
        })?;
    if bytes[0] != TOKEN_VERSION {
        return Err(BadgeError::Malformed(format!(
            "unsupported token version {}",
            bytes[0]
        )));
    }
    let mut payload = [0u8; PAYLOAD_LEN];
    payload.copy_from_slice(&bytes[..PAYLOAD_LEN]);
    let mut signature = [0u8; SIGNATURE_LENGTH];
    signature.copy_from_slice(&bytes[PAYLOAD_LEN..]);
    let claims = BadgeClaims {
        event_id: u32::from_be_bytes([payload[1], payload[2], payload[3], payload[4]]),
        key_id: u16::from_be_bytes([payload[5], payload[6]]),
        attendee_id: u32::from_be_bytes([payload[7], payload[8], payload[9], payload[10]]),
        serial: u16::from_be_bytes([payload[11], payload[12]]),
    };
    Ok((claims, payload, Signature::from_bytes(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const QR_ALPHANUMERIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    const BASE32_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    fn key(n: u8) -> SigningKey {
        signing_key_from_seed([n; 32])
    }

    fn claims() -> BadgeClaims {
        BadgeClaims {
            event_id: 7,
            key_id: 1,
            attendee_id: 123_456,
            serial: 2,
        }
    }

    fn key_set(event_id: u32, keys: &[(u16, &SigningKey)]) -> EventKeySet {
        EventKeySet {
            event_id,
            keys: keys
                .iter()
                .map(|(id, k)| (*id, k.verifying_key()))
                .collect(),
        }
    }

    #[test]
    fn round_trip() {
        let k = key(1);
        let token = sign(&claims(), &k);
        assert_eq!(verify(&token, &key_set(7, &[(1, &k)])), Ok(claims()));
        assert_eq!(read_unverified(&token), Ok(claims()));
    }

    #[test]
    fn extreme_claims_round_trip() {
        let k = key(1);
        for c in [
            BadgeClaims {
                event_id: 0,
                key_id: 0,
                attendee_id: 0,
                serial: 0,
            },
            BadgeClaims {
                event_id: u32::MAX,
                key_id: u16::MAX,
                attendee_id: u32::MAX,
                serial: u16::MAX,
            },
        ] {
            let token = sign(&c, &k);
            assert_eq!(
                verify(&token, &key_set(c.event_id, &[(c.key_id, &k)])),
                Ok(c)
            );
        }
    }

    #[test]
    fn signing_is_deterministic() {
        assert_eq!(sign(&claims(), &key(1)), sign(&claims(), &key(1)));
    }

    #[test]
    fn scanner_noise_is_tolerated() {
        let k = key(1);
        let token = sign(&claims(), &k);
        let keys = key_set(7, &[(1, &k)]);
        assert_eq!(verify(&token.to_lowercase(), &keys), Ok(claims()));
        assert_eq!(verify(&format!("  {token}\r\n"), &keys), Ok(claims()));
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let k = key(1);
        let token = sign(&claims(), &k);
        let keys = key_set(7, &[(1, &k)]);
        for (position, original) in token.char_indices() {
            for replacement in BASE32_ALPHABET.chars().filter(|c| *c != original) {
                let mut damaged = token.clone();
                damaged.replace_range(position..position + 1, &replacement.to_string());
                assert!(
                    verify(&damaged, &keys).is_err(),
                    "accepted {replacement} at position {position}"
                );
            }
        }
    }

    #[test]
    fn wrong_key_is_forged() {
        let token = sign(&claims(), &key(2));
        assert_eq!(
            verify(&token, &key_set(7, &[(1, &key(1))])),
            Err(BadgeError::Forged)
        );
    }

    #[test]
    fn another_events_badge_is_refused() {
        let k = key(1);
        let token = sign(&claims(), &k);
        assert_eq!(
            verify(&token, &key_set(8, &[(1, &k)])),
            Err(BadgeError::WrongEvent { found: 7 })
        );
        let other_event_token = sign(
            &BadgeClaims {
                event_id: 8,
                ..claims()
            },
            &key(8),
        );
        assert_eq!(
            verify(&other_event_token, &key_set(7, &[(1, &k)])),
            Err(BadgeError::WrongEvent { found: 8 })
        );
    }

    #[test]
    fn unknown_key_id_is_refused() {
        let k = key(1);
        let token = sign(
            &BadgeClaims {
                key_id: 9,
                ..claims()
            },
            &k,
        );
        assert_eq!(
            verify(&token, &key_set(7, &[(1, &k)])),
            Err(BadgeError::UnknownKey(9))
        );
    }

    #[test]
    fn key_id_is_covered_by_the_signature() {
        // Claiming another key id of the same set must not let a badge through.
        let (old, new) = (key(1), key(2));
        let token = sign(
            &BadgeClaims {
                key_id: 2,
                ..claims()
            },
            &old,
        );
        assert_eq!(
            verify(&token, &key_set(7, &[(1, &old), (2, &new)])),
            Err(BadgeError::Forged)
        );
    }

    #[test]
    fn revocation_follows_the_serial() {
        let c = claims();
        assert!(!is_revoked(&c, 2));
        assert!(!is_revoked(&c, 1));
        assert!(is_revoked(&c, 3));
        assert!(is_revoked(&BadgeClaims { serial: 0, ..c }, 1));
        assert!(!is_revoked(
            &BadgeClaims {
                serial: u16::MAX,
                ..c
            },
            u16::MAX
        ));
    }

    #[test]
    fn rotation_accepts_every_current_key_and_refuses_a_retired_one() {
        let (old, new) = (key(1), key(2));
        let old_token = sign(
            &BadgeClaims {
                key_id: 1,
                ..claims()
            },
            &old,
        );
        let new_token = sign(
            &BadgeClaims {
                key_id: 2,
                ..claims()
            },
            &new,
        );
        let during = key_set(7, &[(1, &old), (2, &new)]);
        assert!(verify(&old_token, &during).is_ok());
        assert!(verify(&new_token, &during).is_ok());
        let after = key_set(7, &[(2, &new)]);
        assert_eq!(verify(&old_token, &after), Err(BadgeError::UnknownKey(1)));
        assert!(verify(&new_token, &after).is_ok());
    }

    #[test]
    fn wrong_length_is_malformed() {
        let k = key(1);
        let keys = key_set(7, &[(1, &k)]);
        let token = sign(&claims(), &k);
        for bad in [
            String::new(),
            token[..TOKEN_LEN - 1].to_owned(),
            format!("{token}A"),
            format!("{token}{token}"),
        ] {
            let err = verify(&bad, &keys).unwrap_err();
            assert!(
                matches!(&err, BadgeError::Malformed(m) if m.contains("characters")),
                "{err}"
            );
        }
    }

    #[test]
    fn garbage_is_malformed() {
        let keys = key_set(7, &[(1, &key(1))]);
        for bad in [
            "1".repeat(TOKEN_LEN),
            "=".repeat(TOKEN_LEN),
            "é".repeat(TOKEN_LEN / 2),
            format!("{}/", "A".repeat(TOKEN_LEN - 1)),
        ] {
            assert!(
                matches!(verify(&bad, &keys), Err(BadgeError::Malformed(_))),
                "{bad}"
            );
        }
        let mut bad_symbol = sign(&claims(), &key(1));
        bad_symbol.replace_range(9..10, "8");
        assert_eq!(
            read_unverified(&bad_symbol),
            Err(BadgeError::Malformed(
                "base32 invalid symbol at character 10".into()
            ))
        );
        assert!(matches!(
            read_unverified("https://example.com/b/"),
            Err(BadgeError::Malformed(_))
        ));
    }

    #[test]
    fn other_versions_are_malformed() {
        let k = key(1);
        let token = sign(&claims(), &k);
        let mut bytes = BASE32_NOPAD.decode(token.as_bytes()).unwrap();
        bytes[0] = 2;
        let future = BASE32_NOPAD.encode(&bytes);
        assert_eq!(
            verify(&future, &key_set(7, &[(1, &k)])),
            Err(BadgeError::Malformed("unsupported token version 2".into()))
        );
    }

    #[test]
    fn token_is_short_and_qr_alphanumeric() {
        let token = sign(&claims(), &key(1));
        assert_eq!(token.len(), TOKEN_LEN);
        const { assert!(TOKEN_LEN <= 130) };
        assert!(token.chars().all(|c| QR_ALPHANUMERIC.contains(c)));
    }

    #[test]
    fn layout_is_stable() {
        let token = sign(&claims(), &key(1));
        let bytes = BASE32_NOPAD.decode(token.as_bytes()).unwrap();
        assert_eq!(
            &bytes[..PAYLOAD_LEN],
            &[1, 0, 0, 0, 7, 0, 1, 0, 1, 0xE2, 0x40, 0, 2]
        );
        let mut message = b"badgetrail/badge/v1\0".to_vec();
        message.extend_from_slice(&bytes[..PAYLOAD_LEN]);
        let signature = Signature::from_slice(&bytes[PAYLOAD_LEN..]).unwrap();
        assert!(
            key(1)
                .verifying_key()
                .verify_strict(&message, &signature)
                .is_ok()
        );
    }
}
