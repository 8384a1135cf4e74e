//! `flows` and `flow_executions`: flow CRUD (a change of steps bumps
//! `version`), executions started and finished, and the flow's
//! `total_executions` / `successful_executions` / `success_rate` updated in
//! the same transaction as the finish.

use edge::ApiError;
use edge::db::{self, Connection, Value};
use serde_json::json;

use super::{Actor, Listed, count, int, page_params, text};
use crate::domain::Page;
use crate::domain::flow::{FlowStats, Outcome};
use crate::models::{Execution, Flow};

macro_rules! flow_columns {
    // `dom_snapshot` is the ninth column; lists read NULL in its place.
    ($dom:literal) => {
        concat!(
            "f.id, f.name, f.description, f.base_url, f.start_url, f.goal, f.steps, f.selectors, ",
            $dom,
            ", f.status, f.version, f.success_rate, f.total_executions, f.successful_executions, f.created_at, f.updated_at"
        )
    };
}
macro_rules! execution_columns {
    // `execution_log` is the eleventh column; lists read NULL in its place.
    ($log:literal) => {
        concat!(
            "e.id, e.flow_id, e.flow_version, e.status, e.started_at, e.completed_at, e.duration_ms, ",
            "e.steps_completed, e.steps_total, e.error_message, ",
            $log,
            ", e.screenshot_keys"
        )
    };
}

