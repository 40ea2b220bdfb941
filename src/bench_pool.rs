//! `renkei bench pool`: whether keeping the live pool current slows intent
//! submission as a joint-purchase round grows, and what closing and
//! allocating a round of a million intent lines costs through the service.
//!
//! The procurement service runs as `renkei up` runs it (its relay, its pool
//! projector and its close sweep, next to collab and orders, whose events it
//! reads) on a fresh PostgreSQL database. A round
//! offers `--items` items to `--shops` shops in `--districts` districts.
//! 1. Every shop submits one intent through the service's use case, from
//!    `--concurrency` tasks: the round grows from 0 to `--shops` lines.
//! 2. The round is filled in bulk (SQL) to `--lines` minus `--shops` lines,
//!    intents and pool alike, as if they had been submitted and projected.
//! 3. Every shop submits one more intent through the service: the round
//!    grows to `--lines`.
//!
//! Each phase reports intents per second and how long the projector took
//! to count the last one after it was acknowledged. Then the round is
//! closed through the service (claim, the intents added up per item and
//! cap, the settlement, the order's lines, summary and consolidated order
//! event in one transaction), its request book is written (timed apart:
//! it is written after the close, before any answer), and a partial
//! acceptance (every other item at 80 %) is allocated through the
//! consumer's use case.

use std::{sync::Arc, time::Instant};

use anyhow::{Context as _, bail};
use renkei_edi::{Decimal, LineStatus, OrderResponse, Quantity, ResponseLine};
use renkei_kernel::{
    Db, Settings,
    auth::{Caller, Principal, PrincipalKind, Role},
    bus::apply_once,
    events::{Envelope, proto::GroupChanged},
    service::Context,
    storage::now_ms,
};
use renkei_procurement::{
    app::{App, IntentInput, OpenRound},
    db,
    domain::{District, DropPoint, FeeModel, ItemOffer, PriceBreak, RoundDraft},
    events::Districts,
};

use crate::bench::{cores, cpu_model, create_database, drop_database, on_postgres};

/// What `renkei bench pool` is asked to do.
#[derive(clap::Args)]
pub struct Pool {
    /// PostgreSQL maintenance database; the run creates (and drops) its own database on that server.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres: String,
    /// Shops taking part.
    #[arg(long, default_value_t = 10_000)]
    pub shops: usize,
    /// Districts they belong to (shops are spread evenly).
    #[arg(long, default_value_t = 100)]
    pub districts: usize,
    /// Items the round offers.
    #[arg(long, default_value_t = 5_000)]
    pub items: usize,
    /// Intent lines the round holds at the end.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: usize,
    /// Tasks submitting intents at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Database connections of the service's pool.
    #[arg(long, default_value_t = 16)]
    pub pool: u32,
    /// Keep the database afterwards.
    #[arg(long)]
    pub keep: bool,
}

fn shop(s: usize) -> String {
    format!("bench-shop-{s:05}")
}

fn district(d: usize) -> String {
    format!("bench-district-{d:03}")
}

fn item(i: usize) -> String {
    format!("ITEM-{i:04}")
}

fn acting(organisation_id: &str) -> Caller {
    Caller {
        principal: Principal {
            kind: PrincipalKind::User,
            subject: format!("owner-of-{organisation_id}"),
            organisation_id: Some(organisation_id.to_string()),
            role: Some(Role::Owner),
            scopes: Vec::new(),
            session_id: None,
        },
        client_addr: "bench".into(),
    }
}

/// Runs the benchmark and prints the figures.
pub async fn pool(base: Settings, o: Pool) -> anyhow::Result<()> {
    if o.shops == 0 || o.districts == 0 || o.items == 0 || o.concurrency == 0 {
        bail!("--shops, --districts, --items and --concurrency must be at least 1");
    }
    if o.shops % o.districts != 0 {
        bail!("--shops must be a multiple of --districts");
    }
    let per_shop = o.lines / o.shops;
    if per_shop < 2 || o.lines % o.shops != 0 || per_shop > o.items {
        bail!(
            "--lines must be a multiple of --shops, at least twice it and at most --shops × --items"
        );
    }
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let database = format!("renkei_bench_{run}");
    let url = create_database(&o.postgres, &database).await?;
    println!("database: {database} (fresh)");
    let outcome = measure(base, &o, &url).await;
    if o.keep {
        println!("kept database {database}");
    } else if let Err(e) = drop_database(&o.postgres, &database).await {
        eprintln!("could not drop database {database}: {e:#}");
    }
    outcome
}

