//! The door state is read once however many requests need it at the same moment.

use futures_util::future::join_all;
use jiff::Timestamp;

use super::DoorStates;
use crate::{demo, store::Store};

async fn event() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url, 4).await.unwrap();
    store
        .events()
        .import_programme(&demo::programme::cloud_summit(), Timestamp::now())
        .await
        .unwrap();
    let event = store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await
        .unwrap()
        .unwrap();
    (dir, store, event.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_first_requests_read_the_event_once() {
    let (_dir, store, event_id) = event().await;
    let states = DoorStates::new(store);
    let got = join_all((0..100).map(|_| states.get(event_id))).await;
    assert!(got.iter().all(|s| s.is_ok()));
    assert_eq!(states.loads(), 1, "each request read the event itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_find_their_copy_stale_read_it_once_more() {
    let (_dir, store, event_id) = event().await;
    let states = DoorStates::new(store.clone());
    let before = states.get(event_id).await.unwrap().version;
    // The programme imported again: its sessions are written anew, which doors must see.
    store
        .events()
        .import_programme(&demo::programme::cloud_summit(), Timestamp::now())
        .await
        .unwrap();
    let now = store.door().door_version(event_id).await.unwrap();
    assert!(now > before, "the import did not change the door version");
    let got = join_all((0..20).map(|_| states.reload(event_id, before))).await;
    for s in got {
        assert_eq!(s.unwrap().version, now);
    }
    assert_eq!(states.loads(), 2);
}
