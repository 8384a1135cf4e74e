//! `fermyon:spin/variables@2.0.0` and `wasi:config/store`: the component's own
//! `[component.x.variables]`, templates expanded at start-up. Names and errors are Spin's:
//! a malformed name is `invalid-name("<name>": <reason>)`, an undeclared one is
//! `undefined(no variable for "<component>"."<name>")`; `wasi:config` answers `none` for both.

use super::fermyon::spin::variables as v2;
use super::wasi::config::store as config;
use crate::state::RequestState;
use crate::variables::check_name;

impl RequestState {
    fn variable(&self, name: &str) -> Result<String, v2::Error> {
        check_name(name).map_err(v2::Error::InvalidName)?;
        match self.grants.variables.get(name) {
            Some(v) => Ok(v.to_string()),
            None => Err(v2::Error::Undefined(format!(
                "no variable for {:?}.{name:?}",
                self.grants.component_id
            ))),
        }
    }
}

impl v2::Host for RequestState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, v2::Error>> {
        Ok(self.variable(&name))
    }
}

impl config::Host for RequestState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, config::Error>> {
        Ok(match self.variable(&key) {
            Ok(v) => Ok(Some(v)),
            Err(v2::Error::Undefined(_) | v2::Error::InvalidName(_)) => Ok(None),
            Err(v2::Error::Provider(m)) => Err(config::Error::Upstream(m)),
            Err(v2::Error::Other(m)) => Err(config::Error::Io(m)),
        })
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, config::Error>> {
        Ok(Ok(self
            .grants
            .variables
            .all()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()))
    }
}
