//! Use cases of the insights service.

use renkei_kernel::Db;

use crate::domain::RegionCount;

/// The insights service's state.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
}

impl App {
    /// State over this database.
    pub fn new(db: Db) -> App {
        App { db }
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Organisations per prefecture and kind.
    pub async fn regions(&self) -> Result<Vec<RegionCount>, sqlx::Error> {
        let mut conn = self.db.acquire().await?;
        crate::db::region_count_list(&mut conn).await
    }
}
