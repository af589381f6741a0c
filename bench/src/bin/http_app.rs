//! The HTTP benchmark's server (driven by `bench/http/run.sh` with wrk).
//!
//! One app, the same routes and bodies, in ten variants chosen by the first argument
//! (`session_bench::web` defines them):
//!
//! - axum 0.8: `none`, `floor`, `hybrid`, `ours`, `tower-sessions`;
//! - actix-web 4: `actix-none`, `actix-floor`, `actix-hybrid`, `actix-ours`,
//!   `actix-session`.
//!
//! (`hybrid`: the floor layer's plumbing with our codec; see `session_bench::web`.)
//!
//! Binds 127.0.0.1 on an ephemeral port and prints `listening on <port>` on stdout.
//! Both frameworks serve from one thread, so that the server uses one core and the
//! load generator the other (see BENCHMARKS.md): axum on a current-thread tokio runtime,
//! actix-web with one worker (actix-server's worker is itself a current-thread runtime;
//! its acceptor thread only runs when a connection is opened, and the system thread
//! idles).

use std::net::{Ipv4Addr, SocketAddr};

use session_bench::web::{actix_apps, axum_apps, APPS};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if let Some(app) = axum_apps::router(&mode) {
        return serve_axum(app);
    }
    match mode.as_str() {
        "actix-none" => serve_actix!(actix_apps::none),
        "actix-floor" => serve_actix!(actix_apps::floor),
        "actix-hybrid" => serve_actix!(actix_apps::hybrid),
        "actix-ours" => serve_actix!(actix_apps::ours),
        "actix-session" => serve_actix!(actix_apps::actix_session),
        other => Err(format!("usage: http_app {} (got {other:?})", APPS.join("|")).into()),
    }
}

fn serve_axum(app: axum::Router) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        println!("listening on {}", listener.local_addr()?.port());
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

/// Serves the actix-web app built by `$make` (a `fn() -> App<_>`, called once per
/// worker) with one worker. A macro rather than a function: `HttpServer::new`'s bounds on
/// the app factory are long and say nothing a reader needs here.
macro_rules! serve_actix {
    ($make:path) => {{
        actix_web::rt::System::new().block_on(async {
            let server = actix_web::HttpServer::new($make)
                .workers(1)
                .bind((Ipv4Addr::LOCALHOST, 0))?;
            let port = server.addrs()[0].port();
            println!("listening on {port}");
            // actix-server stops gracefully on SIGTERM/SIGINT (run.sh's kill).
            server.run().await?;
            Ok(())
        })
    }};
}
use serve_actix;
