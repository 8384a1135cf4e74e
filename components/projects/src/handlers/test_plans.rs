//! `/api/v1/test-plans`: create, list by `projectId`, get, update, delete,
//! in seed 001's shapes. Test cases are validated case by case, every
//! problem named (`testCases[2].steps[0]`).

use edge::{ApiError, Ctx, Response, db};
use platform_bindings::Principal;
use serde_json::{Map, Value, json};

use super::{
    Field, actor, body, caller, check, collect, collect_all, optional_text, optional_text_patch,
    page, pagination, required_text, row_id, string, valid,
};
use crate::config;
use crate::domain::test_case::{parse_capture_ids, parse_test_cases};
use crate::domain::{self, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::persistence::projects;
use crate::persistence::test_plans::{self, TestPlanFields};

const READ: &str = "test_plans:read";
const WRITE: &str = "test_plans:write";

/// `projectId`: required; an id that cannot be ours is 404 like an unknown one.
fn project_id(body: &Map<String, Value>) -> Result<Option<String>, edge::FieldError> {
    match string(body, "projectId")?.map(str::trim) {
        None | Some("") => Err(edge::FieldError::new("projectId", "is required")),
        Some(id) => Ok(Some(id.to_owned())),
    }
}

/// `POST /api/v1/test-plans {projectId, name, description?, captureIds?, testCases}`
/// -> 201 `{success, message, data: {plan}}`. The project must be the
/// caller's (404 otherwise), as must every capture id once captures exist.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let limits = config::limits(ctx);
    let body = body(ctx)?;
    let mut errors = Vec::new();
    let project_id = collect(project_id(&body), &mut errors).flatten();
    let name = collect(required_text(&body, "name", MAX_NAME_CHARS), &mut errors);
    let description = collect(
        optional_text(&body, "description", MAX_DESCRIPTION_CHARS),
        &mut errors,
    );
    let capture_ids = collect_all(
        parse_capture_ids("captureIds", Field::of(&body, "captureIds").value()),
        &mut errors,
    );
    let test_cases = collect_all(
        parse_test_cases(
            "testCases",
            Field::of(&body, "testCases").value(),
            limits.max_test_cases,
        ),
        &mut errors,
    );
    check(errors)?;
    let project_id = valid(project_id)?;
    if !domain::is_row_id(&project_id) {
        return Err(projects::not_found());
    }
    let fields = TestPlanFields {
        name: valid(name)?,
        description: valid(description)?,
        capture_ids: valid(capture_ids)?,
        test_cases: valid(test_cases)?,
    };
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let plan = test_plans::create(&db, actor(caller, ctx), &id, &project_id, &fields)?;
    Response::envelope(
        201,
        &json!({ "plan": plan.view() }),
        Some("Test plan created successfully"),
    )
}

/// `GET /api/v1/test-plans?projectId=&limit=&offset=` -> `{success, data:
/// {plans, pagination}}`, newest first; without `projectId`, all of the
/// caller's plans. Another user's project is 404.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let page = page(ctx)?;
    let project_id = ctx.query("projectId").map(|p| p.trim().to_owned());
    let project_id = match project_id.as_deref() {
        None | Some("") => None,
        Some(id) if domain::is_row_id(id) => Some(id),
        Some(_) => return Err(projects::not_found()),
    };
    let db = db::open()?;
    let listed = test_plans::list(&db, &caller.user_id, project_id, page)?;
    let views: Vec<_> = listed.items.iter().map(|p| p.view()).collect();
    Response::envelope(
        200,
        &json!({ "plans": views, "pagination": pagination(page, listed.total) }),
        None,
    )
}

/// `GET /api/v1/test-plans/:id` -> `{success, data: {plan}}`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let id = row_id(ctx, "id", test_plans::not_found)?;
    let db = db::open()?;
    let plan = test_plans::get(&db, &id, &caller.user_id)?.ok_or_else(test_plans::not_found)?;
    Response::envelope(200, &json!({ "plan": plan.view() }), None)
}

/// `PUT /api/v1/test-plans/:id {name?, description?, captureIds?, testCases?}`:
/// the fields sent replace the stored ones -> `{success, message, data: {plan}}`.
/// A plan stays in its project: `projectId`, if sent, must be its own.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", test_plans::not_found)?;
    let limits = config::limits(ctx);
    let body = body(ctx)?;
    let mut errors = Vec::new();
    let name = collect(
        string(&body, "name").and_then(|n| {
            n.map(|n| domain::required_text("name", n, MAX_NAME_CHARS))
                .transpose()
        }),
        &mut errors,
    );
    let description = collect(
        optional_text_patch(&body, "description", MAX_DESCRIPTION_CHARS),
        &mut errors,
    );
    let capture_ids = match Field::of(&body, "captureIds") {
        Field::Absent => Some(None),
        f => collect_all(parse_capture_ids("captureIds", f.value()), &mut errors).map(Some),
    };
    let test_cases = match Field::of(&body, "testCases") {
        Field::Absent => Some(None),
        f => collect_all(
            parse_test_cases("testCases", f.value(), limits.max_test_cases),
            &mut errors,
        )
        .map(Some),
    };
    // A client may send the whole plan back, its projectId included; the
    // plan stays in its project, so any other project id is refused.
    let project_id = match Field::of(&body, "projectId") {
        Field::Absent => Some(None),
        _ => collect(project_id(&body), &mut errors),
    };
    check(errors)?;
    let (name, description, capture_ids, test_cases, project_id) = (
        valid(name)?,
        valid(description)?,
        valid(capture_ids)?,
        valid(test_cases)?,
        valid(project_id)?,
    );
    let db = db::open()?;
    let plan = test_plans::update(
        &db,
        actor(&caller, ctx),
        &id,
        project_id.as_deref(),
        |current| TestPlanFields {
            name: name.unwrap_or_else(|| current.name.clone()),
            description: description.unwrap_or_else(|| current.description.clone()),
            capture_ids: capture_ids.unwrap_or_else(|| current.capture_ids.clone()),
            test_cases: test_cases.unwrap_or_else(|| current.test_cases.clone()),
        },
    )?;
    Response::envelope(
        200,
        &json!({ "plan": plan.view() }),
        Some("Test plan updated successfully"),
    )
}

/// `DELETE /api/v1/test-plans/:id` -> `{success, message, data: {plan}}`.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", test_plans::not_found)?;
    let db = db::open()?;
    let plan = test_plans::delete(&db, actor(&caller, ctx), &id)?;
    Response::envelope(
        200,
        &json!({ "plan": plan.view() }),
        Some("Test plan deleted successfully"),
    )
}
