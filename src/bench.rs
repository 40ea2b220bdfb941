//! `renkei bench intake`: how many orders per second the platform takes in
//! over HTTP on PostgreSQL, next to what PostgreSQL itself commits.
//!
//! The platform runs as `renkei up` does (collab and orders in one process,
//! local bus) but on a fresh PostgreSQL database, with the demo region
//! loaded. `wrk` (a separate process, over loopback) then submits new orders
//! of `--lines` lines from a demo shop to its wholesaler, each under its own
//! number and idempotency key, for `--seconds`; every answer must be 201.
//! Each accepted order is one transaction: the order, its first document,
//! the idempotency record and the outbox event. Afterwards the stored
//! documents are counted against wrk's count and the relay must have
//! published every event. Then `pgbench` runs single-row inserts with the
//! same number of connections for the same time on the same server.

use std::{path::Path, process::Stdio, time::Duration};

use anyhow::{Context as _, bail};
use renkei_collab as collab;
use renkei_edi::{Document, samples};
use renkei_gateway::Mounted;
use renkei_kernel::{
    Db, Settings,
    http::Metrics,
    service::Context,
    settings::{Backend, BusMode, Secret},
};
use renkei_orders as orders;
use sqlx::{Connection, Executor};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::demo;

/// The wrk script; written next to the order template for each run.
const WRK_SCRIPT: &str = include_str!("../bench/intake.lua");

/// What `renkei bench intake` is asked to do.
#[derive(clap::Args)]
pub struct Intake {
    /// PostgreSQL maintenance database; the run creates (and drops) its own database on that server.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres: String,
    /// Concurrent connections (wrk and pgbench).
    #[arg(long, default_value_t = 16)]
    pub connections: u32,
    /// Load-generator threads (wrk and pgbench).
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 20)]
    pub seconds: u32,
    /// Lines per order.
    #[arg(long, default_value_t = 10)]
    pub lines: u32,
    /// Database connections per service pool.
    #[arg(long, default_value_t = 16)]
    pub pool: u32,
    /// Keep the database afterwards, to look at what was stored.
    #[arg(long)]
    pub keep: bool,
}

/// wrk's figures for one run.
#[derive(Debug)]
struct Load {
    requests: u64,
    duration_us: u64,
    refused: u64,
    socket_errors: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
    mean_us: u64,
    first_refusal: Option<String>,
}

impl Load {
    fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }
}

/// pgbench's figures.
struct Inserts {
    tps: f64,
    latency_ms: f64,
    transactions: u64,
}

/// Runs the benchmark and prints the figures.
pub async fn intake(base: Settings, options: Intake) -> anyhow::Result<()> {
    for tool in ["wrk", "pgbench"] {
        if which(tool).is_none() {
            bail!(
                "`{tool}` is not on PATH; install it first (Debian: apt-get install {})",
                if tool == "wrk" {
                    "wrk"
                } else {
                    "postgresql-client"
                }
            );
        }
    }
    if options.connections == 0 || options.threads == 0 || options.seconds == 0 {
        bail!("--connections, --threads and --seconds must be at least 1");
    }
    if !(1..=500).contains(&options.lines) {
        bail!("--lines must be between 1 and 500 (got {})", options.lines);
    }
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let database = format!("renkei_bench_{run}");
    let url = create_database(&options.postgres, &database).await?;
    println!("database: {database} (fresh)");
    let outcome = measure(base, &options, &run, &url).await;
    if options.keep {
        println!("kept database {database}");
    } else if let Err(e) = drop_database(&options.postgres, &database).await {
        eprintln!("could not drop database {database}: {e:#}");
    }
    outcome
}

/// `base` run as `renkei up` runs (local bus) but on the PostgreSQL
/// database at `url`, with `pool` connections per service.
pub(crate) fn on_postgres(base: Settings, url: &str, pool: u32) -> anyhow::Result<Settings> {
    let mut settings = base;
    settings.storage.backend = Backend::Postgres;
    settings.storage.postgres_url = Secret::new(url);
    settings.storage.max_connections = pool;
    settings.bus.mode = BusMode::Local;
    settings.validate()?;
    Ok(settings)
}

