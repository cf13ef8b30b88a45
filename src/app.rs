//! Builds the server from a context, tells its port, and runs it until shutdown.

use std::{future::Future, net::SocketAddr};

use anyhow::Context as _;
use tokio::{net::TcpListener, sync::watch};

use crate::{context::Context, jobs, web};

/// A bound, not yet running server. Tests bind port 0 and ask for the port.
pub struct Application {
    listener: TcpListener,
    ctx: Context,
}

impl Application {
    /// Binds the configured address.
    pub async fn build(ctx: Context) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&ctx.settings.bind)
            .await
            .with_context(|| format!("binding {}", ctx.settings.bind))?;
        Ok(Application { listener, ctx })
    }

    /// Uses a listener the caller bound.
    pub fn with_listener(ctx: Context, listener: TcpListener) -> Application {
        Application { listener, ctx }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The address the server listens on, as bound (port 0 resolved).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Serves requests and runs the background jobs (badge mail, campaigns, feedback
    /// deadlines, retention, planner statistics when PostgreSQL's autovacuum is off) until
    /// `shutdown` completes, then lets in-flight requests finish (photo decodes are
    /// cancelled rather than waited for).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Before the jobs start, so that their first pass is counted too.
        crate::telemetry::install();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mailer = tokio::spawn(jobs::badge_mail::run_until_shutdown(
            self.ctx.clone(),
            stop_rx.clone(),
        ));
        let campaigns = tokio::spawn(jobs::edm_send::run_until_shutdown(
            self.ctx.clone(),
            stop_rx.clone(),
        ));
        let deadlines = tokio::spawn(jobs::feedback_deadlines::run_until_shutdown(
            self.ctx.clone(),
            stop_rx.clone(),
        ));
        let retention = tokio::spawn(jobs::retention::run_until_shutdown(
            self.ctx.clone(),
            stop_rx.clone(),
        ));
        let statistics = tokio::spawn(jobs::statistics::run_until_shutdown(
            self.ctx.clone(),
            stop_rx,
        ));
        let state = web::AppState::new(self.ctx.clone());
        let decodes = state.decode.clone();
        let router = web::router(state);
        tracing::info!(addr = %self.listener.local_addr()?, "serving");
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            // A photo decode in flight would hold its request open; end it now.
            decodes.stop_all();
        })
        .await
        .context("serving HTTP")?;
        let _ = mailer.await;
        let _ = campaigns.await;
        let _ = retention.await;
        let _ = deadlines.await;
        let _ = statistics.await;
        self.ctx.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