const INSERT_FLOW: &str = "\
    INSERT INTO flows (id, user_id, name, description, base_url, start_url, goal, steps, selectors, dom_snapshot, status, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_FLOW: &str = concat!(
    "SELECT ",
    flow_columns!("f.dom_snapshot"),
    " FROM flows f WHERE f.id = ? AND f.user_id = ?"
);
/// A page of the user's flows, optionally of one status (`? IS NULL` = all).
const SELECT_FLOWS_PAGE: &str = concat!(
    "SELECT ",
    flow_columns!("NULL"),
    " FROM flows f WHERE f.user_id = ? AND (? IS NULL OR f.status = ?)",
    " ORDER BY f.created_at DESC, f.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_FLOWS: &str =
    "SELECT COUNT(*) FROM flows WHERE user_id = ? AND (? IS NULL OR status = ?)";
const UPDATE_FLOW: &str = "\
    UPDATE flows SET name = ?, description = ?, base_url = ?, start_url = ?, goal = ?, steps = ?, \
    selectors = ?, dom_snapshot = ?, status = ?, version = ?, updated_at = ? \
    WHERE id = ? AND user_id = ?";
const UPDATE_FLOW_STATS: &str = "\
    UPDATE flows SET total_executions = ?, successful_executions = ?, success_rate = ?, updated_at = ? \
    WHERE id = ? AND user_id = ?";
const DELETE_EXECUTIONS_OF_FLOW: &str =
    "DELETE FROM flow_executions WHERE flow_id = ? AND user_id = ?";
const DELETE_FLOW: &str = "DELETE FROM flows WHERE id = ? AND user_id = ?";

const INSERT_EXECUTION: &str = "\
    INSERT INTO flow_executions (id, flow_id, flow_version, user_id, status, started_at, steps_completed, steps_total, screenshot_keys) \
    VALUES (?, ?, ?, ?, 'running', ?, 0, ?, '[]')";
const SELECT_EXECUTION: &str = concat!(
    "SELECT ",
    execution_columns!("e.execution_log"),
    " FROM flow_executions e WHERE e.id = ? AND e.flow_id = ? AND e.user_id = ?"
);
const SELECT_EXECUTIONS_PAGE: &str = concat!(
    "SELECT ",
    execution_columns!("NULL"),
    " FROM flow_executions e WHERE e.flow_id = ? AND e.user_id = ?",
    " ORDER BY e.started_at DESC, e.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_EXECUTIONS: &str =
    "SELECT COUNT(*) FROM flow_executions WHERE flow_id = ? AND user_id = ?";
/// Finishes a running execution; the `status = 'running'` guard makes a
/// second finish change nothing (it is refused before, in the transaction).
const FINISH_EXECUTION: &str = "\
    UPDATE flow_executions SET status = ?, completed_at = ?, duration_ms = ?, steps_completed = ?, \
    error_message = ?, execution_log = ?, screenshot_keys = ? \
    WHERE id = ? AND flow_id = ? AND user_id = ? AND status = 'running'";

/// A flow's editable fields, validated; JSON fields as JSON text.
#[derive(Debug, Clone)]
pub struct FlowFields {
    pub name: String,
    pub description: Option<String>,
    pub base_url: String,
    pub start_url: Option<String>,
    pub goal: Option<String>,
    pub steps: serde_json::Value,
    pub selectors: Option<serde_json::Value>,
    pub dom_snapshot: Option<serde_json::Value>,
    pub status: &'static str,
}

fn json_text(value: &serde_json::Value) -> Value {
    Value::Text(value.to_string())
}

fn nullable_json(value: Option<&serde_json::Value>) -> Value {
    value.map_or(Value::Null, json_text)
}

/// Creates a flow at version 1 with no executions.
pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    fields: &FlowFields,
) -> Result<Flow, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting flow",
            INSERT_FLOW,
            &[
                text(id),
                text(actor.user_id),
                text(&fields.name),
                db::nullable_text(fields.description.as_deref()),
                text(&fields.base_url),
                db::nullable_text(fields.start_url.as_deref()),
                db::nullable_text(fields.goal.as_deref()),
                json_text(&fields.steps),
                nullable_json(fields.selectors.as_ref()),
                nullable_json(fields.dom_snapshot.as_ref()),
                text(fields.status),
                int(now),
                int(now),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "flow.create",
                "flow",
                id,
                json!({ "name": fields.name, "baseUrl": fields.base_url }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("flow vanished after insert"))
}

/// One of the user's flows (with its DOM snapshot); `None` otherwise.
pub fn get(db: &Connection, id: &str, user_id: &str) -> Result<Option<Flow>, ApiError> {
    db::execute(
        db,
        "selecting flow",
        SELECT_FLOW,
        &[text(id), text(user_id)],
    )?
    .rows
    .first()
    .map(Flow::try_from)
    .transpose()
}

/// A page of the user's flows (without DOM snapshots), newest first.
pub fn list(
    db: &Connection,
    user_id: &str,
    status: Option<&str>,
    page: Page,
) -> Result<Listed<Flow>, ApiError> {
    let [limit, offset] = page_params(page);
    let status = db::nullable_text(status);
    let items = db::execute(
        db,
        "selecting flows",
        SELECT_FLOWS_PAGE,
        &[text(user_id), status.clone(), status.clone(), limit, offset],
    )?
    .rows
    .iter()
    .map(Flow::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    let total = count(
        db,
        "counting flows",
        COUNT_FLOWS,
        &[text(user_id), status.clone(), status],
    )?;
    Ok(Listed { items, total })
}

/// Replaces a flow's editable fields (`change` merges the request into the
/// current flow). When the steps change, `version` goes up by one.
pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    change: impl FnOnce(&Flow) -> FlowFields,
) -> Result<Flow, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        let fields = change(&current);
        let steps_changed = fields.steps != current.steps;
        let version = if steps_changed {
            current.version.saturating_add(1)
        } else {
            current.version
        };
        db::execute(
            db,
            "updating flow",
            UPDATE_FLOW,
            &[
                text(&fields.name),
                db::nullable_text(fields.description.as_deref()),
                text(&fields.base_url),
                db::nullable_text(fields.start_url.as_deref()),
                db::nullable_text(fields.goal.as_deref()),
                json_text(&fields.steps),
                nullable_json(fields.selectors.as_ref()),
                nullable_json(fields.dom_snapshot.as_ref()),
                text(fields.status),
                int(version),
                int(now),
                text(id),
                text(actor.user_id),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "flow.update",
                "flow",
                id,
                json!({ "name": fields.name, "status": fields.status, "version": version, "stepsChanged": steps_changed }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("flow vanished after update"))
}

/// Deletes one of the user's flows and its executions.
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<Flow, ApiError> {
    db::transaction(db, |db| {
        let flow = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        db::execute(
            db,
            "deleting flow executions",
            DELETE_EXECUTIONS_OF_FLOW,
            &[text(id), text(actor.user_id)],
        )?;
        db::execute(
            db,
            "deleting flow",
            DELETE_FLOW,
            &[text(id), text(actor.user_id)],
        )?;
        db::audit(
            db,
            &actor.audit(
                "flow.delete",
                "flow",
                id,
                json!({ "name": flow.name, "totalExecutions": flow.total_executions }),
            ),
        )?;
        Ok(flow)
    })
}

/// Starts an execution of the flow's current version; `steps_total`
/// defaults to the number of steps of that version. An archived flow is
/// not run (409).
pub fn start_execution(
    db: &Connection,
    actor: Actor<'_>,
    flow_id: &str,
    id: &str,
    steps_total: Option<i64>,
) -> Result<Execution, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let flow = get(db, flow_id, actor.user_id)?.ok_or_else(not_found)?;
        if flow.status == "archived" {
            return Err(ApiError::conflict(
                "flow_archived",
                "This flow is archived; set its status to draft or active to run it",
            ));
        }
        let steps_total = steps_total.unwrap_or_else(|| flow.step_count());
        db::execute(
            db,
            "inserting execution",
            INSERT_EXECUTION,
            &[
                text(id),
                text(flow_id),
                int(flow.version),
                text(actor.user_id),
                int(now),
                int(steps_total),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "flow_execution.start",
                "flow_execution",
                id,
                json!({ "flowId": flow_id, "flowVersion": flow.version }),
            ),
        )
    })?;
    get_execution(db, flow_id, id, actor.user_id)?
        .ok_or_else(|| ApiError::internal("execution vanished after insert"))
}

