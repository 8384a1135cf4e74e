//! Rows (converted from SQLite with `TryFrom`, reading the columns of the
//! matching `*_columns!` list in `persistence`, in order) and the JSON
//! views the API returns. Views use seed 001's snake_case field names and
//! unix seconds for `*_at`; durations stay in milliseconds.

use edge::ApiError;
use edge::db::{self, RowResult};
use serde::Serialize;
use serde_json::Value;

use crate::domain::test_case::TestCase;

/// Milliseconds (storage) to unix seconds (seed 001's API).
fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &RowResult,
    index: usize,
    column: &str,
) -> Result<T, ApiError> {
    let text = db::text(row, index, column)?;
    serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("{column}: {e}")))
}

fn opt_json_column(row: &RowResult, index: usize, column: &str) -> Result<Option<Value>, ApiError> {
    db::opt_text(row, index, column)?
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("{column}: {e}")))
        })
        .transpose()
}

fn real(row: &RowResult, index: usize, column: &str) -> Result<f64, ApiError> {
    match row.values.get(index) {
        Some(db::Value::Real(r)) => Ok(*r),
        Some(db::Value::Integer(i)) => {
            #[allow(clippy::cast_precision_loss)]
            let r = *i as f64;
            Ok(r)
        }
        _ => Err(ApiError::internal(format!(
            "column {column} is not a number"
        ))),
    }
}

// ------------------------------------------------------------------ projects

/// A `projects` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub hostname: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_accessed_at: i64,
}

impl TryFrom<&RowResult> for Project {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "projects.id")?,
            name: db::text(row, 1, "projects.name")?,
            hostname: db::text(row, 2, "projects.hostname")?,
            description: db::opt_text(row, 3, "projects.description")?,
            created_at: db::int(row, 4, "projects.created_at")?,
            updated_at: db::int(row, 5, "projects.updated_at")?,
            last_accessed_at: db::int(row, 6, "projects.last_accessed_at")?,
        })
    }
}

/// A project as seed 001 shows it.
#[derive(Debug, Serialize)]
pub struct ProjectView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub hostname: &'a str,
    pub description: Option<&'a str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_accessed_at: i64,
}

impl Project {
    pub fn view(&self) -> ProjectView<'_> {
        ProjectView {
            id: &self.id,
            name: &self.name,
            hostname: &self.hostname,
            description: self.description.as_deref(),
            created_at: secs(self.created_at),
            updated_at: secs(self.updated_at),
            last_accessed_at: secs(self.last_accessed_at),
        }
    }
}

// ---------------------------------------------------------------- test plans

/// A `test_plans` row, JSON columns parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TestPlan {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: Option<String>,
    pub capture_ids: Vec<String>,
    pub test_cases: Vec<TestCase>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_run_at: Option<i64>,
}

impl TryFrom<&RowResult> for TestPlan {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "test_plans.id")?,
            project_id: db::text(row, 1, "test_plans.project_id")?,
            name: db::text(row, 2, "test_plans.name")?,
            description: db::opt_text(row, 3, "test_plans.description")?,
            capture_ids: json_column(row, 4, "test_plans.capture_ids")?,
            test_cases: json_column(row, 5, "test_plans.test_cases")?,
            created_at: db::int(row, 6, "test_plans.created_at")?,
            updated_at: db::int(row, 7, "test_plans.updated_at")?,
            last_run_at: db::opt_int(row, 8, "test_plans.last_run_at")?,
        })
    }
}

/// A test plan as the API shows it.
#[derive(Debug, Serialize)]
pub struct TestPlanView<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub capture_ids: &'a [String],
    pub test_cases: &'a [TestCase],
    pub created_at: i64,
    pub updated_at: i64,
    pub last_run_at: Option<i64>,
}

impl TestPlan {
    pub fn view(&self) -> TestPlanView<'_> {
        TestPlanView {
            id: &self.id,
            project_id: &self.project_id,
            name: &self.name,
            description: self.description.as_deref(),
            capture_ids: &self.capture_ids,
            test_cases: &self.test_cases,
            created_at: secs(self.created_at),
            updated_at: secs(self.updated_at),
            last_run_at: self.last_run_at.map(secs),
        }
    }
}

// --------------------------------------------------------------------- flows

/// A `flows` row, JSON columns parsed. `dom_snapshot` is `None` in lists
/// (the list query does not read it).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub base_url: String,
    pub start_url: Option<String>,
    pub goal: Option<String>,
    pub steps: Value,
    pub selectors: Option<Value>,
    pub dom_snapshot: Option<Value>,
    pub status: String,
    pub version: i64,
    pub success_rate: f64,
    pub total_executions: i64,
    pub successful_executions: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<&RowResult> for Flow {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "flows.id")?,
            name: db::text(row, 1, "flows.name")?,
            description: db::opt_text(row, 2, "flows.description")?,
            base_url: db::text(row, 3, "flows.base_url")?,
            start_url: db::opt_text(row, 4, "flows.start_url")?,
            goal: db::opt_text(row, 5, "flows.goal")?,
            steps: json_column(row, 6, "flows.steps")?,
            selectors: opt_json_column(row, 7, "flows.selectors")?,
            dom_snapshot: opt_json_column(row, 8, "flows.dom_snapshot")?,
            status: db::text(row, 9, "flows.status")?,
            version: db::int(row, 10, "flows.version")?,
            success_rate: real(row, 11, "flows.success_rate")?,
            total_executions: db::int(row, 12, "flows.total_executions")?,
            successful_executions: db::int(row, 13, "flows.successful_executions")?,
            created_at: db::int(row, 14, "flows.created_at")?,
            updated_at: db::int(row, 15, "flows.updated_at")?,
        })
    }
}

