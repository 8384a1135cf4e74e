//! `fermyon:spin/key-value@2.0.0`, and the SQL both key-value interfaces share.
//!
//! Values live in Spin's `spin_key_value(store, key, value)` table; counters are stored as
//! 8-byte little-endian integers as Spin stores them. Every read-modify-write runs inside one
//! `BEGIN IMMEDIATE` transaction, so it is atomic across processes sharing the file.

use super::fermyon::spin::key_value as v2;
use crate::state::{KvStore, RequestState};
use crate::stores::MAX_HOST_BUFFERED_BYTES;
use anyhow::{Result, bail};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use wasmtime::component::Resource;

pub enum OpenError {
    AccessDenied,
    NoSuchStore,
}

impl RequestState {
    pub(super) fn kv_open(&self, label: &str) -> Result<KvStore, OpenError> {
        if !self.grants.key_value_stores.contains(label) {
            return Err(OpenError::AccessDenied);
        }
        let pool = self
            .grants
            .stores
            .key_value
            .get(label)
            .cloned()
            .ok_or(OpenError::NoSuchStore)?;
        Ok(KvStore {
            pool,
            label: label.to_string(),
        })
    }
}

impl KvStore {
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.pool.with(|c| {
            let v: Option<Vec<u8>> = c
                .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![self.label, key], |r| r.get(0))
                .optional()?;
            // Counted as Spin counts it.
            if std::mem::size_of::<Option<Vec<u8>>>() + v.as_ref().map_or(0, Vec::len)
                > MAX_HOST_BUFFERED_BYTES
            {
                bail!("query result exceeds limit of {MAX_HOST_BUFFERED_BYTES} bytes");
            }
            Ok(v)
        })
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.pool.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![self.label, key, value])?;
            Ok(())
        })
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        self.pool.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![self.label, key])?;
            Ok(())
        })
    }

    pub fn exists(&self, key: &str) -> Result<bool> {
        self.pool.with(|c| {
            Ok(
                c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .exists(params![self.label, key])?,
            )
        })
    }

    pub fn keys(&self) -> Result<Vec<String>> {
        self.pool.with(|c| {
            let mut stmt = c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
            let mut rows = stmt.query(params![self.label])?;
            let mut keys = Vec::new();
            let mut bytes = std::mem::size_of::<Vec<String>>();
            while let Some(row) = rows.next()? {
                let key: String = row.get(0)?;
                bytes += std::mem::size_of::<String>() + key.len();
                if bytes > MAX_HOST_BUFFERED_BYTES {
                    bail!("query result exceeds limit of {MAX_HOST_BUFFERED_BYTES} bytes");
                }
                keys.push(key);
            }
            Ok(keys)
        })
    }

    pub fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        self.pool.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<Vec<u8>> = tx
                .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![self.label, key], |r| r.get(0))
                .optional()?;
            let current = match current {
                None => 0,
                Some(bytes) => match <[u8; 8]>::try_from(bytes.as_slice()) {
                    Ok(b) => i64::from_le_bytes(b),
                    Err(_) => {
                        bail!("value of {key:?} is not a counter (8-byte little-endian integer)")
                    }
                },
            };
            let Some(next) = current.checked_add(delta) else {
                bail!("counter {key:?} would overflow");
            };
            tx.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![self.label, key, next.to_le_bytes().as_slice()])?;
            tx.commit()?;
            Ok(next)
        })
    }

    /// Compare-and-swap: `expected` is what `cas.current` saw (`None` = never read, swap
    /// unconditionally as Spin does; `Some(None)` = absent, insert only if still absent).
    pub fn swap(
        &self,
        key: &str,
        expected: &Option<Option<Vec<u8>>>,
        value: &[u8],
    ) -> Result<bool> {
        self.pool.with(|c| {
            let changed = match expected {
                None => c
                    .prepare_cached(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                    )?
                    .execute(params![self.label, key, value])?,
                Some(None) => c
                    .prepare_cached(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT(store, key) DO NOTHING",
                    )?
                    .execute(params![self.label, key, value])?,
                Some(Some(old)) => c
                    .prepare_cached(
                        "UPDATE spin_key_value SET value = ?4 WHERE store = ?1 AND key = ?2 AND value = ?3",
                    )?
                    .execute(params![self.label, key, old, value])?,
            };
            Ok(changed == 1)
        })
    }

    pub fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>> {
        let mut out = Vec::with_capacity(keys.len());
        let mut bytes = 0usize;
        for key in keys {
            let v = self.get(key)?;
            bytes += key.len() + v.as_ref().map_or(0, Vec::len);
            if bytes > MAX_HOST_BUFFERED_BYTES {
                bail!("query result exceeds limit of {MAX_HOST_BUFFERED_BYTES} bytes");
            }
            if v.is_some() {
                out.push((key.clone(), v));
            }
        }
        Ok(out)
    }

    pub fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<()> {
        self.pool.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (key, value) in entries {
                tx.prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![self.label, key, value])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    pub fn delete_many(&self, keys: &[String]) -> Result<()> {
        self.pool.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for key in keys {
                tx.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                    .execute(params![self.label, key])?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

fn other(e: anyhow::Error) -> v2::Error {
    tracing::debug!("key-value error: {e:#}");
    v2::Error::Other(format!("{e:#}"))
}

impl v2::Host for RequestState {}

impl v2::HostStore for RequestState {
    fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<KvStore>, v2::Error>> {
        Ok(match self.kv_open(&label) {
            Ok(store) => Ok(self.table.push(store)?),
            Err(OpenError::AccessDenied) => Err(v2::Error::AccessDenied),
            Err(OpenError::NoSuchStore) => Err(v2::Error::NoSuchStore),
        })
    }

    fn get(
        &mut self,
        s: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, v2::Error>> {
        Ok(self.table.get(&s)?.get(&key).map_err(other))
    }

    fn set(
        &mut self,
        s: Resource<KvStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), v2::Error>> {
        Ok(self.table.get(&s)?.set(&key, &value).map_err(other))
    }

    fn delete(
        &mut self,
        s: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), v2::Error>> {
        Ok(self.table.get(&s)?.delete(&key).map_err(other))
    }

    fn exists(
        &mut self,
        s: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, v2::Error>> {
        Ok(self.table.get(&s)?.exists(&key).map_err(other))
    }

    fn get_keys(
        &mut self,
        s: Resource<KvStore>,
    ) -> wasmtime::Result<Result<Vec<String>, v2::Error>> {
        Ok(self.table.get(&s)?.keys().map_err(other))
    }

    fn drop(&mut self, s: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}
