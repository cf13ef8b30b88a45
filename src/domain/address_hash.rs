//! The keyed hash of an email address that stands in for an erased person.
//!
//! After erasure the system must still recognise the address (so a re-import is not mailed
//! again, and a consent can be proven) without holding it. An unkeyed hash of an address
//! is no protection: addresses are guessable and a dictionary reverses it. HMAC-SHA256
//! under a server secret is only reversible by someone who holds that secret too.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Every stored hash starts with this, so a hash never passes for an address.
pub const PREFIX: &str = "hmac-sha256:";

/// Hashes addresses with one secret.
#[derive(Clone)]
pub struct AddressHasher {
    key: Vec<u8>,
}

impl std::fmt::Debug for AddressHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressHasher(***)")
    }
}

impl AddressHasher {
    /// `key` should be at least 32 random bytes.
    pub fn new(key: &[u8]) -> AddressHasher {
        AddressHasher { key: key.to_vec() }
    }

    /// `hmac-sha256:<hex>` of the address, trimmed and lower-cased as stored addresses are.
    pub fn hash(&self, email: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        // A label of its own, so this hash can never equal a link token's MAC.
        mac.update(b"badgetrail erased address v1\0");
        mac.update(email.trim().to_lowercase().as_bytes());
        format!(
            "{PREFIX}{}",
            data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_address_in_any_case_hashes_alike() {
        let h = AddressHasher::new(&[1u8; 32]);
        assert_eq!(h.hash("Ada@Example.com "), h.hash("ada@example.com"));
        assert!(h.hash("ada@example.com").starts_with(PREFIX));
    }

    #[test]
    fn another_secret_gives_another_hash() {
        let a = AddressHasher::new(&[1u8; 32]).hash("ada@example.com");
        let b = AddressHasher::new(&[2u8; 32]).hash("ada@example.com");
        assert_ne!(a, b);
    }

    #[test]
    fn the_hash_does_not_contain_the_address() {
        let h = AddressHasher::new(&[1u8; 32]).hash("ada@example.com");
        assert!(!h.contains("ada"));
        assert_eq!(h.len(), PREFIX.len() + 64);
    }
}
