//! `renkei`: the one binary. `renkei up` runs every service in one process on
//! the embedded default (SQLite files and the local bus); `renkei serve
//! <service>` runs one service per process on PostgreSQL and Kafka.

mod bench;
mod bench_pool;
mod demo;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use renkei_collab as collab;
use renkei_gateway::{Mounted, SERVICES};
use renkei_insights as insights;
use renkei_kernel::{
    Settings,
    http::Metrics,
    service::Context,
    settings::{Backend, BusMode},
    storage::Migrations,
};
use renkei_orders as orders;
use renkei_procurement as procurement;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Renkei (連携): business collaboration for SMEs"
)]
struct Cli {
    /// Settings file (TOML); `RENKEI__SECTION__KEY` environment variables override it.
    #[arg(long, global = true, env = "RENKEI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service in one process on the embedded default (SQLite + local bus).
    Up {
        /// Folder for the SQLite files.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long)]
        listen: Option<String>,
        /// Load the demo region.
        #[arg(long)]
        demo: bool,
    },
    /// Run one service in its own process on PostgreSQL and Kafka.
    Serve {
        /// One of: collab, orders, procurement, insights, gateway.
        service: String,
    },
    /// Run the database migrations of one service, or of all.
    Migrate {
        /// Service name; all services when omitted.
        service: Option<String>,
    },
    /// Inspect the settings.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document of the whole platform.
    Openapi,
    /// Check the audit log's hash chain from its first entry to its last.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the keys that sign access tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Measure the platform and print the figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Orders over HTTP on PostgreSQL under load from wrk, next to pgbench's single-row INSERT TPS.
    Intake(bench::Intake),
    /// Intent submission while a joint-purchase round grows to a million lines, then its close and allocation.
    Pool(bench_pool::Pool),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Report the first broken link, or how many entries were checked (exit 1 when broken).
    Verify,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Start signing with a new key; tokens signed with the old one stay valid until they expire.
    Rotate,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective settings (secrets masked); fail with the key and reason if one is invalid.
    Check,
}

