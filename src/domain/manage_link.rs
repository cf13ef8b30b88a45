//! Signed, expiring "my registration" links: the only way to see or change one's own answers.
//!
//! A token is base64url(attendee id, 8 bytes || expiry in unix seconds, 8 bytes || first 16
//! bytes of HMAC-SHA256 over a purpose label, the id and the expiry). Only the address's
//! inbox receives one, so holding a valid token stands for owning the address. The label
//! differs from the follow-up email links', so no token of theirs opens a registration.

use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

const LABEL: &[u8] = b"badgetrail manage registration v1\0";
const MAC_BYTES: usize = 16;
const TOKEN_BYTES: usize = 8 + 8 + MAC_BYTES;

/// How long a link sent by email stays valid. Long enough to cover the weeks between a
/// registration and the event; anyone who needs a fresh one asks for it by address.
pub const LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(60 * 24);

/// Makes and checks registration links with one secret.
#[derive(Clone)]
pub struct ManageLinks {
    key: Vec<u8>,
}

impl std::fmt::Debug for ManageLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManageLinks(***)")
    }
}

/// Why a link does not open a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not one of ours")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

impl ManageLinks {
    /// `key` should be at least 32 random bytes.
    pub fn new(key: &[u8]) -> ManageLinks {
        ManageLinks { key: key.to_vec() }
    }

    fn mac(&self, attendee_id: i64, expires: i64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(LABEL);
        mac.update(&attendee_id.to_be_bytes());
        mac.update(&expires.to_be_bytes());
        mac
    }

    /// A link token for `attendee_id` valid until `now + LINK_LIFETIME`.
    pub fn issue(&self, attendee_id: i64, now: Timestamp) -> String {
        let expires = (now + LINK_LIFETIME).as_second();
        let tag = self.mac(attendee_id, expires).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(TOKEN_BYTES);
        bytes.extend_from_slice(&attendee_id.to_be_bytes());
        bytes.extend_from_slice(&expires.to_be_bytes());
        bytes.extend_from_slice(&tag[..MAC_BYTES]);
        BASE64URL_NOPAD.encode(&bytes)
    }

    /// The attendee a token was issued for, if it is ours and has not expired at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<i64, LinkError> {
        let bytes = BASE64URL_NOPAD
            .decode(token.as_bytes())
            .map_err(|_| LinkError::Invalid)?;
        if bytes.len() != TOKEN_BYTES {
            return Err(LinkError::Invalid);
        }
        let attendee_id = i64::from_be_bytes(bytes[..8].try_into().expect("eight bytes"));
        let expires = i64::from_be_bytes(bytes[8..16].try_into().expect("eight bytes"));
        // Constant-time comparison of the truncated tag, before the expiry is looked at, so
        // a forged token never learns whether its time would have passed.
        self.mac(attendee_id, expires)
            .verify_truncated_left(&bytes[16..])
            .map_err(|_| LinkError::Invalid)?;
        if now.as_second() >= expires {
            return Err(LinkError::Expired);
        }
        Ok(attendee_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> ManageLinks {
        ManageLinks::new(&[9u8; 32])
    }

    fn now() -> Timestamp {
        "2026-05-01T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_link_opens_the_registration_it_was_issued_for() {
        let token = links().issue(42, now());
        assert_eq!(links().verify(&token, now()), Ok(42));
        assert_eq!(
            links().verify(&token, now() + SignedDuration::from_hours(24 * 59)),
            Ok(42)
        );
    }

    #[test]
    fn a_link_stops_working_when_it_expires() {
        let token = links().issue(42, now());
        assert_eq!(
            links().verify(&token, now() + LINK_LIFETIME),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn changing_any_byte_or_the_key_breaks_the_link() {
        let token = links().issue(42, now());
        let mut bytes = BASE64URL_NOPAD.decode(token.as_bytes()).unwrap();
        for i in 0..bytes.len() {
            bytes[i] ^= 1;
            let forged = BASE64URL_NOPAD.encode(&bytes);
            assert_eq!(
                links().verify(&forged, now()),
                Err(LinkError::Invalid),
                "byte {i}"
            );
            bytes[i] ^= 1;
        }
        let other = ManageLinks::new(&[8u8; 32]);
        assert_eq!(other.verify(&token, now()), Err(LinkError::Invalid));
    }

    #[test]
    fn another_attendee_id_cannot_be_spliced_in() {
        let token = links().issue(42, now());
        let mut bytes = BASE64URL_NOPAD.decode(token.as_bytes()).unwrap();
        bytes[..8].copy_from_slice(&43i64.to_be_bytes());
        assert_eq!(
            links().verify(&BASE64URL_NOPAD.encode(&bytes), now()),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for t in ["", "x", "!!!!", &"A".repeat(10_000)] {
            assert_eq!(links().verify(t, now()), Err(LinkError::Invalid));
        }
    }
}
