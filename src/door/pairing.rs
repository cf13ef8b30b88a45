//! Kiosk pairing: a new device's one-time code, the token it is exchanged for, token
//! rotation, and what a presented token amounts to (only hashes are stored).

use anyhow::Context as _;
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use jiff::{Timestamp, ToSpan};

use crate::{
    accounts::login_token_hash,
    context::Context,
    store::{DeviceRecord, EventRecord},
};

/// How long a pairing code can be used.
const PAIRING_MINUTES: i64 = 15;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS has no randomness");
    b
}

/// A device waiting for its kiosk: show `pairing_code` (or its QR) on the kiosk screen.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: i64,
    pub pairing_code: String,
    pub expires_at: Timestamp,
}

/// Creates a kiosk for an event, optionally bound to a room, with a one-time pairing code.
pub async fn create_device(
    ctx: &Context,
    event: &EventRecord,
    room: Option<&str>,
    name: &str,
    now: Timestamp,
) -> anyhow::Result<NewDevice> {
    let room_id = match room {
        None => None,
        Some(r) => Some(
            ctx.store
                .door()
                .event_rooms(event.id)
                .await?
                .into_iter()
                .find(|(_, n)| n == r)
                .map(|(id, _)| id)
                .with_context(|| format!("no room '{r}' in this event"))?,
        ),
    };
    // 10 base32 characters: 50 bits, typed in a minute, guessed never within 15 minutes.
    let pairing_code = BASE32_NOPAD.encode(&random_bytes::<7>())[..10].to_owned();
    let expires_at = now + PAIRING_MINUTES.minutes();
    let device_id = ctx
        .store
        .door()
        .create_device(
            event.id,
            room_id,
            name.trim(),
            &login_token_hash(&pairing_code),
            expires_at,
            now,
        )
        .await?;
    Ok(NewDevice {
        device_id,
        pairing_code,
        expires_at,
    })
}

/// A paired device and the token only it holds from now on.
pub struct Paired {
    pub token: String,
    pub device: DeviceRecord,
}

/// Exchanges a pairing code for a device token. `None` when the code is wrong, used or old.
pub async fn pair(ctx: &Context, code: &str, now: Timestamp) -> anyhow::Result<Option<Paired>> {
    let code = code.trim().to_ascii_uppercase();
    let token = BASE64URL_NOPAD.encode(&random_bytes::<32>());
    let device = ctx
        .store
        .door()
        .pair_device(&login_token_hash(&code), &login_token_hash(&token), now)
        .await?;
    Ok(device.map(|device| Paired { token, device }))
}

/// Gives a paired device a new token; the old one is refused from now on.
pub async fn rotate_token(ctx: &Context, device_id: i64) -> anyhow::Result<Option<String>> {
    let token = BASE64URL_NOPAD.encode(&random_bytes::<32>());
    let done = ctx
        .store
        .door()
        .rotate_device_token(device_id, &login_token_hash(&token))
        .await?;
    Ok(done.then_some(token))
}

/// What a presented device token amounts to.
pub enum DeviceAuth {
    Unknown,
    Revoked,
    Active(DeviceRecord),
}

pub async fn authenticate(ctx: &Context, token: &str) -> anyhow::Result<DeviceAuth> {
    Ok(
        match ctx
            .store
            .door()
            .device_by_token(&login_token_hash(token))
            .await?
        {
            None => DeviceAuth::Unknown,
            Some(d) if d.revoked_at.is_some() => DeviceAuth::Revoked,
            Some(d) => DeviceAuth::Active(d),
        },
    )
}
