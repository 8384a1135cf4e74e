//! `fermyon:spin/variables@2.0.0` and `wasi:config/store`: the component's own
//! `[component.x.variables]`, templates expanded at start-up.

use super::fermyon::spin::variables as v2;
use super::wasi::config::store as config;
use crate::state::RequestState;
use crate::variables::is_valid_name;

impl v2::Host for RequestState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, v2::Error>> {
        if !is_valid_name(&name) {
            return Ok(Err(v2::Error::InvalidName(name)));
        }
        Ok(match self.grants.variables.get(&name) {
            Some(v) => Ok(v.to_string()),
            None => Err(v2::Error::Undefined(format!("no variable for {name:?}"))),
        })
    }
}

impl config::Host for RequestState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, config::Error>> {
        if !is_valid_name(&key) {
            return Ok(Err(config::Error::Upstream(format!("invalid variable name {key:?}"))));
        }
        Ok(Ok(self.grants.variables.get(&key).map(str::to_string)))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config::Error>> {
        Ok(Ok(self.grants.variables.all().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
    }
}
