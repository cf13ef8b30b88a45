//! Signed per-recipient links in follow-up emails: unsubscribe, open pixel, click redirect.
//!
//! A token is base64url(send id, 8 bytes big-endian || first 16 bytes of HMAC-SHA256).
//! The MAC covers a purpose label and, for clicks, the target URL, so a token for one
//! purpose or link is worthless for another and a redirect can only go where we sent it.

use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const MAC_BYTES: usize = 16;
/// Send id 0 marks links in test sends and previews: they verify but touch no recipient.
pub const TEST_SEND: i64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Unsubscribe,
    Open,
    Click,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Unsubscribe => b"badgetrail unsubscribe v1\0",
            Purpose::Open => b"badgetrail open v1\0",
            Purpose::Click => b"badgetrail click v1\0",
        }
    }
}

/// Makes and checks link tokens with one secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

impl LinkSigner {
    /// `key` should be at least 32 random bytes.
    pub fn new(key: &[u8]) -> LinkSigner {
        LinkSigner { key: key.to_vec() }
    }

    fn mac(&self, purpose: Purpose, send_id: i64, extra: &[u8]) -> [u8; MAC_BYTES] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(purpose.label());
        mac.update(&send_id.to_be_bytes());
        mac.update(extra);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }

    fn token(&self, purpose: Purpose, send_id: i64, extra: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(8 + MAC_BYTES);
        bytes.extend_from_slice(&send_id.to_be_bytes());
        bytes.extend_from_slice(&self.mac(purpose, send_id, extra));
        BASE64URL_NOPAD.encode(&bytes)
    }

    fn verify(&self, purpose: Purpose, token: &str, extra: &[u8]) -> Option<i64> {
        let bytes = BASE64URL_NOPAD.decode(token.as_bytes()).ok()?;
        if bytes.len() != 8 + MAC_BYTES {
            return None;
        }
        let send_id = i64::from_be_bytes(bytes[..8].try_into().ok()?);
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(purpose.label());
        mac.update(&send_id.to_be_bytes());
        mac.update(extra);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(&bytes[8..]).ok()?;
        Some(send_id)
    }

    pub fn unsubscribe_token(&self, send_id: i64) -> String {
        self.token(Purpose::Unsubscribe, send_id, b"")
    }

    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        self.verify(Purpose::Unsubscribe, token, b"")
    }

    pub fn open_token(&self, send_id: i64) -> String {
        self.token(Purpose::Open, send_id, b"")
    }

    pub fn verify_open(&self, token: &str) -> Option<i64> {
        self.verify(Purpose::Open, token, b"")
    }

    pub fn click_token(&self, send_id: i64, url: &str) -> String {
        self.token(Purpose::Click, send_id, url.as_bytes())
    }

    /// The send a click link belongs to, if the token was made for exactly this URL.
    pub fn verify_click(&self, token: &str, url: &str) -> Option<i64> {
        self.verify(Purpose::Click, token, url.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner::new(&[7u8; 32])
    }

    #[test]
    fn tokens_verify_for_their_own_purpose_only() {
        let s = signer();
        let t = s.unsubscribe_token(42);
        assert_eq!(s.verify_unsubscribe(&t), Some(42));
        assert_eq!(s.verify_open(&t), None);
        let o = s.open_token(42);
        assert_eq!(s.verify_open(&o), Some(42));
        assert_eq!(s.verify_unsubscribe(&o), None);
        assert_eq!(t.len(), 32);
    }

    #[test]
    fn a_click_token_is_bound_to_its_url() {
        let s = signer();
        let t = s.click_token(9, "https://example.com/a");
        assert_eq!(s.verify_click(&t, "https://example.com/a"), Some(9));
        assert_eq!(s.verify_click(&t, "https://evil.example/a"), None);
        assert_eq!(s.verify_click(&t, "https://example.com/a?x"), None);
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let s = signer();
        let t = s.unsubscribe_token(42);
        // Another send id with the same tag.
        let mut bytes = BASE64URL_NOPAD.decode(t.as_bytes()).unwrap();
        bytes[7] ^= 1;
        assert_eq!(s.verify_unsubscribe(&BASE64URL_NOPAD.encode(&bytes)), None);
        assert_eq!(s.verify_unsubscribe("not base64!"), None);
        assert_eq!(s.verify_unsubscribe(""), None);
        assert_eq!(s.verify_unsubscribe(&t[..20]), None);
        let other = LinkSigner::new(&[8u8; 32]);
        assert_eq!(other.verify_unsubscribe(&t), None);
    }
}
