//! `test_plans`: create, list (by project or all), get, update, delete.
//! A plan's project must be the caller's, and so must its capture ids
//! (checked against the captures component's table, migrations/0007).

use edge::ApiError;
use edge::db::{self, Connection};
use serde_json::json;

use super::{Actor, Listed, count, int, page_params, projects, text};
use crate::domain::Page;
use crate::domain::test_case::TestCase;
use crate::models::TestPlan;

macro_rules! test_plan_columns {
    () => {
        "t.id, t.project_id, t.name, t.description, t.capture_ids, t.test_cases, t.created_at, t.updated_at, t.last_run_at"
    };
}

const INSERT_TEST_PLAN: &str = "\
    INSERT INTO test_plans (id, project_id, user_id, name, description, capture_ids, test_cases, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_TEST_PLAN: &str = concat!(
    "SELECT ",
    test_plan_columns!(),
    " FROM test_plans t WHERE t.id = ? AND t.user_id = ?"
);
const SELECT_TEST_PLANS_OF_PROJECT: &str = concat!(
    "SELECT ",
    test_plan_columns!(),
    " FROM test_plans t WHERE t.project_id = ? AND t.user_id = ?",
    " ORDER BY t.created_at DESC, t.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_TEST_PLANS_OF_PROJECT: &str =
    "SELECT COUNT(*) FROM test_plans WHERE project_id = ? AND user_id = ?";
const SELECT_TEST_PLANS_OF_USER: &str = concat!(
    "SELECT ",
    test_plan_columns!(),
    " FROM test_plans t WHERE t.user_id = ?",
    " ORDER BY t.created_at DESC, t.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_TEST_PLANS_OF_USER: &str = "SELECT COUNT(*) FROM test_plans WHERE user_id = ?";
const UPDATE_TEST_PLAN: &str = "\
    UPDATE test_plans SET name = ?, description = ?, capture_ids = ?, test_cases = ?, updated_at = ? \
    WHERE id = ? AND user_id = ?";
const DELETE_TEST_PLAN: &str = "DELETE FROM test_plans WHERE id = ? AND user_id = ?";
/// Which of the given ids (a JSON array) are captures of the user.
const SELECT_OWN_CAPTURE_IDS: &str = "\
    SELECT c.id FROM captures c \
    WHERE c.user_id = ? AND c.id IN (SELECT value FROM json_each(?))";

/// A plan's editable fields, validated.
#[derive(Debug, Clone)]
pub struct TestPlanFields {
    pub name: String,
    pub description: Option<String>,
    pub capture_ids: Vec<String>,
    pub test_cases: Vec<TestCase>,
}

fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(format!("serializing {what}: {e}")))
}

/// 404 naming the first capture id that is not one of the user's.
fn check_captures(db: &Connection, user_id: &str, ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let own: Vec<String> = db::execute(
        db,
        "selecting the user's captures",
        SELECT_OWN_CAPTURE_IDS,
        &[text(user_id), text(&to_json(&ids, "capture ids")?)],
    )?
    .rows
    .iter()
    .map(|row| db::text(row, 0, "captures.id"))
    .collect::<Result<_, _>>()?;
    match ids.iter().enumerate().find(|(_, id)| !own.contains(id)) {
        None => Ok(()),
        Some((i, id)) => Err(ApiError::not_found(
            "capture_not_found",
            format!("captureIds[{i}]: no capture with id {id:?}"),
        )),
    }
}