/// The item the `k`-th intent of shop `s` asks for: distinct per shop for
/// `k` below `items / step`.
fn item_of(s: usize, k: usize, step: usize, items: usize) -> usize {
    (s + k * step) % items
}

async fn measure(base: Settings, o: &Pool, url: &str) -> anyhow::Result<()> {
    let ctx = Context::new(on_postgres(base, url, o.pool)?);
    // The close and the allocation log how their time divides.
    renkei_kernel::telemetry::init(&ctx.settings.log);
    let collab = renkei_collab::start(&ctx)
        .await
        .context("starting collab")?;
    renkei_orders::start(&ctx, collab.verifier().clone())
        .await
        .context("starting orders")?;
    let app = renkei_procurement::start(&ctx, collab.verifier().clone())
        .await
        .context("starting procurement")?;
    let per_district = o.shops / o.districts;
    for d in 0..o.districts {
        let members: Vec<String> = (d * per_district..(d + 1) * per_district)
            .map(shop)
            .collect();
        let organiser = members[0].clone();
        let event = Envelope::new(
            &organiser,
            &district(d),
            &GroupChanged {
                group_id: district(d),
                version: 1,
                name: format!("ベンチ商店街 {d:03}"),
                kind: "purchasing_group".into(),
                organiser_id: organiser.clone(),
                member_ids: members,
            },
        );
        apply_once(app.db(), &Districts, &event, None).await?;
    }
    let wholesaler = "bench-wholesaler".to_string();
    let draft = RoundDraft {
        title: "ベンチマーク 共同仕入れ".into(),
        cutoff_ms: now_ms() + 86_400_000,
        items: (0..o.items)
            .map(|i| ItemOffer {
                code: item(i),
                name: format!("品目 {i:04}"),
                unit: "H87".into(),
                list_price: 1_000,
                breaks: vec![
                    PriceBreak {
                        min_quantity: 100,
                        unit_price: 950,
                    },
                    PriceBreak {
                        min_quantity: 1_000,
                        unit_price: 900,
                    },
                ],
                minimum_quantity: 1,
            })
            .collect(),
        districts: (0..o.districts)
            .map(|d| District {
                group_id: district(d),
                name: String::new(),
                drop_point: DropPoint {
                    name: format!("事務所 {d:03}"),
                    address: "東京都品川区".into(),
                },
            })
            .collect(),
        delivery_dates: vec!["2026-12-20".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 3_000,
        },
        solo_delivery_fee: 1_200,
    };
    let opened = app
        .round_open(
            &acting(&wholesaler),
            &wholesaler,
            OpenRound {
                wholesaler_id: None,
                buyer_id: Some(shop(0)),
                round: draft,
            },
            "bench-round",
        )
        .await
        .map_err(|e| anyhow::anyhow!("opening the round: {e}"))?;
    let round = opened.summary.round_id;
    app.round_answer(&acting(&shop(0)), &shop(0), &round, true)
        .await
        .map_err(|e| anyhow::anyhow!("accepting the round: {e}"))?;
    let per_shop = o.lines / o.shops;
    let step = o.items / per_shop;

    println!(
        "round: {} items, {} shops in {} districts; submitting from {} tasks",
        o.items, o.shops, o.districts, o.concurrency
    );
    let small = submit(&app, o, &round, 0, step).await?;
    let small_lag = caught_up(app.db(), &round, o.shops).await?;

    let started = Instant::now();
    fill(app.db(), o, &round, step, per_shop).await?;
    let fill_s = started.elapsed().as_secs_f64();
    let filled = o.lines - o.shops;
    println!("bulk-filled to {filled} lines in {fill_s:.1} s");

    let large = submit(&app, o, &round, per_shop - 1, step).await?;
    let large_lag = caught_up(app.db(), &round, o.lines).await?;

    let started = Instant::now();
    let closed = app
        .close_once(&round, now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("closing: {e}"))?;
    let close_ms = started.elapsed().as_secs_f64() * 1e3;
    if !closed {
        bail!("the round was closed by someone else");
    }
    let row = {
        let mut conn = app.db().acquire().await?;
        db::round(&mut conn, &round)
            .await?
            .context("the round vanished")?
    };
    let summary: renkei_procurement::app::ClosingSummary =
        serde_json::from_str(row.closing.as_deref().unwrap_or("null"))?;
    let response = OrderResponse {
        number: "BENCH-ACK".into(),
        order_number: row.order_number.clone(),
        issued: renkei_edi::Date::new(2026, 12, 1).context("date")?,
        buyer: renkei_edi::Party {
            id: row.buyer_id.clone(),
            name: None,
        },
        seller: renkei_edi::Party {
            id: row.wholesaler_id.clone(),
            name: None,
        },
        currency: "JPY".into(),
        lines: summary
            .lines
            .iter()
            .map(|l| ResponseLine {
                line: l.line,
                status: if l.line % 2 == 0 {
                    LineStatus::Changed
                } else {
                    LineStatus::Accepted
                },
                item: renkei_edi::Item {
                    seller_code: Some(l.item_code.clone()),
                    ..renkei_edi::Item::default()
                },
                quantity: (l.line % 2 == 0).then(|| Quantity {
                    value: Decimal::new(l.quantity * 4 / 5, 0).unwrap_or_default(),
                    unit: l.unit.clone(),
                }),
                unit_price: None,
                confirmed_delivery: None,
                reason: None,
            })
            .collect(),
    };
    // The request book is written after the close, by the closer or by
    // another instance's sweep, while the order travels to the wholesaler:
    // timed until it exists, whoever writes it.
    let started = Instant::now();
    let mut wrote = app
        .book_prepare(&round)
        .await
        .map_err(|e| anyhow::anyhow!("writing the request book: {e}"))?;
    while !wrote {
        let mut conn = app.db().acquire().await?;
        if db::book_exists(&mut conn, &round).await? {
            break;
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        wrote = app
            .book_prepare(&round)
            .await
            .map_err(|e| anyhow::anyhow!("writing the request book: {e}"))?;
    }
    let book_ms = started.elapsed().as_secs_f64() * 1e3;

    let started = Instant::now();
    let mut tx = app.db().begin().await?;
    let allocated = renkei_procurement::app::apply_response(&mut tx, &row, &response, 2)
        .await
        .map_err(|e| anyhow::anyhow!("allocating: {e}"))?;
    tx.commit().await?;
    let allocate_ms = started.elapsed().as_secs_f64() * 1e3;
    if !allocated {
        bail!("the response was not allocated");
    }
    let shares = count(app.db(), "SELECT COUNT(*) FROM allocation_shop").await?;

    println!();
    println!("machine: {} cores, {}", cores(), cpu_model());
    println!(
        "{:<34} {:>12} {:>14} {:>16}",
        "phase", "intents", "intents/s", "pool lag (ms)"
    );
    println!(
        "{:<34} {:>12} {:>14.0} {:>16.0}",
        format!("round grows 0 → {}", o.shops),
        o.shops,
        small.0,
        small_lag
    );
    println!(
        "{:<34} {:>12} {:>14.0} {:>16.0}",
        format!("round grows {filled} → {}", o.lines),
        o.shops,
        large.0,
        large_lag
    );
    println!(
        "latency p50/p99 (ms): small {:.1}/{:.1}, large {:.1}/{:.1}",
        small.1, small.2, large.1, large.2
    );
    println!(
        "close of {} lines through the service: {close_ms:.0} ms ({} order lines, {} shops allocated)",
        o.lines,
        summary.lines.len(),
        shares
    );
    println!("request book, written after the close: {book_ms:.0} ms");
    println!("allocation of a partial acceptance: {allocate_ms:.0} ms ({shares} shops written)");
    ctx.shutdown.cancel();
    ctx.join().await;
    Ok(())
}

/// Every shop submits its `k`-th intent through the service; answers
/// intents per second and the p50 and p99 latency in milliseconds.
async fn submit(
    app: &App,
    o: &Pool,
    round: &str,
    k: usize,
    step: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(o.concurrency);
    for _ in 0..o.concurrency {
        let (app, next, round) = (app.clone(), next.clone(), round.to_string());
        let (shops, items) = (o.shops, o.items);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let s = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if s >= shops {
                    break;
                }
                let code = item(item_of(s, k, step, items));
                let input = IntentInput {
                    quantity: 1 + i64::try_from((s + k) % 10).unwrap_or(0),
                    max_unit_price: None,
                    district_id: None,
                };
                let t = Instant::now();
                app.intent_put(&acting(&shop(s)), &shop(s), &round, &code, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("shop {s}, {code}: {e}"))?;
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(o.shops);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Ok((o.shops as f64 / seconds, at(0.5), at(0.99)))
}

/// Waits until the projector has counted `lines` intents; answers how long
/// that took after the last acknowledgement, in milliseconds.
async fn caught_up(db: &Db, round: &str, lines: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let target = i64::try_from(lines).unwrap_or(i64::MAX);
    loop {
        let n: i64 = {
            let mut conn = db.acquire().await?;
            sqlx::query_scalar("SELECT COUNT(*) FROM pool_intent WHERE round_id = $1")
                .bind(round)
                .fetch_one(&mut *conn)
                .await?
        };
        if n >= target {
            return Ok(started.elapsed().as_secs_f64() * 1e3);
        }
        if started.elapsed().as_secs() > 600 {
            bail!("the pool counted {n} of {lines} intents after ten minutes");
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Fills the round to all but the last intent of every shop, intents and
/// pool alike, as the service and its projector would have left them.
async fn fill(db: &Db, o: &Pool, round: &str, step: usize, per_shop: usize) -> anyhow::Result<()> {
    let per_district = i64::try_from(o.shops / o.districts)?;
    let now = now_ms();
    let mut conn = db.acquire().await?;
    sqlx::query(
        "INSERT INTO intent (round_id, shop_id, item_code, district_id, quantity, max_unit_price, version, updated_at_ms) \
         SELECT $1, 'bench-shop-' || lpad(s::text, 5, '0'), 'ITEM-' || lpad(((s + k * $2) % $3)::text, 4, '0'), \
                'bench-district-' || lpad((s / $4)::text, 3, '0'), 1 + (s + k) % 10, NULL, 1, $5 \
         FROM generate_series(0, $6 - 1) AS s CROSS JOIN generate_series(1, $7 - 2) AS k",
    )
    .bind(round)
    .bind(i64::try_from(step)?)
    .bind(i64::try_from(o.items)?)
    .bind(per_district)
    .bind(now)
    .bind(i64::try_from(o.shops)?)
    .bind(i64::try_from(per_shop)?)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO pool_intent (round_id, shop_id, item_code, district_id, quantity, seq, version) \
         SELECT round_id, shop_id, item_code, district_id, quantity, seq, version FROM intent \
         WHERE round_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(round)
    .execute(&mut *conn)
    .await?;
    for sql in [
        "DELETE FROM pool_item WHERE round_id = $1",
        "INSERT INTO pool_item (round_id, item_code, district_id, pooled, shops) \
         SELECT round_id, item_code, district_id, SUM(quantity), COUNT(*) FROM pool_intent \
         WHERE round_id = $1 AND quantity > 0 GROUP BY round_id, item_code, district_id",
        "DELETE FROM pool_shop WHERE round_id = $1",
        "INSERT INTO pool_shop (round_id, district_id, shop_id, lines) \
         SELECT round_id, district_id, shop_id, COUNT(*) FROM pool_intent \
         WHERE round_id = $1 AND quantity > 0 GROUP BY round_id, district_id, shop_id",
        // What autovacuum and the checkpointer do to a table that fills
        // over a round's days; without them, the close's first scan also
        // sets every row's hint bits while a checkpoint writes out the
        // gigabyte the bulk fill just dirtied.
        "VACUUM ANALYZE",
        "CHECKPOINT",
    ] {
        let query = sqlx::query(sql);
        let query = if sql.contains("$1") {
            query.bind(round)
        } else {
            query
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<i64> {
    let mut conn = db.acquire().await?;
    Ok(sqlx::query_scalar(sql).fetch_one(&mut *conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shop_asks_for_distinct_items() {
        let (items, per_shop) = (5_000, 100);
        let step = items / per_shop;
        for s in [0, 1, 4_999, 9_999] {
            let mut seen: Vec<usize> = (0..per_shop).map(|k| item_of(s, k, step, items)).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), per_shop, "shop {s}");
        }
    }
}
