//! The Sluice server: one axum router for the web app, the CodePipeline API and health checks.

/// Declares the operations of one AWS service the endpoint answers, from one list: the enum, its
/// wire names, `parse` and the IAM action (`<namespace>:<Operation>`), so the dispatcher and the
/// resource lookup (both exhaustive matches) cannot miss one.
macro_rules! service_operations {
    ($namespace:literal; $($name:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation { $($name),* }

        impl Operation {
            /// Every operation the dispatcher answers.
            pub const ALL: &'static [Operation] = &[$(Operation::$name),*];

            /// The wire name (the part of `X-Amz-Target` after the service prefix).
            pub fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name)),* }
            }

            pub fn parse(name: &str) -> Option<Operation> {
                Operation::ALL.iter().copied().find(|op| op.name() == name)
            }

            pub fn iam_action(self) -> String {
                format!("{}:{}", $namespace, self.name())
            }
        }
    };
}

pub mod api;
mod app_errors;
mod assets;
pub mod auth;
pub mod config;
pub mod courier;
pub mod deliveries;
pub mod events;
pub mod headers;
pub mod logs;
pub mod metrics;
pub mod objects;
pub mod request_id;
pub mod s3;

use anyhow::Context;
use axum::{extract::FromRef, extract::State, http::StatusCode, routing::get, Json, Router};
use config::Config;
use engine::{Account, Engine, EngineConfig, Store};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// Failed sign-ins per user name and address, which slow further attempts down.
    pub sign_ins: Arc<auth::throttle::SignInThrottle>,
    /// What this process counts for `/metrics`.
    pub metrics: Arc<metrics::Counters>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The server keeps its own secrets: files it creates are its own (umask 077), no other process
/// of the same user may read its memory or a core dump of it, and the passwords and database URL
/// that came in the environment are gone from it once clap has read them.
pub fn harden_process() {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    if let Err(err) = nix::sys::prctl::set_dumpable(false) {
        eprintln!("WARNING: could not make the process non-dumpable: {err}");
    }
    for name in ["SLUICE_ADMIN_PASSWORD", "SLUICE_USER_PASSWORD", "SLUICE_DATABASE_URL"] {
        std::env::remove_var(name);
    }
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Opens the store, binds the address and serves until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    create_private_dir(&config.data_dir)?;
    let store = Store::connect(&config.database_url())
        .await
        .context("could not open the database")?
        .with_sealer(engine::secrets::Sealer::new(&config.data_dir));
    let listener =
        TcpListener::bind(config.addr).await.with_context(|| format!("could not listen on {}", config.addr))?;
    let addr = listener.local_addr()?;
    println!("Sluice is listening on http://{addr}");
    if config.public_url.is_none() && addr.ip().is_unspecified() {
        tracing::warn!(
            "browsers can only make changes from {:?}: set --public-url to the address they use",
            config.allowed_origins()
        );
    }
    println!("Data: {} (database: {:?})", config.data_dir.display(), store.backend());
    let identity = engine::identity::Identity::new(store.clone());
    if let Some(password) = identity.ensure_admin(config.admin_password.as_ref().map(|p| p.expose().to_owned())).await?
    {
        println!("Created the first user, admin, with the password (shown once): {password}");
    }
    let engine = start_engine(store, &config).await?;
    report_sandbox(&engine).await;
    let app = app(engine, config);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// The data dir holds the keys and the database: only the server's user may enter it.
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("could not create the data dir {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("could not make the data dir {} private", dir.display()))
}

/// The engine with its background work running (lease renewal, the sweep, crash recovery).
pub async fn start_engine(store: Store, config: &Config) -> anyhow::Result<Engine> {
    let account = Account { id: config.account_id.clone(), region: config.region.clone() };
    let mut engine_config =
        EngineConfig { sandbox: config.sandbox.engine_config(), ..EngineConfig::new(&config.data_dir) };
    engine_config.notify.public_url = config.public_url();
    engine_config.notify.aws_forwarding = config.notify.aws.configured();
    let engine = Engine::new(store, account, engine_config);
    engine.start_background().await.context("could not resume the executions in progress")?;
    let courier = std::sync::Arc::new(courier::HttpCourier::new(&config.notify)?);
    engine.start_notifications(courier).await.context("could not start the notifications")?;
    Ok(engine)
}

/// Says how pipeline code will run, loudly when it is not contained.
async fn report_sandbox(engine: &Engine) {
    use engine::sandbox::SandboxStatus;
    match engine.sandbox().status().await {
        SandboxStatus::Isolated { landlock } => println!("Pipeline code runs in a bubblewrap sandbox ({landlock})"),
        SandboxStatus::Off => eprintln!("WARNING: --sandbox off: pipeline code runs unconfined, as this server's user"),
        SandboxStatus::Unavailable(why) => {
            eprintln!("WARNING: no sandbox can be made on this server ({why}); actions that run code will fail")
        }
    }
}

/// The whole router, exactly as production serves it (tests call this too).
pub fn app(engine: Engine, config: Config) -> Router {
    let version = assets::version(&config.site_dir);
    let bundle = assets::router(&config.site_dir, &version);
    let leptos_options = LeptosOptions::builder()
        .output_name("sluice")
        .site_root(config.site_dir.display().to_string())
        .site_pkg_dir(assets::pkg_dir(&version))
        .site_addr(config.addr)
        .env(leptos::config::Env::PROD)
        .build();
    let state = AppState {
        engine,
        config: Arc::new(config),
        leptos_options,
        sign_ins: Default::default(),
        metrics: Default::default(),
    };
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    // What every page and server function sees, the not-found page included.
    let context = move || {
        provide_context(context_state.engine.clone());
        auth::session::provide_user_context();
        headers::set_page_policy();
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::page))
        .merge(api::router())
        .merge(auth::session::router())
        .merge(objects::router())
        .merge(logs::router())
        .merge(events::router())
        .merge(bundle)
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, app::shell))
        .layer(axum::middleware::from_fn(app_errors::status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::session::guard))
        // Requests signed for S3 are the S3 API's, whatever their path; the guard never sees them.
        .layer(axum::middleware::from_fn_with_state(state.clone(), s3::dispatch))
        .layer(axum::middleware::from_fn(headers::add))
        // Each request as a span with its method, path, status and latency (RUST_LOG=tower_http=debug).
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(request_id::assign))
        // Outermost, so refusals and redirects count too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        .with_state(state)
}

/// `sluice kms ...`: the key store works on files alone, so no server needs to run.
pub fn kms(command: config::KmsCommand) -> anyhow::Result<()> {
    match command {
        config::KmsCommand::CreateKey { id, data_dir } => {
            engine::objects::KeyStore::new(&data_dir).create_key(&id)?;
            println!("Created key {id:?} in {}", data_dir.join("keys").display());
        }
        config::KmsCommand::ListKeys { data_dir } => {
            for id in engine::objects::KeyStore::new(&data_dir).list_keys()? {
                println!("{id}");
            }
        }
    }
    Ok(())
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match state.engine.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "database unavailable" })))
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
