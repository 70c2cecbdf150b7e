//! `num serve`: every function of the system on one machine, on embedded backends.
//!
//! The HTTP paths call the very handlers the Lambdas run; the table streams are read by pollers that play Lambda's
//! part and call the very stream handlers the Lambdas run; email and SMS go to the outbox file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use shared::adapters::key_cache::CachedKeys;
use shared::adapters::stream_poller::StreamPoller;
use shared::adapters::{LocalKeys, Outbox, SqliteTables};
use shared::error::ApiError;
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::http::console::{ConsoleDeps, SignIn};
use shared::http::{self as h, MAX_BODY};
use shared::ports::messaging::{EmailSender, SmsSender};
use shared::ports::{Clock, KeyService, SystemClock, Table};
use shared::ratelimit::{ClientAddr, Limiter};
use shared::usecases::alerts::AlertDeps;
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};
use shared::usecases::draft::SanitiseHandler;
use shared::usecases::duty::{ArrivalHandler, DEFAULT_DRAFT_REMINDER_MINUTES, DutyDeps};
use shared::usecases::submit_report::SubmitDeps;
use shared::usecases::subscriptions::{SubscriptionDeps, Vetting};

/// Everything the local server holds.
#[derive(Clone)]
pub struct Local {
    pub dir: PathBuf,
    pub tables: Arc<SqliteTables>,
    pub keys: Arc<LocalKeys>,
    /// The key service as the stream handlers see it: opened data keys cached for five minutes.
    pub cached_keys: Arc<CachedKeys<Arc<LocalKeys>>>,
    pub submit: SubmitDeps,
    pub subscriptions: SubscriptionDeps,
    pub admin: AdminDeps,
    /// The staff console (`/staff/`), signed in with local staff accounts.
    pub console: ConsoleDeps,
    pub limiter: Arc<Limiter>,
    pub pollers: Vec<Arc<StreamPoller>>,
    pub vetting: Vetting,
    /// Telling staff on duty: the arrival notices (a reports-stream poller) and the scheduled step (`run_duty`).
    pub duty: DutyDeps,
}

/// What can be swapped for tests: the clock, the senders and the site's address.
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub email: Option<Arc<dyn EmailSender>>,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub site_url: String,
    /// The first wait before a failed stream batch is retried.
    pub stream_backoff: Duration,
    /// Whether staff approve each member (on unless `--no-vetting`).
    pub vetting: Vetting,
    /// Minutes a draft waits before the reviewers on duty are reminded, once per threshold.
    pub draft_reminder_minutes: Vec<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            email: None,
            sms: None,
            site_url: "http://127.0.0.1:8080".into(),
            stream_backoff: Duration::from_millis(200),
            vetting: Vetting::On,
            draft_reminder_minutes: vec![DEFAULT_DRAFT_REMINDER_MINUTES],
        }
    }
}

