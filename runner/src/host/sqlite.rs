//! `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0`.
//!
//! Spin's rules: a database the component does not list is `access-denied`; a listed label
//! with no backing database is `no-such-database`; SQL errors are `io(message)`.

use super::fermyon::spin::sqlite as v2;
use super::spin::sqlite::sqlite as v3;
use crate::state::{RequestState, SqliteConn, SqliteConnV3};
use crate::stores::MAX_HOST_BUFFERED_BYTES;
use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::Resource;

/// The two WIT versions share one value model.
enum OpenError {
    AccessDenied,
    NoSuchDatabase,
    Io(String),
}

struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<SqlValue>>,
}

impl RequestState {
    fn sqlite_open(&mut self, database: &str) -> Result<SqliteConn, OpenError> {
        if !self.grants.databases.contains(database) {
            return Err(OpenError::AccessDenied);
        }
        let pool = self
            .grants
            .stores
            .databases
            .get(database)
            .cloned()
            .ok_or(OpenError::NoSuchDatabase)?;
        let conn = pool.get().map_err(|e| OpenError::Io(format!("{e:#}")))?;
        Ok(SqliteConn {
            pool,
            conn: Some(conn),
        })
    }
}

fn run(conn: &SqliteConn, sql: &str, params: Vec<SqlValue>) -> Result<Rows, String> {
    let conn = conn.conn.as_ref().ok_or("connection is closed")?;
    let mut stmt = conn.prepare_cached(sql).map_err(|e| e.to_string())?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    // Counted as Spin counts it: the result's own size plus each value's size and contents.
    let value_size = std::mem::size_of::<v3::Value>();
    let mut bytes = std::mem::size_of::<v3::QueryResult>();
    let mut cursor = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(|e| e.to_string())?;
    while let Some(row) = cursor.next().map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let v: SqlValue = match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(i) => SqlValue::Integer(i),
                ValueRef::Real(f) => SqlValue::Real(f),
                ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
            };
            bytes += value_size
                + match &v {
                    SqlValue::Text(t) => t.len(),
                    SqlValue::Blob(b) => b.len(),
                    _ => 0,
                };
            values.push(v);
        }
        if bytes > MAX_HOST_BUFFERED_BYTES {
            return Err(format!(
                "query result exceeds limit of {MAX_HOST_BUFFERED_BYTES} bytes"
            ));
        }
        rows.push(values);
    }
    Ok(Rows { columns, rows })
}

fn v2_param(v: v2::Value) -> SqlValue {
    match v {
        v2::Value::Integer(i) => SqlValue::Integer(i),
        v2::Value::Real(f) => SqlValue::Real(f),
        v2::Value::Text(t) => SqlValue::Text(t),
        v2::Value::Blob(b) => SqlValue::Blob(b),
        v2::Value::Null => SqlValue::Null,
    }
}

fn v2_value(v: SqlValue) -> v2::Value {
    match v {
        SqlValue::Integer(i) => v2::Value::Integer(i),
        SqlValue::Real(f) => v2::Value::Real(f),
        SqlValue::Text(t) => v2::Value::Text(t),
        SqlValue::Blob(b) => v2::Value::Blob(b),
        SqlValue::Null => v2::Value::Null,
    }
}

fn v3_param(v: v3::Value) -> SqlValue {
    match v {
        v3::Value::Integer(i) => SqlValue::Integer(i),
        v3::Value::Real(f) => SqlValue::Real(f),
        v3::Value::Text(t) => SqlValue::Text(t),
        v3::Value::Blob(b) => SqlValue::Blob(b),
        v3::Value::Null => SqlValue::Null,
    }
}

fn v3_value(v: SqlValue) -> v3::Value {
    match v {
        SqlValue::Integer(i) => v3::Value::Integer(i),
        SqlValue::Real(f) => v3::Value::Real(f),
        SqlValue::Text(t) => v3::Value::Text(t),
        SqlValue::Blob(b) => v3::Value::Blob(b),
        SqlValue::Null => v3::Value::Null,
    }
}

impl v2::Host for RequestState {}

impl v2::HostConnection for RequestState {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConn>, v2::Error>> {
        Ok(match self.sqlite_open(&database) {
            Ok(conn) => Ok(self.table.push(conn)?),
            Err(OpenError::AccessDenied) => Err(v2::Error::AccessDenied),
            Err(OpenError::NoSuchDatabase) => Err(v2::Error::NoSuchDatabase),
            Err(OpenError::Io(e)) => Err(v2::Error::Io(e)),
        })
    }

    fn execute(
        &mut self,
        conn: Resource<SqliteConn>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> wasmtime::Result<Result<v2::QueryResult, v2::Error>> {
        let Ok(conn) = self.table.get(&conn) else {
            return Ok(Err(v2::Error::InvalidConnection));
        };
        let params = parameters.into_iter().map(v2_param).collect();
        Ok(run(conn, &statement, params)
            .map(|r| v2::QueryResult {
                columns: r.columns,
                rows: r
                    .rows
                    .into_iter()
                    .map(|row| v2::RowResult {
                        values: row.into_iter().map(v2_value).collect(),
                    })
                    .collect(),
            })
            .map_err(v2::Error::Io))
    }

    fn drop(&mut self, conn: Resource<SqliteConn>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

impl v3::Host for RequestState {}

impl v3::HostConnection for RequestState {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnV3>, v3::Error>> {
        Ok(match self.sqlite_open(&database) {
            Ok(conn) => Ok(self.table.push(SqliteConnV3(conn))?),
            Err(OpenError::AccessDenied) => Err(v3::Error::AccessDenied),
            Err(OpenError::NoSuchDatabase) => Err(v3::Error::NoSuchDatabase),
            Err(OpenError::Io(e)) => Err(v3::Error::Io(e)),
        })
    }

    fn execute(
        &mut self,
        conn: Resource<SqliteConnV3>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> wasmtime::Result<Result<v3::QueryResult, v3::Error>> {
        let Ok(conn) = self.table.get(&conn) else {
            return Ok(Err(v3::Error::InvalidConnection));
        };
        let params = parameters.into_iter().map(v3_param).collect();
        Ok(run(&conn.0, &statement, params)
            .map(|r| v3::QueryResult {
                columns: r.columns,
                rows: r
                    .rows
                    .into_iter()
                    .map(|row| v3::RowResult {
                        values: row.into_iter().map(v3_value).collect(),
                    })
                    .collect(),
            })
            .map_err(v3::Error::Io))
    }

    fn last_insert_rowid(&mut self, conn: Resource<SqliteConnV3>) -> wasmtime::Result<i64> {
        let conn = self.table.get(&conn)?;
        Ok(conn
            .0
            .conn
            .as_ref()
            .map(|c| c.last_insert_rowid())
            .unwrap_or(0))
    }

    fn changes(&mut self, conn: Resource<SqliteConnV3>) -> wasmtime::Result<u64> {
        let conn = self.table.get(&conn)?;
        Ok(conn.0.conn.as_ref().map(|c| c.changes()).unwrap_or(0))
    }

    fn drop(&mut self, conn: Resource<SqliteConnV3>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}