async fn measure(base: Settings, o: &Intake, run: &str, url: &str) -> anyhow::Result<()> {
    let ctx = Context::new(on_postgres(base, url, o.pool)?);
    ctx.bus.check().await?;
    let collab = collab::start(&ctx).await.context("starting collab")?;
    let orders = orders::start(&ctx, collab.verifier().clone())
        .await
        .context("starting orders")?;
    let orders_db = orders.db().clone();
    let collab_db = collab.db().clone();
    demo::load(&collab)
        .await
        .context("loading the demo region")?;
    let (buyer, seller) = demo::SUPPLY;
    let shop = collab
        .sign_in(buyer, demo::PASSWORD, None, "renkei bench")
        .await?;
    let wholesaler = collab
        .sign_in(seller, demo::PASSWORD, None, "renkei bench")
        .await?;
    let shop_id = shop
        .organisation_id
        .context("the demo shop has no organisation")?;
    let seller_id = wholesaler
        .organisation_id
        .context("the demo wholesaler has no organisation")?;

    let mut order = samples::large_order(1, o.lines);
    order.number = "@@N@@".into();
    order.buyer.id = shop_id.clone();
    order.seller.id = seller_id;
    let template = serde_json::to_string(&Document::Order(order))?;
    let path = format!("/api/orders/organisations/{shop_id}/documents");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = renkei_gateway::router(
        Mounted {
            collab: Some(collab),
            orders: Some(orders),
            ..Mounted::default()
        },
        Metrics::default(),
    );
    let server = tokio::spawn(renkei_kernel::http::serve(
        listener,
        router,
        ctx.shutdown.clone(),
        Duration::from_secs(5),
    ));
    println!("platform: http://{addr}/ (collab + orders, PostgreSQL, local bus)");

    // Orders learns of the demo partnership from collab's events; the first
    // order goes through once it has.
    let token = shop.access_token;
    let mut tries = 0;
    loop {
        let body = template.replace("@@N@@", &format!("{run}-warm-up"));
        let (status, answer) =
            post(addr, &path, &token, &format!("bench-{run}-warm-up"), &body).await?;
        if status == 201 {
            break;
        }
        tries += 1;
        if tries == 300 {
            bail!("the warm-up order was refused: {status} {answer}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let dir = std::env::temp_dir().join(format!("renkei-bench-{run}"));
    std::fs::create_dir_all(&dir)?;
    let before = count(&orders_db, "SELECT count(*) FROM order_document").await?;
    println!(
        "wrk: {} connections, {} threads, {} s, orders of {} lines ({} bytes of JSON)",
        o.connections,
        o.threads,
        o.seconds,
        o.lines,
        template.len()
    );
    let cpu_before = Cpu::now();
    let load = wrk(o, &dir, addr, &path, &token, run, &template).await?;
    let intake_cpu = Cpu::now().since(&cpu_before);
    let added = count(&orders_db, "SELECT count(*) FROM order_document").await? - before;

    // Every committed order's event must leave the outbox.
    let mut waited = 0;
    let unpublished = loop {
        let left = count(
            &orders_db,
            "SELECT count(*) FROM outbox WHERE published_at_ms IS NULL",
        )
        .await?;
        if left == 0 || waited >= 300 {
            break left;
        }
        waited += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let events = count(&orders_db, "SELECT count(*) FROM outbox").await?;

    println!("pgbench: single-row INSERT, same connections, threads and time");
    let cpu_before = Cpu::now();
    let inserts = pgbench(o, &dir, url).await?;
    let pgbench_cpu = Cpu::now().since(&cpu_before);
    let server_version: String = {
        let mut conn = orders_db.acquire().await?;
        sqlx::query_scalar("SELECT version()")
            .fetch_one(&mut *conn)
            .await?
    };

    ctx.shutdown.cancel();
    let _ = server.await;
    ctx.join().await;
    orders_db.close().await;
    collab_db.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let completed = load.requests.saturating_sub(load.refused);
    println!();
    println!("machine: {} cores, {}", cores(), cpu_model());
    println!("server:  {server_version}");
    println!("pool:    {} connections per service", o.pool);
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| orders submitted (wrk) | {} |", load.requests);
    println!("| orders refused (not 201) | {} |", load.refused);
    println!("| socket errors | {} |", load.socket_errors);
    println!("| documents stored during the run | {added} |");
    println!("| orders/s | {:.0} |", load.per_second());
    println!("| latency p50 | {:.1} ms |", ms(load.p50_us));
    println!("| latency p90 | {:.1} ms |", ms(load.p90_us));
    println!("| latency p99 | {:.1} ms |", ms(load.p99_us));
    println!("| latency max | {:.1} ms |", ms(load.max_us));
    println!("| latency mean | {:.1} ms |", ms(load.mean_us));
    println!("| pgbench single-row INSERT TPS | {:.0} |", inserts.tps);
    println!("| pgbench latency mean | {:.2} ms |", inserts.latency_ms);
    println!(
        "| orders/s ÷ pgbench TPS | {:.2} |",
        load.per_second() / inserts.tps
    );
    // Where the two cores went: CPU seconds of each process over the run,
    // per order and per pgbench transaction.
    let per_order = |s: f64| s * 1e3 / (completed.max(1) as f64);
    let per_insert = |s: f64| s * 1e3 / (inserts.transactions.max(1) as f64);
    println!(
        "| CPU per order: platform / PostgreSQL / wrk | {:.3} / {:.3} / {:.3} ms |",
        per_order(intake_cpu.platform),
        per_order(intake_cpu.postgres),
        per_order(intake_cpu.tools)
    );
    println!(
        "| CPU per pgbench transaction: PostgreSQL / pgbench | {:.3} / {:.3} ms |",
        per_insert(pgbench_cpu.postgres),
        per_insert(pgbench_cpu.tools)
    );
    println!(
        "| orders/s if the cores did nothing else | {:.0} |",
        cores() as f64 / (intake_cpu.total() / completed.max(1) as f64)
    );

    if let Some(refusal) = &load.first_refusal {
        bail!("{} orders were refused; the first: {refusal}", load.refused);
    }
    if load.socket_errors > 0 {
        bail!("wrk reported {} socket errors", load.socket_errors);
    }
    // wrk stops counting at the deadline; orders still in flight then may
    // be committed without being counted, at most one per connection.
    if added < completed || added > completed + u64::from(o.connections) {
        bail!(
            "wrk saw {completed} orders created but {added} documents were stored: the counts must agree"
        );
    }
    if unpublished > 0 {
        bail!("{unpublished} of {events} events were still in the outbox 30 s after the run");
    }
    println!(
        "checked: every answer was 201, {added} documents stored, all {events} events published"
    );
    Ok(())
}

async fn wrk(
    o: &Intake,
    dir: &Path,
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    run: &str,
    template: &str,
) -> anyhow::Result<Load> {
    let script = dir.join("intake.lua");
    let body = dir.join("order.json");
    std::fs::write(&script, WRK_SCRIPT)?;
    std::fs::write(&body, template)?;
    let output = tokio::process::Command::new("wrk")
        .arg(format!("-t{}", o.threads))
        .arg(format!("-c{}", o.connections))
        .arg(format!("-d{}s", o.seconds))
        .arg("--timeout")
        .arg("30s")
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{addr}"))
        .arg("--")
        .arg(run)
        .arg(path)
        .arg(token)
        .arg(&body)
        .stdin(Stdio::null())
        .output()
        .await
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&stdout).with_context(|| format!("reading wrk's output:\n{stdout}"))
}

/// Reads the `RESULT` line the script prints (see bench/intake.lua).
fn parse_wrk(stdout: &str) -> anyhow::Result<Load> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .context("no RESULT line")?;
    let n: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("a RESULT field is not a number")?;
    let [
        requests,
        duration_us,
        refused,
        connect,
        read,
        write,
        timeout,
        p50_us,
        p90_us,
        p99_us,
        max_us,
        mean_us,
    ] = n[..]
    else {
        bail!("RESULT has {} fields, not 12", n.len());
    };
    Ok(Load {
        requests,
        duration_us,
        refused,
        socket_errors: connect + read + write + timeout,
        p50_us,
        p90_us,
        p99_us,
        max_us,
        mean_us,
        first_refusal: stdout
            .lines()
            .find_map(|l| l.strip_prefix("REFUSAL "))
            .map(str::to_string),
    })
}

async fn pgbench(o: &Intake, dir: &Path, url: &str) -> anyhow::Result<Inserts> {
    {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        conn.execute(
            "CREATE TABLE public.bench_insert (id bigserial PRIMARY KEY, k bigint NOT NULL, \
             note text NOT NULL, at_ms bigint NOT NULL)",
        )
        .await?;
        conn.close().await?;
    }
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "\\set k random(1, 1000000000)\n\
         INSERT INTO public.bench_insert (k, note, at_ms) VALUES (:k, 'order', :k);\n",
    )?;
    let output = tokio::process::Command::new("pgbench")
        .arg("-n")
        .arg(format!("-c{}", o.connections))
        .arg(format!("-j{}", o.threads))
        .arg(format!("-T{}", o.seconds))
        .arg("-f")
        .arg(&script)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .await
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_pgbench(&stdout).with_context(|| format!("reading pgbench's output:\n{stdout}"))
}

fn parse_pgbench(stdout: &str) -> anyhow::Result<Inserts> {
    let number_after = |prefix: &str| -> anyhow::Result<f64> {
        let line = stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .with_context(|| format!("no line starting `{prefix}`"))?;
        let figure = line
            .split_whitespace()
            .next()
            .with_context(|| format!("nothing after `{prefix}`"))?;
        figure
            .parse()
            .with_context(|| format!("`{figure}` after `{prefix}` is not a number"))
    };
    Ok(Inserts {
        tps: number_after("tps = ")?,
        latency_ms: number_after("latency average = ")?,
        transactions: number_after("number of transactions actually processed: ")? as u64,
    })
}

/// One HTTP/1.1 POST over a fresh connection: the status and the body.
async fn post(
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    key: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no HTTP status in {answer:?}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<u64> {
    let mut conn = db.acquire().await?;
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *conn).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `admin` with its database name replaced by `database`.
fn database_url(admin: &str, database: &str) -> String {
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{database}")
}

pub(crate) async fn create_database(admin: &str, database: &str) -> anyhow::Result<String> {
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {admin} (--postgres)"))?;
    conn.execute(format!("CREATE DATABASE {database}").as_str())
        .await?;
    conn.close().await?;
    Ok(database_url(admin, database))
}

pub(crate) async fn drop_database(admin: &str, database: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}

/// CPU seconds used so far by this process (the platform), by its
/// finished children (the load tools, counted once waited for) and by the
/// PostgreSQL server's processes on this machine (with the backends that
/// have exited, through the server's children times), from `/proc` (Linux;
/// zero elsewhere). The kernel counts in units of 1/100 s (USER_HZ).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Cpu {
    platform: f64,
    tools: f64,
    postgres: f64,
}

impl Cpu {
    fn now() -> Cpu {
        let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let own = stat_times(&own).unwrap_or_default();
        let mut postgres = 0.0;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // A backend that has exited (pgbench's, at its end) is counted
            // in its parent's children times once reaped: so both parts.
            if stat.contains("(postgres)")
                && let Some((used, children)) = stat_times(&stat)
            {
                postgres += used + children;
            }
        }
        Cpu {
            platform: own.0,
            tools: own.1,
            postgres,
        }
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            platform: self.platform - before.platform,
            tools: self.tools - before.tools,
            postgres: self.postgres - before.postgres,
        }
    }

    fn total(&self) -> f64 {
        self.platform + self.tools + self.postgres
    }
}