impl Local {
    /// Opens (creating on first run) the data folder: the SQLite file and the master key.
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        Self::open_with(data_dir, Options::default())
    }

    pub fn open_with(data_dir: &Path, opts: Options) -> anyhow::Result<Self> {
        let keys = Arc::new(LocalKeys::open_or_create(data_dir)?);
        let tables = Arc::new(SqliteTables::open(data_dir).with_context(|| format!("cannot open the database in {}", data_dir.display()))?);
        let outbox = Arc::new(Outbox::new(data_dir));
        let cached_keys = Arc::new(CachedKeys::new(keys.clone(), Duration::from_secs(300)));
        let clock = opts.clock;
        let submit = SubmitDeps { tables: tables.clone(), keys: keys.clone(), clock: clock.clone() };
        let subscriptions = SubscriptionDeps { tables: tables.clone(), keys: keys.clone(), clock: clock.clone() };
        let limiter = Arc::new(Limiter::default());
        let admin = AdminDeps {
            tables: tables.clone(),
            keys: keys.clone(),
            clock: clock.clone(),
            auth: StaffAuth::Local(keys.clone()),
            limiter: limiter.clone(),
        };
        let email: Arc<dyn EmailSender> = opts.email.unwrap_or_else(|| outbox.clone());
        let sms: Arc<dyn SmsSender> = opts.sms.unwrap_or_else(|| outbox.clone());
        let duty = DutyDeps {
            tables: tables.clone(),
            keys: keys.clone(),
            clock: clock.clone(),
            email: email.clone(),
            sms: sms.clone(),
            site_url: opts.site_url.trim_end_matches('/').to_owned(),
            draft_reminder_minutes: opts.draft_reminder_minutes.clone(),
        };
        let deliver = DeliverDeps {
            tables: tables.clone(),
            keys: cached_keys.clone() as Arc<dyn KeyService>,
            email,
            sms,
            clock: clock.clone(),
            site_url: opts.site_url.trim_end_matches('/').to_owned(),
        };
        let drafting = AlertDeps { tables: tables.clone(), keys: keys.clone(), clock: clock.clone() };
        let poller = |table, consumer: &str, handler: Arc<dyn shared::ports::stream::StreamHandler>| {
            let mut p = StreamPoller::new(tables.clone(), table, consumer, handler);
            p.backoff = opts.stream_backoff;
            Arc::new(p)
        };
        let pollers = vec![
            poller(Table::Reports, "sanitise-report/reports", Arc::new(SanitiseHandler { deps: drafting })),
            poller(Table::Alerts, "deliver-alert/alerts", Arc::new(AlertStreamHandler::new(deliver.clone()))),
            poller(Table::Subscribers, "deliver-alert/subscribers", Arc::new(SubscriberStreamHandler::new(deliver))),
            poller(Table::Reports, "staff-notices/reports", Arc::new(ArrivalHandler { deps: duty.clone() })),
        ];
        let vetting = opts.vetting;
        let console = ConsoleDeps { admin: admin.clone(), sign_in: SignIn::Local, origin: None };
        Ok(Self {
            dir: data_dir.to_owned(),
            tables,
            keys,
            cached_keys,
            submit,
            subscriptions,
            admin,
            console,
            limiter,
            pollers,
            vetting,
            duty,
        })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(report_form))
            .route("/report", get(report_form))
            .route(h::pages::STYLESHEET_PATH, get(|| async { static_file("text/css; charset=utf-8", h::pages::STYLE) }))
            .route(h::pages::EXIT_SCRIPT_PATH, get(|| async { static_file("text/javascript; charset=utf-8", h::pages::EXIT_SCRIPT) }))
            .route("/prefs", get(public))
            .route("/join", get(public))
            .route("/verify", get(public))
            .route("/members", get(public))
            .route("/members/{*rest}", any(public))
            .route("/robots.txt", get(|| async { static_file("text/plain; charset=utf-8", h::pages::ROBOTS) }))
            .route("/reports", any(reports))
            .route("/subscriptions", any(public))
            .route("/subscriptions/verify", any(public))
            .route("/unsubscribe", any(public))
            .route("/follow-up", any(public))
            .route("/follow-up/{*rest}", any(public))
            .route("/stop/{token}", any(public))
            .route("/alerts/{id}", get(public))
            .route("/admin/{*rest}", any(admin))
            .route("/admin", any(admin))
            .route("/staff", get(|| async { to_axum(h::see_other("/staff/")) }))
            .route("/staff/", any(console))
            .route("/staff/{*rest}", any(console))
            .fallback(not_found)
            .with_state(self.clone())
    }

    /// Runs every stream until nothing is left to do: what the background pollers do, all at once (for tests).
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let mut round = 0;
            for p in &self.pollers {
                round += p.drain().await?;
            }
            total += round;
            if round == 0 {
                self.prune().await?;
                return Ok(total);
            }
        }
    }

    /// The scheduled step, as EventBridge Scheduler runs it in the cloud: reminders of drafts that waited too long.
    pub async fn run_duty(&self) -> anyhow::Result<shared::usecases::duty::Scheduled> {
        Ok(shared::usecases::duty::run_scheduled(&self.duty).await?)
    }

    /// The retention run, as the hourly schedule runs it in the cloud: what the policy says is due is deleted (and,
    /// here, what the tables' time to live would have removed).
    pub async fn run_retention(&self) -> anyhow::Result<shared::usecases::retention::RetentionRun> {
        Ok(shared::usecases::retention::run(&self.duty.core()).await?)
    }

    /// Deletes what every reader of each table's change log has finished with (the log holds copies of items,
    /// sealed contacts among them, so it is kept no longer than it is needed). Returns how many records went.
    pub async fn prune(&self) -> anyhow::Result<usize> {
        let mut pruned = 0;
        for table in Table::ALL {
            let consumers: Vec<String> = self.pollers.iter().filter(|p| p.table == table).map(|p| p.consumer.clone()).collect();
            pruned += self.tables.prune_changes(table, &consumers).await?;
        }
        Ok(pruned)
    }
}

/// The data folder: the flag, else `$NUM_DATA_DIR`, else `./.num-data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("NUM_DATA_DIR").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from(".num-data"))
}

/// Reads at most `MAX_BODY + 1` bytes: enough to tell an over-long body, never more.
async fn to_shared(req: Request) -> Result<h::Request, Response> {
    let (mut parts, body) = req.into_parts();
    // The peer address goes to the rate limiter only (hashed, in memory); nothing logs it.
    if let Some(axum::extract::ConnectInfo(addr)) = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().copied() {
        parts.extensions.insert(ClientAddr(addr.ip()));
    }
    let bytes: Bytes =
        axum::body::to_bytes(body, MAX_BODY + 1).await.map_err(|_| to_axum(h::error_json(&ApiError::too_large(MAX_BODY))))?;
    Ok(h::Request::from_parts(parts, bytes))
}

