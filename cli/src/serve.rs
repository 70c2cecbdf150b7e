//! `num serve`: every function of the system on one machine, on embedded backends.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use http::StatusCode;
use shared::adapters::{LocalKeys, SqliteTables};
use shared::error::ApiError;
use shared::http::{self as h, MAX_BODY};
use shared::ports::SystemClock;
use shared::usecases::submit_report::SubmitDeps;

/// Everything the local server holds.
#[derive(Clone)]
pub struct Local {
    pub tables: Arc<SqliteTables>,
    pub keys: Arc<LocalKeys>,
    pub submit: SubmitDeps,
}

impl Local {
    /// Opens (creating on first run) the data folder: the SQLite file and the master key.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let keys = Arc::new(LocalKeys::open_or_create(data_dir)?);
        let tables = Arc::new(SqliteTables::open(data_dir).with_context(|| format!("cannot open the database in {}", data_dir.display()))?);
        let submit = SubmitDeps { tables: tables.clone(), keys: keys.clone(), clock: Arc::new(SystemClock) };
        Ok(Self { tables, keys, submit })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(|| async { to_axum(h::html(StatusCode::OK, h::pages::report_form())) }))
            .route("/reports", any(reports))
            .fallback(|| async {
                to_axum(h::error_json(&ApiError::not_found("There is nothing at this address. See the API document for the paths.")))
            })
            .with_state(self.clone())
    }
}

/// The data folder: the flag, else `$NUM_DATA_DIR`, else `./.num-data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("NUM_DATA_DIR").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from(".num-data"))
}

/// Reads at most `MAX_BODY + 1` bytes: enough to tell an over-long body, never more.
async fn to_shared(req: Request) -> Result<h::Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes: Bytes =
        axum::body::to_bytes(body, MAX_BODY + 1).await.map_err(|_| to_axum(h::error_json(&ApiError::too_large(MAX_BODY))))?;
    Ok(h::Request::from_parts(parts, bytes))
}

fn to_axum(res: h::Response) -> Response {
    let (parts, body) = res.into_parts();
    Response::from_parts(parts, axum::body::Body::from(body))
}

async fn reports(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::submit::handle(&local.submit, req).await),
        Err(res) => res.into_response(),
    }
}

/// Runs the server until Ctrl-C or SIGTERM; requests under way finish first, so no acknowledged write is lost.
pub async fn run(addr: &str, data_dir: &Path) -> anyhow::Result<()> {
    let local = Local::open(data_dir)?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}: is another server using it?"))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "num serve is listening");
    eprintln!("num serve: listening on http://{bound} (data in {})", data_dir.display());
    axum::serve(listener, local.router()).with_graceful_shutdown(shutdown()).await?;
    tracing::info!("num serve stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
