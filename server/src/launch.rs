//! One owner of the server's state: [`Binnacle::start`] turns settings into
//! hosts, the metrics engine, authentication and the router, and starts the
//! background work (host monitors, event watchers, the idle sweeper), which
//! stops when the `Binnacle` is dropped or shut down.

use std::sync::Arc;

use app::{App, shell};
use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, Request, header};
use axum::routing::{get, post};
use engine::hosts::HostOptions;
use engine::port::ContainerEngine;
use engine::{BollardEngine, ContainerStatsManager, Hosts};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::{self, Auth, AuthMode};
use crate::health::healthz;
use crate::http::{base_path, errors, guard};
use crate::prometheus::{self, Prometheus};
use crate::settings::Settings;

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub hosts: Arc<Hosts>,
    pub metrics: Arc<ContainerStatsManager>,
    /// `BINNACLE_READ_ONLY`.
    pub read_only: bool,
    pub auth: Arc<Auth>,
    /// Host names that reach this Binnacle (checked in `none` auth mode).
    pub allowed_hosts: Arc<guard::AllowedHosts>,
    /// `GET /metrics`, when `BINNACLE_PROMETHEUS=on`.
    pub prometheus: Option<Arc<Prometheus>>,
    /// The Logs tab's tail and the browser's line limit.
    pub logs: crate::logs::LogsConfig,
}

/// A started Binnacle: its state and its background work.
pub struct Binnacle {
    pub state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    /// Writes the long history to the data directory, when there is one.
    saver: Option<Arc<HistorySaver>>,
}

/// Every 5 minutes and once at shutdown, the long history goes to its file.
pub struct HistorySaver {
    dir: std::path::PathBuf,
    history: Arc<engine::history::History>,
    final_done: std::sync::atomic::AtomicBool,
    /// One write at a time (the periodic one and the one at shutdown share the temporary file).
    writing: std::sync::Mutex<()>,
}

/// How often the history file is written.
pub const HISTORY_SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

impl HistorySaver {
    /// Loads the file (a bad one is moved aside, in one log line).
    fn start(dir: std::path::PathBuf, history: Arc<engine::history::History>) -> Result<Arc<Self>, String> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("error: BINNACLE_DATA_DIR={}: cannot create it: {e}", dir.display()))?;
        let now = engine::history::now_ms();
        match history.load(&dir, now) {
            engine::history::persist::Loaded::Nothing => {
                tracing::info!(dir = %dir.display(), "history: no file yet, starting empty")
            }
            engine::history::persist::Loaded::Containers(n) => {
                tracing::info!(dir = %dir.display(), containers = n, "history: loaded")
            }
            engine::history::persist::Loaded::MovedAside { error, moved_to } => tracing::warn!(
                file = %dir.join(engine::history::persist::FILE_NAME).display(),
                moved_to = %moved_to.map(|p| p.display().to_string()).unwrap_or_else(|| "nowhere (rename failed)".into()),
                "history: the file is {error}; moved aside, starting empty"
            ),
        }
        Ok(Arc::new(HistorySaver { dir, history, final_done: Default::default(), writing: Default::default() }))
    }

    /// Writes the file now (blocking: call from a blocking thread or at exit).
    pub fn save(&self) {
        let _one = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let t0 = std::time::Instant::now();
        match self.history.save(&self.dir, engine::history::now_ms()) {
            Ok(bytes) => tracing::debug!(bytes, ms = t0.elapsed().as_millis() as u64, "history: saved"),
            Err(e) => tracing::warn!(dir = %self.dir.display(), error = %e, "history: cannot write the file"),
        }
    }

    /// The write at shutdown, once.
    pub fn save_final(&self) {
        if !self.final_done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.save();
            tracing::info!(containers = self.history.len(), "history: saved at shutdown");
        }
    }

    fn spawn(self: &Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let saver = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(HISTORY_SAVE_EVERY) => {}
                    _ = stop.changed() => return,
                }
                let s = saver.clone();
                let _ = tokio::task::spawn_blocking(move || s.save()).await;
            }
        });
    }
}