/// A file of the static site, as S3 behind CloudFront serves it in the cloud.
fn static_file(content_type: &'static str, body: &'static str) -> Response {
    use http::header::{CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
    ([(CONTENT_TYPE, content_type), (X_CONTENT_TYPE_OPTIONS, "nosniff")], body).into_response()
}

fn to_axum(res: h::Response) -> Response {
    let (parts, body) = res.into_parts();
    Response::from_parts(parts, axum::body::Body::from(body))
}

async fn report_form(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::submit::form_page(&local.submit, &req)),
        Err(res) => res.into_response(),
    }
}

/// A path nothing answers: a page for a browser (a mistyped address, an old link), JSON for anything else.
async fn not_found(req: Request) -> Response {
    let browser = req.method() == axum::http::Method::GET
        && req.headers().get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    match to_shared(req).await {
        Ok(req) if browser => to_axum(h::error_html(
            &h::page_ctx(&req),
            &ApiError::not_found("There is no page at this address. Check the address, or start again from the home page."),
        )),
        Ok(_) => to_axum(h::error_json(&ApiError::not_found("There is nothing at this address. See the API document for the paths."))),
        Err(res) => res.into_response(),
    }
}

async fn reports(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::submit::handle(&local.submit, req).await),
        Err(res) => res.into_response(),
    }
}

async fn public(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::public::handle(&local.subscriptions, &local.limiter, local.vetting, req).await),
        Err(res) => res.into_response(),
    }
}

async fn admin(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::admin::handle(&local.admin, req).await),
        Err(res) => res.into_response(),
    }
}

async fn console(State(local): State<Local>, req: Request) -> Response {
    match to_shared(req).await {
        Ok(req) => to_axum(shared::http::console::handle(&local.console, req).await),
        Err(res) => res.into_response(),
    }
}

/// Runs the server until Ctrl-C or SIGTERM; requests under way finish first, so no acknowledged write is lost. The
/// stream pollers stop between batches; what they had not reached waits in the change log for the next start.
pub async fn run(addr: &str, data_dir: &Path, vetting: Vetting) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}: is another server using it?"))?;
    let bound = listener.local_addr()?;
    // DRAFT_REMINDER_MINUTES, if set, as in the cloud; otherwise 30 minutes.
    let draft_reminder_minutes = match std::env::var("DRAFT_REMINDER_MINUTES") {
        Ok(_) => shared::usecases::duty::reminder_minutes_from(&shared::config::Env)?,
        Err(_) => vec![DEFAULT_DRAFT_REMINDER_MINUTES],
    };
    let local =
        Local::open_with(data_dir, Options { site_url: format!("http://{bound}"), vetting, draft_reminder_minutes, ..Options::default() })?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut workers: Vec<_> = local.pollers.iter().map(|p| tokio::spawn(p.clone().run(stop_rx.clone()))).collect();
    workers.push(tokio::spawn(prune_every(local.clone(), PRUNE_EVERY, stop_rx.clone())));
    workers.push(tokio::spawn(duty_every(local.clone(), DUTY_EVERY, stop_rx.clone())));
    tracing::info!("num serve is listening");
    eprintln!("num serve: listening on http://{bound} (data in {})", data_dir.display());
    axum::serve(listener, local.router().into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    tracing::info!("num serve stopped");
    Ok(())
}

/// How often `num serve` prunes the change log.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

async fn prune_every(local: Local, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        match local.prune().await {
            Ok(n) if n > 0 => tracing::debug!(records = n, "change log pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error.kind = %shared::error::Chain(e.as_ref()), "pruning the change log failed"),
        }
    }
}

/// How often `num serve` runs the scheduled step (the cloud's schedule runs it every minute too): reminders to
/// reviewers, and the reporters' notices whose hours have come.
pub const DUTY_EVERY: Duration = Duration::from_secs(60);

async fn duty_every(local: Local, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut last_retention: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = local.run_duty().await {
            tracing::warn!(error.kind = %shared::error::Chain(e.as_ref()), "the scheduled staff notices failed; the next run tries again");
        }
        if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
            last_retention = Some(std::time::Instant::now());
            if let Err(e) = local.run_retention().await {
                tracing::warn!(error.kind = %shared::error::Chain(e.as_ref()), "the retention run failed; the next run tries again");
            }
        }
    }
}

/// How often `num serve` applies the retention policy (the cloud's schedule runs it hourly too); the first run comes
/// with the first scheduled step after start.
pub const RETENTION_EVERY: Duration = Duration::from_secs(3600);

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