/// From a `/proc/<pid>/stat` line: (user + system, children's user +
/// system) in seconds.
fn stat_times(stat: &str) -> Option<(f64, f64)> {
    // The command name is in parentheses and may hold spaces: fields are
    // counted after its closing parenthesis (field 3, the state, first).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i)?.parse::<f64>().ok().map(|t| t / 100.0);
    // utime, stime, cutime, cstime are fields 14 to 17, 12 to 15 here.
    Some((tick(11)? + tick(12)?, tick(13)? + tick(14)?))
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scripts_result_line() {
        let out = "Running 1s test\nRESULT 1200 1000000 2 0 1 0 0 4100 6000 9900 15000 4321\nREFUSAL 409 {\"error\"}\n";
        let load = parse_wrk(out).expect("parses");
        assert_eq!(load.requests, 1200);
        assert_eq!(load.refused, 2);
        assert_eq!(load.socket_errors, 1);
        assert_eq!((load.p50_us, load.p99_us, load.mean_us), (4100, 9900, 4321));
        assert_eq!(load.first_refusal.as_deref(), Some("409 {\"error\"}"));
        assert!((load.per_second() - 1200.0).abs() < 1e-9);
        assert!(parse_wrk("RESULT 1 2 3\n").is_err());
        assert!(parse_wrk("no result\n").is_err());
    }

    #[test]
    fn reads_cpu_times_from_a_stat_line() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
        // majflt cmajflt utime stime cutime cstime ...
        let line = "4242 (postgres: a b) S 1 2 3 4 5 6 7 8 9 10 250 50 30 20 20 0 1 0";
        assert_eq!(stat_times(line), Some((3.0, 0.5)));
        assert_eq!(stat_times("garbage"), None);
        // Busy work shows up as this process's CPU time within a few ticks.
        let start = Cpu::now();
        let begun = std::time::Instant::now();
        let mut x = 1u64;
        while Cpu::now().since(&start).platform <= 0.0 {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
            }
            assert!(
                begun.elapsed().as_secs() < 10,
                "no CPU time seen in /proc/self/stat"
            );
        }
        let now = Cpu::now();
        assert!(now.since(&now).total().abs() < f64::EPSILON);
    }

    #[test]
    fn reads_pgbenchs_summary() {
        let out = "number of transactions actually processed: 259211\n\
                   number of failed transactions: 0 (0.000%)\nlatency average = 1.234 ms\n\
                   initial connection time = 12.0 ms\ntps = 12960.52 (without initial connection time)\n";
        let i = parse_pgbench(out).expect("parses");
        assert!((i.tps - 12960.52).abs() < 1e-9);
        assert!((i.latency_ms - 1.234).abs() < 1e-9);
        assert_eq!(i.transactions, 259_211);
        assert!(parse_pgbench("tps = fast\nlatency average = 1 ms\n").is_err());
        assert!(
            parse_pgbench("tps = 1\nlatency average = 1 ms\n").is_err(),
            "the count is needed for CPU per transaction"
        );
    }

    #[test]
    fn the_run_gets_its_own_database_on_the_same_server() {
        assert_eq!(
            database_url(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "renkei_bench_1"
            ),
            "postgres://postgres@127.0.0.1:5432/renkei_bench_1"
        );
    }
}