/// What the client reports when an execution finishes, validated.
#[derive(Debug, Clone)]
pub struct Finish {
    pub outcome: Outcome,
    pub duration_ms: Option<i64>,
    /// `None`: all of the execution's steps on success, none on failure.
    pub steps_completed: Option<i64>,
    pub error_message: Option<String>,
    /// JSON text.
    pub log: Option<String>,
    pub screenshot_keys: Vec<String>,
}

/// Finishes a running execution and, in the same transaction, counts it in
/// the flow's statistics. 404 if the execution is not the user's (or not of
/// this flow), 409 if it already finished, 400 if more steps completed
/// than it has. Without a duration, it is the time since the start.
pub fn finish_execution(
    db: &Connection,
    actor: Actor<'_>,
    flow_id: &str,
    id: &str,
    finish: &Finish,
) -> Result<(Execution, Flow), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let execution =
            get_execution(db, flow_id, id, actor.user_id)?.ok_or_else(execution_not_found)?;
        if execution.status != "running" {
            return Err(ApiError::conflict(
                "execution_already_finished",
                format!(
                    "This execution already finished with status {}",
                    execution.status
                ),
            ));
        }
        let steps_completed = finish.steps_completed.unwrap_or(match finish.outcome {
            Outcome::Success => execution.steps_total.unwrap_or(0),
            Outcome::Failed => 0,
        });
        if let Some(total) = execution.steps_total
            && steps_completed > total
        {
            return Err(ApiError::invalid_input(vec![edge::FieldError::new(
                "stepsCompleted",
                format!("must be at most the execution's {total} steps"),
            )]));
        }
        let duration = finish
            .duration_ms
            .unwrap_or_else(|| now.saturating_sub(execution.started_at).max(0));
        let keys = serde_json::to_string(&finish.screenshot_keys)
            .map_err(|e| ApiError::internal(format!("serializing screenshot keys: {e}")))?;
        db::execute(
            db,
            "finishing execution",
            FINISH_EXECUTION,
            &[
                text(finish.outcome.as_str()),
                int(now),
                int(duration),
                int(steps_completed),
                db::nullable_text(finish.error_message.as_deref()),
                db::nullable_text(finish.log.as_deref()),
                text(&keys),
                text(id),
                text(flow_id),
                text(actor.user_id),
            ],
        )?;
        let flow = get(db, flow_id, actor.user_id)?
            .ok_or_else(|| ApiError::internal("execution's flow is missing"))?;
        let stats = FlowStats {
            total: flow.total_executions,
            successful: flow.successful_executions,
        }
        .record(finish.outcome);
        db::execute(
            db,
            "updating flow statistics",
            UPDATE_FLOW_STATS,
            &[
                int(stats.total),
                int(stats.successful),
                Value::Real(stats.success_rate()),
                int(now),
                text(flow_id),
                text(actor.user_id),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "flow_execution.finish",
                "flow_execution",
                id,
                json!({
                    "flowId": flow_id,
                    "status": finish.outcome.as_str(),
                    "durationMs": duration,
                    "stepsCompleted": steps_completed,
                    "totalExecutions": stats.total,
                    "successRate": stats.success_rate(),
                }),
            ),
        )
    })?;
    let execution = get_execution(db, flow_id, id, actor.user_id)?
        .ok_or_else(|| ApiError::internal("execution vanished after finish"))?;
    let flow = get(db, flow_id, actor.user_id)?
        .ok_or_else(|| ApiError::internal("flow vanished after finish"))?;
    Ok((execution, flow))
}

/// One of the user's executions of this flow (with its log).
pub fn get_execution(
    db: &Connection,
    flow_id: &str,
    id: &str,
    user_id: &str,
) -> Result<Option<Execution>, ApiError> {
    db::execute(
        db,
        "selecting execution",
        SELECT_EXECUTION,
        &[text(id), text(flow_id), text(user_id)],
    )?
    .rows
    .first()
    .map(Execution::try_from)
    .transpose()
}

/// A page of a flow's executions (without logs), newest first; 404 if the
/// flow is not the user's.
pub fn list_executions(
    db: &Connection,
    flow_id: &str,
    user_id: &str,
    page: Page,
) -> Result<Listed<Execution>, ApiError> {
    get(db, flow_id, user_id)?.ok_or_else(not_found)?;
    let [limit, offset] = page_params(page);
    let items = db::execute(
        db,
        "selecting executions",
        SELECT_EXECUTIONS_PAGE,
        &[text(flow_id), text(user_id), limit, offset],
    )?
    .rows
    .iter()
    .map(Execution::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    let total = count(
        db,
        "counting executions",
        COUNT_EXECUTIONS,
        &[text(flow_id), text(user_id)],
    )?;
    Ok(Listed { items, total })
}

/// The 404 for a flow that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::not_found("flow_not_found", "No flow with this id")
}

/// The 404 for an execution that does not exist, is not of this flow, or
/// is not the caller's.
pub fn execution_not_found() -> ApiError {
    ApiError::not_found(
        "execution_not_found",
        "No execution with this id for this flow",
    )
}
