//! `wasi:keyvalue` store, atomics and batch (`0.2.0-draft2`), over the same table as
//! `fermyon:spin/key-value`. `increment` is one immediate transaction: safe as a rate-limit
//! counter across any number of processes sharing the file.

use super::wasi::keyvalue::{atomics, batch, store};
use crate::host::key_value::OpenError;
use crate::state::{KvBucket, KvCas, RequestState};
use wasmtime::component::Resource;

fn other(e: anyhow::Error) -> store::Error {
    tracing::debug!("wasi:keyvalue error: {e:#}");
    store::Error::Other(format!("{e:#}"))
}

impl store::Host for RequestState {
    fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<KvBucket>, store::Error>> {
        Ok(match self.kv_open(&identifier) {
            Ok(s) => Ok(self.table.push(KvBucket(s))?),
            Err(OpenError::AccessDenied) => Err(store::Error::AccessDenied),
            Err(OpenError::NoSuchStore) => Err(store::Error::NoSuchStore),
        })
    }
}

impl store::HostBucket for RequestState {
    fn get(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self.table.get(&b)?.0.get(&key).map_err(other))
    }

    fn set(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.table.get(&b)?.0.set(&key, &value).map_err(other))
    }

    fn delete(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.table.get(&b)?.0.delete(&key).map_err(other))
    }

    fn exists(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self.table.get(&b)?.0.exists(&key).map_err(other))
    }

    fn list_keys(
        &mut self,
        b: Resource<KvBucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        if cursor.is_some() {
            return Ok(Err(store::Error::Other(
                "list_keys: cursor not supported".into(),
            )));
        }
        Ok(self
            .table
            .get(&b)?
            .0
            .keys()
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(other))
    }

    fn drop(&mut self, b: Resource<KvBucket>) -> wasmtime::Result<()> {
        self.table.delete(b)?;
        Ok(())
    }
}

impl atomics::Host for RequestState {
    fn increment(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        Ok(self.table.get(&b)?.0.increment(&key, delta).map_err(other))
    }

    fn swap(
        &mut self,
        cas: Resource<KvCas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let handle = self.table.delete(cas)?;
        match handle.store.swap(&handle.key, &handle.seen, &value) {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                let retry = KvCas {
                    store: handle.store,
                    key: handle.key,
                    seen: None,
                };
                Ok(Err(atomics::CasError::CasFailed(self.table.push(retry)?)))
            }
            Err(e) => Ok(Err(atomics::CasError::StoreError(other(e)))),
        }
    }
}

impl atomics::HostCas for RequestState {
    fn new(
        &mut self,
        b: Resource<KvBucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<KvCas>, store::Error>> {
        let store = self.table.get(&b)?.0.clone();
        Ok(Ok(self.table.push(KvCas {
            store,
            key,
            seen: None,
        })?))
    }

    fn current(
        &mut self,
        cas: Resource<KvCas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let handle = self.table.get_mut(&cas)?;
        match handle.store.get(&handle.key) {
            Ok(v) => {
                handle.seen = Some(v.clone());
                Ok(Ok(v))
            }
            Err(e) => Ok(Err(other(e))),
        }
    }

    fn drop(&mut self, cas: Resource<KvCas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for RequestState {
    fn get_many(
        &mut self,
        b: Resource<KvBucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        Ok(self.table.get(&b)?.0.get_many(&keys).map_err(other))
    }

    fn set_many(
        &mut self,
        b: Resource<KvBucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.table.get(&b)?.0.set_many(&key_values).map_err(other))
    }

    fn delete_many(
        &mut self,
        b: Resource<KvBucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.table.get(&b)?.0.delete_many(&keys).map_err(other))
    }
}
