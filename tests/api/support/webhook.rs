//! A webhook receiver on loopback that keeps the headers and body of every POST it gets.

use std::sync::{Arc, Mutex};

use axum::{Router, http::HeaderMap, routing::post};
use bytes::Bytes;

/// What the receiver got, in order.
#[derive(Clone, Default)]
pub struct Hook {
    pub bodies: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

/// Starts a receiver answering "ok" to POSTs at `path`; it and its URL.
pub async fn webhook(path: &str) -> (Hook, String) {
    let hook = Hook::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let router = Router::new().route(
        path,
        post({
            let hook = hook.clone();
            move |headers: HeaderMap, body: Bytes| async move {
                hook.bodies.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (hook, url)
}