/// mimalloc instead of the system allocator: EDI intake and request
/// handling allocate many small, short-lived strings (see
/// docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("renkei: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("renkei: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(cli_config: Option<&std::path::Path>) -> anyhow::Result<Settings> {
    Settings::load(cli_config).map_err(anyhow::Error::new)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check,
        } => match Settings::load(cli.config.as_deref()) {
            Ok(settings) => {
                print!("{}", settings.to_masked_toml());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("renkei: error: {e}");
                Ok(ExitCode::from(2))
            }
        },
        Command::Openapi => {
            println!("{}", renkei_gateway::openapi().to_pretty_json()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = collab_offline(cli.config.as_deref()).await?;
            let report = app.audit_verify().await?;
            app.db().close().await;
            match report {
                collab::app::ChainReport::Intact(n) => {
                    println!("audit log intact: {n} entries checked");
                    Ok(ExitCode::SUCCESS)
                }
                collab::app::ChainReport::Broken(link) => {
                    println!("audit log BROKEN: {link}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let app = collab_offline(cli.config.as_deref()).await?;
            let kid = app.keys_rotate(None).await?;
            app.db().close().await;
            println!(
                "signing with new key {kid}; running services pick it up on the first token that uses it"
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { service } => {
            let settings = load(cli.config.as_deref())?;
            let names: Vec<String> = match service {
                Some(name) => vec![known_service(&name)?],
                None => SERVICES.iter().map(|s| s.to_string()).collect(),
            };
            let ctx = Context::new(settings);
            for name in names {
                if let Some(migrations) = migrations_of(&name) {
                    let db = ctx
                        .migrate(&name, &migrations)
                        .await
                        .with_context(|| format!("migrating `{name}`"))?;
                    db.close().await;
                    println!("{name}: migrated ({})", db.backend());
                } else {
                    println!("{name}: has no database");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Intake(options),
        } => {
            let settings = load(cli.config.as_deref())?;
            bench::intake(settings, options).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Pool(options),
        } => {
            let settings = load(cli.config.as_deref())?;
            bench_pool::pool(settings, options).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Up {
            data_dir,
            listen,
            demo,
        } => {
            let mut settings = load(cli.config.as_deref())?;
            if let Some(dir) = data_dir {
                settings.storage.data_dir = dir;
            }
            if let Some(listen) = listen {
                settings.server.listen = listen;
            }
            settings.validate()?;
            let ctx = Context::new(settings);
            renkei_kernel::telemetry::init(&ctx.settings.log);
            ctx.bus.check().await?;
            let collab = collab::start(&ctx).await.context("starting collab")?;
            let orders = orders::start(&ctx, collab.verifier().clone())
                .await
                .context("starting orders")?;
            let procurement = procurement::start(&ctx, collab.verifier().clone())
                .await
                .context("starting procurement")?;
            orders::follow_rounds(&ctx, &orders)
                .await
                .context("placing the orders of joint-purchase rounds")?;
            // One fan-out per source: each keeps its own position, so adding
            // a source never re-reads (and re-delivers) another's events.
            for source in [orders::NAME, procurement::NAME] {
                collab::follow(&ctx, &collab, &[source])
                    .await
                    .with_context(|| format!("delivering {source} events to webhooks"))?;
            }
            let mounted = Mounted {
                collab: Some(collab),
                orders: Some(orders),
                procurement: Some(procurement),
                insights: Some(insights::start(&ctx).await.context("starting insights")?),
                upstreams: Default::default(),
                verifier: None,
            };
            if demo {
                let collab = mounted.collab.as_ref().context("collab is not running")?;
                let region = demo::load(collab)
                    .await
                    .context("loading the demo region")?;
                let orders = mounted.orders.as_ref().context("orders is not running")?;
                demo::load_orders(orders, &region)
                    .await
                    .context("loading the demo orders")?;
                let procurement = mounted
                    .procurement
                    .as_ref()
                    .context("procurement is not running")?;
                demo::load_round(procurement, &region)
                    .await
                    .context("loading the demo round")?;
            }
            run_http(&ctx, mounted, demo).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { service } => {
            let name = known_service(&service)?;
            let settings = load(cli.config.as_deref())?;
            if settings.storage.backend != Backend::Postgres || settings.bus.mode != BusMode::Kafka
            {
                anyhow::bail!(
                    "`renkei serve` runs one service per process on PostgreSQL and Kafka: set storage.backend = \"postgres\" \
                     and bus.mode = \"kafka\" (now {} and {}); use `renkei up` for the embedded default",
                    settings.storage.backend,
                    settings.bus.mode
                );
            }
            let ctx = Context::new(settings);
            renkei_kernel::telemetry::init(&ctx.settings.log);
            ctx.bus.check().await?;
            let mut mounted = Mounted::default();
            match name.as_str() {
                collab::NAME => {
                    let app = collab::start(&ctx).await.context("starting collab")?;
                    for source in [orders::NAME, procurement::NAME] {
                        collab::follow(&ctx, &app, &[source])
                            .await
                            .with_context(|| format!("delivering {source} events to webhooks"))?;
                    }
                    mounted.collab = Some(app)
                }
                orders::NAME => {
                    let verifier = jwks_verifier(&ctx.settings).context(
                        "orders checks access tokens against collab's keys: set auth.jwks_url \
                         (e.g. http://collab:8080/api/collab/.well-known/jwks.json) or gateway.upstreams.collab",
                    )?;
                    let app = orders::start(&ctx, verifier)
                        .await
                        .context("starting orders")?;
                    orders::follow_rounds(&ctx, &app)
                        .await
                        .context("placing the orders of joint-purchase rounds")?;
                    mounted.orders = Some(app)
                }
                procurement::NAME => {
                    let verifier = jwks_verifier(&ctx.settings).context(
                        "procurement checks access tokens against collab's keys: set auth.jwks_url \
                         (e.g. http://collab:8080/api/collab/.well-known/jwks.json) or gateway.upstreams.collab",
                    )?;
                    mounted.procurement = Some(
                        procurement::start(&ctx, verifier)
                            .await
                            .context("starting procurement")?,
                    )
                }
                insights::NAME => {
                    mounted.insights =
                        Some(insights::start(&ctx).await.context("starting insights")?)
                }
                _ => {
                    mounted.upstreams = ctx.settings.gateway.upstreams.clone();
                    mounted.verifier = jwks_verifier(&ctx.settings);
                }
            }
            run_http(&ctx, mounted, false).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Collab's use cases over its database, without serving (for CLI tools).
async fn collab_offline(config: Option<&std::path::Path>) -> anyhow::Result<collab::app::App> {
    let settings = load(config)?;
    let ctx = Context::new(settings);
    let db = ctx
        .migrate(collab::NAME, &collab::migrations())
        .await
        .context("opening collab's database")?;
    Ok(collab::app::App::new(db, ctx.settings.auth.clone()))
}

/// A verifier that fetches collab's keys over HTTP, for a gateway that runs
/// without collab: `auth.jwks_url`, or the collab upstream's JWKS path.
fn jwks_verifier(settings: &renkei_kernel::Settings) -> Option<renkei_kernel::auth::Verifier> {
    let url = if settings.auth.jwks_url.is_empty() {
        let collab = settings.gateway.upstreams.get(collab::NAME)?;
        format!(
            "{}/api/collab/.well-known/jwks.json",
            collab.trim_end_matches('/')
        )
    } else {
        settings.auth.jwks_url.clone()
    };
    Some(renkei_kernel::auth::Verifier::new(std::sync::Arc::new(
        renkei_kernel::auth::JwksUrl::new(url),
    )))
}

fn known_service(name: &str) -> anyhow::Result<String> {
    if SERVICES.contains(&name) {
        Ok(name.to_string())
    } else {
        anyhow::bail!(
            "unknown service `{name}`; the services are: {}",
            SERVICES.join(", ")
        )
    }
}

fn migrations_of(name: &str) -> Option<Migrations> {
    match name {
        collab::NAME => Some(collab::migrations()),
        orders::NAME => Some(orders::migrations()),
        procurement::NAME => Some(procurement::migrations()),
        insights::NAME => Some(insights::migrations()),
        _ => None,
    }
}

async fn run_http(ctx: &Context, mounted: Mounted, demo: bool) -> anyhow::Result<()> {
    let addr = ctx.settings.listen_addr();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (server.listen)"))?;
    let local = listener.local_addr()?;
    let url = if ctx.settings.server.public_url.is_empty() {
        format!("http://{local}")
    } else {
        ctx.settings.server.public_url.clone()
    };
    let dbs: Vec<renkei_kernel::Db> = [
        mounted.collab.as_ref().map(|a| a.db().clone()),
        mounted.orders.as_ref().map(|a| a.db().clone()),
        mounted.procurement.as_ref().map(|a| a.db().clone()),
        mounted.insights.as_ref().map(|a| a.db().clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let router = renkei_gateway::router(mounted, Metrics::default());
    println!("Renkei is running at {url}/");
    println!(
        "  storage: {}, bus: {}",
        ctx.settings.storage.backend, ctx.settings.bus.mode
    );
    println!("  API docs: {url}/docs   GraphQL: {url}/graphql   health: {url}/healthz");
    if demo {
        demo::print_sign_ins();
    }
    tracing::info!(%local, "listening");
    let shutdown = ctx.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        shutdown.cancel();
    });
    let grace = Duration::from_secs(ctx.settings.server.shutdown_grace_secs);
    renkei_kernel::http::serve(listener, router, ctx.shutdown.clone(), grace).await?;
    ctx.join().await;
    for db in dbs {
        db.close().await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
