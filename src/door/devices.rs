//! Active devices by token hash, remembered so that a scan request needs no database read to
//! find its device. Only a hint: the scan transaction itself checks that the device still
//! holds the token and is not revoked.

use std::{collections::HashMap, sync::RwLock};

use crate::store::DeviceRecord;

/// More devices than any venue has; past this the memory starts afresh.
const MAX_DEVICES: usize = 10_000;

#[derive(Default)]
pub struct DeviceTokens {
    by_hash: RwLock<HashMap<String, DeviceRecord>>,
}

impl DeviceTokens {
    pub fn get(&self, token_hash: &str) -> Option<DeviceRecord> {
        self.by_hash
            .read()
            .expect("device tokens")
            .get(token_hash)
            .cloned()
    }

    pub fn remember(&self, token_hash: String, device: DeviceRecord) {
        let mut m = self.by_hash.write().expect("device tokens");
        if m.len() >= MAX_DEVICES {
            m.clear();
        }
        m.insert(token_hash, device);
    }

    pub fn forget(&self, token_hash: &str) {
        self.by_hash
            .write()
            .expect("device tokens")
            .remove(token_hash);
    }
}
