//! New orders on PostgreSQL, written together. A submission hands its
//! rows to a small set of writers and waits for its own answer; a writer
//! takes every order waiting when it is free (up to
//! [`db::NEW_ORDERS_AT_ONCE`]) and writes them in one statement. Under
//! load the server then parses, plans and commits once for many orders;
//! alone, an order is written at once, as before, with no timer to wait
//! for.
//!
//! One statement is all or nothing. When it fails, each of its orders is
//! written again by itself, so that a taken number or key fails only its
//! own submission, and each caller gets its own answer.

use std::sync::Arc;

use renkei_kernel::Db;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::db::{self, NewOrder};

/// Orders waiting for a writer; a full queue makes submissions wait to
/// join it.
const QUEUE: usize = 4 * db::NEW_ORDERS_AT_ONCE;

/// The writers of new orders. Dropping the last handle lets the writers
/// finish what waits and stop.
#[derive(Debug, Clone)]
pub(crate) struct NewOrders {
    queue: mpsc::Sender<Waiting>,
}

#[derive(Debug)]
struct Waiting {
    order: NewOrder,
    done: oneshot::Sender<Result<(), sqlx::Error>>,
}

impl NewOrders {
    /// Starts `writers` writers on `db` (each uses one connection while it
    /// writes). Needs a Tokio runtime.
    pub(crate) fn start(db: Db, writers: usize) -> NewOrders {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_loop(db.clone(), waiting.clone()));
        }
        NewOrders { queue }
    }

    /// Writes a new order's rows, with whatever other orders are waiting;
    /// the error is this order's own (a unique violation means its number
    /// or key was taken).
    pub(crate) async fn write(&self, order: NewOrder) -> Result<(), sqlx::Error> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Waiting { order, done })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // A writer drops the sender only if it stopped before answering.
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

/// One writer: waits for an order, takes the others already waiting, and
/// writes them. The lock is held only while taking, so that another
/// writer collects the next batch while this one writes.
async fn write_loop(db: Db, waiting: Arc<Mutex<mpsc::Receiver<Waiting>>>) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < db::NEW_ORDERS_AT_ONCE {
                match waiting.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        write_batch(&db, batch).await;
    }
}

async fn write_batch(db: &Db, mut batch: Vec<Waiting>) {
    let written = insert(db, &batch.iter().map(|w| &w.order).collect::<Vec<_>>()).await;
    match written {
        Ok(()) => {
            for w in batch {
                // The submission may have gone (its client hung up): its
                // order is stored all the same and its key answers a retry.
                let _ = w.done.send(Ok(()));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(w) = batch.pop() {
                let _ = w.done.send(Err(e));
            }
        }
        Err(e) => {
            tracing::debug!(orders = batch.len(), error = %e, "a batch of new orders failed; writing them one by one");
            for w in batch {
                let alone = insert(db, &[&w.order]).await;
                let _ = w.done.send(alone);
            }
        }
    }
}

async fn insert(db: &Db, orders: &[&NewOrder]) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    db::orders_insert_at_once(&mut conn, orders).await
}