/// A flow as the API shows it. `dom_snapshot` only on `GET /flows/:id`
/// and on create/update responses.
#[derive(Debug, Serialize)]
pub struct FlowView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub start_url: Option<&'a str>,
    pub goal: Option<&'a str>,
    pub steps: &'a Value,
    pub selectors: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dom_snapshot: Option<Option<&'a Value>>,
    pub status: &'a str,
    pub version: i64,
    pub success_rate: f64,
    pub total_executions: i64,
    pub successful_executions: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Flow {
    /// The full view, `dom_snapshot` included (null when there is none).
    pub fn view(&self) -> FlowView<'_> {
        FlowView {
            dom_snapshot: Some(self.dom_snapshot.as_ref()),
            ..self.summary()
        }
    }

    /// The list view, without `dom_snapshot`.
    pub fn summary(&self) -> FlowView<'_> {
        FlowView {
            id: &self.id,
            name: &self.name,
            description: self.description.as_deref(),
            base_url: &self.base_url,
            start_url: self.start_url.as_deref(),
            goal: self.goal.as_deref(),
            steps: &self.steps,
            selectors: self.selectors.as_ref(),
            dom_snapshot: None,
            status: &self.status,
            version: self.version,
            success_rate: self.success_rate,
            total_executions: self.total_executions,
            successful_executions: self.successful_executions,
            created_at: secs(self.created_at),
            updated_at: secs(self.updated_at),
        }
    }

    /// The number of steps (for an execution's default `steps_total`).
    pub fn step_count(&self) -> i64 {
        self.steps
            .as_array()
            .map_or(0, |s| i64::try_from(s.len()).unwrap_or(i64::MAX))
    }
}

// ---------------------------------------------------------------- executions

/// A `flow_executions` row. `execution_log` is `None` in lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub id: String,
    pub flow_id: String,
    pub flow_version: i64,
    pub status: String,
    pub started_at: i64,
    pub completed_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub steps_completed: i64,
    pub steps_total: Option<i64>,
    pub error_message: Option<String>,
    pub execution_log: Option<Value>,
    pub screenshot_keys: Vec<String>,
}

impl TryFrom<&RowResult> for Execution {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "flow_executions.id")?,
            flow_id: db::text(row, 1, "flow_executions.flow_id")?,
            flow_version: db::int(row, 2, "flow_executions.flow_version")?,
            status: db::text(row, 3, "flow_executions.status")?,
            started_at: db::int(row, 4, "flow_executions.started_at")?,
            completed_at: db::opt_int(row, 5, "flow_executions.completed_at")?,
            duration_ms: db::opt_int(row, 6, "flow_executions.duration_ms")?,
            steps_completed: db::int(row, 7, "flow_executions.steps_completed")?,
            steps_total: db::opt_int(row, 8, "flow_executions.steps_total")?,
            error_message: db::opt_text(row, 9, "flow_executions.error_message")?,
            execution_log: opt_json_column(row, 10, "flow_executions.execution_log")?,
            screenshot_keys: json_column(row, 11, "flow_executions.screenshot_keys")?,
        })
    }
}

/// An execution as the API shows it; `execution_log` only on the single
/// execution (`GET …/executions/:execId`, finish).
#[derive(Debug, Serialize)]
pub struct ExecutionView<'a> {
    pub id: &'a str,
    pub flow_id: &'a str,
    pub flow_version: i64,
    pub status: &'a str,
    pub started_at: i64,
    pub completed_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub steps_completed: i64,
    pub steps_total: Option<i64>,
    pub error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_log: Option<Option<&'a Value>>,
    pub screenshot_keys: &'a [String],
}

impl Execution {
    /// The full view, the log included (null when there is none).
    pub fn view(&self) -> ExecutionView<'_> {
        ExecutionView {
            execution_log: Some(self.execution_log.as_ref()),
            ..self.summary()
        }
    }

    /// The list view, without the log.
    pub fn summary(&self) -> ExecutionView<'_> {
        ExecutionView {
            id: &self.id,
            flow_id: &self.flow_id,
            flow_version: self.flow_version,
            status: &self.status,
            started_at: secs(self.started_at),
            completed_at: self.completed_at.map(secs),
            duration_ms: self.duration_ms,
            steps_completed: self.steps_completed,
            steps_total: self.steps_total,
            error_message: self.error_message.as_deref(),
            execution_log: None,
            screenshot_keys: &self.screenshot_keys,
        }
    }
}
