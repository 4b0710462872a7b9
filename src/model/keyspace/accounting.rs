//! `used_memory` as the keyspace keeps it: one running total that every
//! insert, removal, value change, TTL and table resize moves by its own
//! cost, so reading it is free, plus the server memory that belongs to no
//! key (latency histograms, client buffers) and a recount from scratch to
//! check the running total against.

use super::{Db, Keyspace};
use crate::model::config::MemoryModel;

impl Keyspace {
    /// `used_memory` without the command in flight.
    #[inline]
    pub fn used_memory(&self) -> u64 {
        self.used
    }

    /// Adds server memory that belongs to no key (counted in `used_memory`
    /// under the Redis memory model only).
    pub(crate) fn add_server_memory(&mut self, bytes: u64) {
        if self.model == MemoryModel::Redis {
            self.server_extra += bytes;
            self.used += bytes;
        }
    }

    /// Gives back server memory added before (at most what was added).
    pub(crate) fn remove_server_memory(&mut self, bytes: u64) {
        if self.model == MemoryModel::Redis {
            let bytes = bytes.min(self.server_extra);
            self.server_extra -= bytes;
            self.used -= bytes;
        }
    }

    /// Server memory added by `Keyspace::add_server_memory` so far.
    pub fn server_memory(&self) -> u64 {
        self.server_extra
    }

    /// Sets the memory of the clients' buffers (query and reply buffers,
    /// pub/sub output), which Redis counts in `used_memory` and the
    /// baseline holds only as they were at the start. For replaying a
    /// real server's measured client memory; 0 by default.
    pub(crate) fn set_client_memory(&mut self, bytes: u64) {
        if self.model == MemoryModel::Redis {
            self.used = self.used - self.client_memory + bytes;
            self.client_memory = bytes;
        }
    }

    /// The memory of database `db`'s keys: their entries and its hash-table
    /// buckets (Redis memory model), or their values' sizes (raw).
    pub fn db_memory(&self, db: u8) -> u64 {
        let Some(d) = self.dbs.get(usize::from(db)) else {
            return 0;
        };
        match self.model {
            MemoryModel::Redis => {
                d.iter().map(|e| e.mem as u64).sum::<u64>() + self.tables_memory(d)
            }
            MemoryModel::Raw => d.iter().map(|e| e.len as u64).sum(),
        }
    }

    /// What a database's two tables hold in `used_memory`: their slots and
    /// what they allocate beyond them.
    fn tables_memory(&self, d: &Db) -> u64 {
        let l = self.layout;
        l.table_bytes(d.main.heads.len() as u64)
            + l.table_bytes(d.expires.heads.len() as u64)
            + d.main_extra
            + d.exp_extra
    }

    /// Recomputes `used_memory` from scratch (for tests of the bookkeeping).
    pub fn recount_used(&self, baseline: u64) -> u64 {
        match self.model {
            MemoryModel::Redis => {
                baseline
                    + self.server_extra
                    + self.client_memory
                    + self
                        .dbs
                        .iter()
                        .map(|d| {
                            d.iter().map(|e| e.mem as u64).sum::<u64>() + self.tables_memory(d)
                        })
                        .sum::<u64>()
            }
            MemoryModel::Raw => self
                .dbs
                .iter()
                .flat_map(|d| d.iter())
                .map(|e| e.len as u64)
                .sum(),
        }
    }
}