/// Creates a plan in one of the user's projects (404 otherwise).
pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    project_id: &str,
    fields: &TestPlanFields,
) -> Result<TestPlan, ApiError> {
    let now = edge::time::now_ms();
    let capture_ids = to_json(&fields.capture_ids, "capture ids")?;
    let test_cases = to_json(&fields.test_cases, "test cases")?;
    db::transaction(db, |db| {
        // In the transaction, so the project cannot be deleted under the new plan.
        projects::get(db, project_id, actor.user_id)?.ok_or_else(projects::not_found)?;
        check_captures(db, actor.user_id, &fields.capture_ids)?;
        db::execute(
            db,
            "inserting test plan",
            INSERT_TEST_PLAN,
            &[
                text(id),
                text(project_id),
                text(actor.user_id),
                text(&fields.name),
                db::nullable_text(fields.description.as_deref()),
                text(&capture_ids),
                text(&test_cases),
                int(now),
                int(now),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "test_plan.create",
                "test_plan",
                id,
                json!({ "projectId": project_id, "name": fields.name, "testCases": fields.test_cases.len() }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("test plan vanished after insert"))
}

/// One of the user's plans; `None` if there is none or it is someone else's.
pub fn get(db: &Connection, id: &str, user_id: &str) -> Result<Option<TestPlan>, ApiError> {
    db::execute(
        db,
        "selecting test plan",
        SELECT_TEST_PLAN,
        &[text(id), text(user_id)],
    )?
    .rows
    .first()
    .map(TestPlan::try_from)
    .transpose()
}

/// A page of the user's plans, newest first: those of one of their
/// projects (404 if it is not theirs), or all of them.
pub fn list(
    db: &Connection,
    user_id: &str,
    project_id: Option<&str>,
    page: Page,
) -> Result<Listed<TestPlan>, ApiError> {
    let [limit, offset] = page_params(page);
    let (result, total) = match project_id {
        Some(project_id) => {
            projects::get(db, project_id, user_id)?.ok_or_else(projects::not_found)?;
            (
                db::execute(
                    db,
                    "selecting test plans of project",
                    SELECT_TEST_PLANS_OF_PROJECT,
                    &[text(project_id), text(user_id), limit, offset],
                )?,
                count(
                    db,
                    "counting test plans of project",
                    COUNT_TEST_PLANS_OF_PROJECT,
                    &[text(project_id), text(user_id)],
                )?,
            )
        }
        None => (
            db::execute(
                db,
                "selecting test plans of user",
                SELECT_TEST_PLANS_OF_USER,
                &[text(user_id), limit, offset],
            )?,
            count(
                db,
                "counting test plans of user",
                COUNT_TEST_PLANS_OF_USER,
                &[text(user_id)],
            )?,
        ),
    };
    let items = result
        .rows
        .iter()
        .map(TestPlan::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Listed { items, total })
}

/// Replaces a plan's editable fields (`change` merges the request into the
/// current plan); 404 if it is not the user's, 400 if `same_project` is
/// given and is not the plan's project.
pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    same_project: Option<&str>,
    change: impl FnOnce(&TestPlan) -> TestPlanFields,
) -> Result<TestPlan, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        if same_project.is_some_and(|p| p != current.project_id) {
            return Err(ApiError::invalid_input(vec![edge::FieldError::new(
                "projectId",
                "cannot be changed; a plan stays in the project it was created in",
            )]));
        }
        let fields = change(&current);
        if fields.capture_ids != current.capture_ids {
            check_captures(db, actor.user_id, &fields.capture_ids)?;
        }
        db::execute(
            db,
            "updating test plan",
            UPDATE_TEST_PLAN,
            &[
                text(&fields.name),
                db::nullable_text(fields.description.as_deref()),
                text(&to_json(&fields.capture_ids, "capture ids")?),
                text(&to_json(&fields.test_cases, "test cases")?),
                int(now),
                text(id),
                text(actor.user_id),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "test_plan.update",
                "test_plan",
                id,
                json!({ "projectId": current.project_id, "name": fields.name, "testCases": fields.test_cases.len() }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("test plan vanished after update"))
}

/// Deletes one of the user's plans; 404 otherwise.
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<TestPlan, ApiError> {
    db::transaction(db, |db| {
        let plan = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        db::execute(
            db,
            "deleting test plan",
            DELETE_TEST_PLAN,
            &[text(id), text(actor.user_id)],
        )?;
        db::audit(
            db,
            &actor.audit(
                "test_plan.delete",
                "test_plan",
                id,
                json!({ "projectId": plan.project_id, "name": plan.name }),
            ),
        )?;
        Ok(plan)
    })
}

/// The 404 for a plan that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::not_found("test_plan_not_found", "No test plan with this id")
}