impl Binnacle {
    /// Builds and starts everything the settings describe. Call inside a
    /// tokio runtime. On a bad setting, returns one line that names it.
    pub fn start(settings: &Settings, leptos_options: LeptosOptions) -> Result<Binnacle, String> {
        let mut hosts = Hosts::builder();
        for host in settings.host_configs()? {
            let options = HostOptions {
                transport: host.endpoint.transport().to_string(),
                read_only: host.read_only.unwrap_or(settings.read_only),
            };
            tracing::info!(host = %host.name, transport = %options.transport, read_only = options.read_only, "host configured");
            let unix = matches!(host.endpoint, engine::endpoint::Endpoint::Unix { .. });
            let api: Arc<dyn ContainerEngine> = Arc::new(BollardEngine::new(host.name.clone(), host.endpoint));
            let engine = if unix { settings.cgroup_source(api.clone()).unwrap_or(api) } else { api };
            let source = engine.stats_source().unwrap_or_else(|| "Engine API".into());
            tracing::info!(host = %host.name, %source, "stats source");
            hosts = hosts.add(host.name, engine, options);
        }
        Self::start_with_hosts(settings, leptos_options, hosts.build())
    }

    /// The same with the hosts given (tests wrap the real engine, e.g. to
    /// count the calls that reach Docker).
    pub fn start_with_hosts(
        settings: &Settings,
        leptos_options: LeptosOptions,
        hosts: Arc<Hosts>,
    ) -> Result<Binnacle, String> {
        // Before any route list is made: pages, assets and server functions live under it.
        app::base::set_base_path(settings.base_path.clone());
        let auth = Auth::from_config(settings.auth_config())?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        hosts.spawn_supervisors(settings.engine_check_interval, stop_rx.clone());
        let metrics = ContainerStatsManager::new(hosts.clone(), settings.metrics_config());
        let prometheus = Prometheus::from_settings(settings, metrics.clone())?.map(Arc::new);
        let saver = match &settings.data_dir {
            Some(dir) => Some(HistorySaver::start(dir.clone(), metrics.history().clone())?),
            None => None,
        };
        if let Some(s) = &saver {
            s.spawn(stop_rx.clone());
        }
        if settings.history_sampled_always() {
            tracing::info!("long history: every running container is sampled at the fleet interval all the time");
        }
        metrics.spawn_background(stop_rx);
        if let Some(p) = &prometheus {
            let at = p.listen.map_or_else(|| "the main listener".to_string(), |a| a.to_string());
            tracing::info!(%at, "Prometheus endpoint on: the list's numbers are sampled all the time");
        }
        if settings.read_only {
            tracing::info!("read-only mode: container actions are refused");
        }
        let state = AppState {
            leptos_options,
            hosts,
            metrics,
            read_only: settings.read_only,
            auth,
            allowed_hosts: Arc::new(guard::AllowedHosts { extra: settings.allowed_hosts.0.clone() }),
            prometheus,
            logs: crate::logs::LogsConfig { tail: settings.logs_tail, max_lines: settings.logs_max_lines },
        };
        Ok(Binnacle { state, stop, saver })
    }

    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` resolves, then stops the background work.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.router();
        // `/metrics` on its own port, when asked: stops with the main one.
        let mut stopped = self.stop.subscribe();
        let scrape_server = match self.state.prometheus.clone().and_then(|p| p.listen.map(|a| (p, a))) {
            Some((p, address)) => {
                let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cannot listen on BINNACLE_PROMETHEUS_LISTEN={address}: {e}"))
                })?;
                tracing::info!(%address, "Prometheus endpoint listening on http://{address}/metrics");
                let app = prometheus_router(p, self.state.allowed_hosts.clone());
                Some(tokio::spawn(async move {
                    let until_stopped = async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    };
                    axum::serve(listener, app).with_graceful_shutdown(until_stopped).await
                }))
            }
            None => None,
        };
        // The history is written as soon as the signal comes, before the
        // open connections drain (a container stop gives 10 s).
        let saver = self.saver.clone();
        let shutdown = async move {
            shutdown.await;
            if let Some(s) = saver {
                let _ = tokio::task::spawn_blocking(move || s.save_final()).await;
            }
        };
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(task) = scrape_server {
            let _ = self.stop.send(true);
            let _ = task.await;
        }
        self.shutdown();
        served
    }

    /// Stops the monitors, watchers and collectors.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
        self.state.metrics.stop_all();
        if let Some(s) = &self.saver {
            s.save_final();
        }
    }
}

impl Drop for Binnacle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The whole HTTP surface: pages, server functions under `/api`, static
/// assets, login and `/healthz`, inside the layers every answer passes.
pub fn router(state: AppState) -> Router {
    let base = app::base::base_path();
    // Generated once per process: generating renders the app with a
    // process-wide "suppress resource loading" flag set, and a page
    // rendered at that moment by another router (tests build several) would
    // wait forever for its data (leptos-rs/leptos#4773).
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let hosts = state.hosts.clone();
    let metrics = state.metrics.clone();
    let options = state.leptos_options.clone();
    let auth = state.auth.clone();
    let none_mode = auth.mode() == AuthMode::None;
    let allowed_hosts = state.allowed_hosts.clone();
    let mut app = Router::new()
        .route(&format!("{base}/healthz"), get(healthz))
        // `/api/...` is routed without the base (`strip_base_path` takes it off).
        .route("/api/export", get(crate::export::export))
        .route("/api/logs", get(crate::logs::follow))
        .route("/api/logs/download", get(crate::logs::download))
        .route(&format!("{base}/login"), get(auth::login_form).post(auth::login))
        .route(&format!("{base}/logout"), post(auth::logout))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(hosts.clone());
                provide_context(metrics.clone());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Innermost: server functions' errors get the status of their kind.
        .layer(axum::middleware::from_fn(errors::api_error_statuses))
        .layer(axum::middleware::from_fn(guard::server_fn_guard))
        // Bodies are read (and bounded) only for those who may send them.
        .layer(axum::middleware::from_fn(guard::limit_body))
        .layer(axum::middleware::from_fn_with_state(auth, auth::require_auth));
    // Outside the session check: Prometheus shows its bearer token instead.
    if let Some(p) = state.prometheus.clone().filter(|p| p.listen.is_none()) {
        app = app.route(&format!("{base}/metrics"), get(prometheus::scrape).with_state(p));
    }
    if none_mode {
        app = app.layer(axum::middleware::from_fn_with_state(allowed_hosts, guard::loopback_host_only));
    }
    let app = app
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Pages set their own policy, with the nonce of their scripts.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
            ),
        ))
        // Metrics pages, the wasm and the CSS shrink 3-5x on the wire.
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(axum::middleware::from_fn(count_request))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<axum::body::Body>| {
                    // The path only: a query can hold a login's `next`.
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG).latency_unit(tower_http::LatencyUnit::Millis)),
        )
        .with_state(state);
    if base.is_empty() {
        return app;
    }
    Router::new().fallback_service(app).layer(axum::middleware::from_fn(base_path::strip_base_path))
}

/// `/metrics` alone, for `BINNACLE_PROMETHEUS_LISTEN`. Without a token
/// (`none` auth on loopback) only loopback host names may ask, as on the
/// main listener, so no web page can read it by DNS rebinding.
fn prometheus_router(p: Arc<Prometheus>, allowed_hosts: Arc<guard::AllowedHosts>) -> Router {
    let open = !p.has_token();
    let mut app = Router::new().route("/metrics", get(prometheus::scrape).with_state(p));
    if open {
        app = app.layer(axum::middleware::from_fn_with_state(allowed_hosts, guard::loopback_host_only));
    }
    app.layer(CompressionLayer::new().gzip(true)).layer(axum::middleware::from_fn(count_request))
}

/// Counts answered requests for `binnacle_http_requests_total`.
async fn count_request(req: Request<axum::body::Body>, next: axum::middleware::Next) -> axum::response::Response {
    let res = next.run(req).await;
    prometheus::HTTP_REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    res
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
