//! `/api/v1/flows`: flow CRUD (a change of steps bumps `version`) and
//! executions: start, finish (which updates the flow's `success_rate` and
//! `total_executions` in the same transaction), list, get.

use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde_json::{Map, Value, json};

use super::{
    Field, actor, body, caller, check, collect, collect_all, optional_text, optional_text_patch,
    page, pagination, required_text, row_id, string, valid,
};
use crate::config::{self, Limits};
use crate::domain::flow::{
    FlowStatus, MAX_DURATION_MS, MAX_ERROR_CHARS, Outcome, parse_count, parse_flow_steps,
    parse_log, parse_screenshot_keys, parse_url,
};
use crate::domain::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::persistence::flows::{self, Finish, FlowFields};

const READ: &str = "flows:read";
const WRITE: &str = "flows:write";
/// Largest `stepsTotal` / `stepsCompleted` accepted.
const MAX_STEP_COUNT: i64 = 100_000;

/// A JSON value kept as the client sent it: `None` for absent or null,
/// an error unless it is an object, an array or (if `strings`) a string.
fn json_value(
    body: &Map<String, Value>,
    name: &str,
    strings: bool,
) -> Result<Option<Value>, FieldError> {
    match Field::of(body, name) {
        Field::Absent | Field::Null => Ok(None),
        Field::Present(v @ (Value::Object(_) | Value::Array(_))) => Ok(Some(v.clone())),
        Field::Present(v @ Value::String(_)) if strings => Ok(Some(v.clone())),
        Field::Present(_) if strings => Err(FieldError::new(
            name,
            "must be a string, an object or a list",
        )),
        Field::Present(_) => Err(FieldError::new(name, "must be an object or a list")),
    }
}

fn optional_url(body: &Map<String, Value>, name: &str) -> Result<Option<String>, FieldError> {
    match string(body, name)?.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) => parse_url(name, url).map(Some),
    }
}

fn status(body: &Map<String, Value>) -> Result<Option<FlowStatus>, FieldError> {
    string(body, "status")?
        .map(|s| FlowStatus::parse("status", s))
        .transpose()
}

/// Every field of a flow body, each `None` when absent (for updates) and
/// validated when present.
#[derive(Debug)]
struct FlowPatch {
    name: Option<String>,
    description: Option<Option<String>>,
    base_url: Option<String>,
    start_url: Option<Option<String>>,
    goal: Option<Option<String>>,
    steps: Option<Value>,
    selectors: Option<Option<Value>>,
    dom_snapshot: Option<Option<Value>>,
    status: Option<FlowStatus>,
}

/// Parses a flow body; `create` makes `name` and `baseUrl` required.
fn flow_patch(
    body: &Map<String, Value>,
    limits: Limits,
    create: bool,
) -> Result<FlowPatch, ApiError> {
    let mut errors = Vec::new();
    let present = |name: &str| create || Field::of(body, name) != Field::Absent;
    let name = if present("name") {
        collect(required_text(body, "name", MAX_NAME_CHARS), &mut errors).map(Some)
    } else {
        Some(None)
    };
    let base_url = if present("baseUrl") {
        collect(
            string(body, "baseUrl").and_then(|u| parse_url("baseUrl", u.unwrap_or(""))),
            &mut errors,
        )
        .map(Some)
    } else {
        Some(None)
    };
    let patch_of = |name: &str| Field::of(body, name) != Field::Absent;
    let description = if patch_of("description") {
        collect(
            optional_text_patch(body, "description", MAX_DESCRIPTION_CHARS),
            &mut errors,
        )
    } else {
        Some(None)
    };
    let start_url = if patch_of("startUrl") {
        collect(optional_url(body, "startUrl"), &mut errors).map(Some)
    } else {
        Some(None)
    };
    let goal = if patch_of("goal") {
        collect(
            optional_text(body, "goal", MAX_DESCRIPTION_CHARS),
            &mut errors,
        )
        .map(Some)
    } else {
        Some(None)
    };
    let steps = match Field::of(body, "steps") {
        Field::Absent => Some(None),
        f => collect_all(
            parse_flow_steps("steps", f.value(), limits.max_flow_steps),
            &mut errors,
        )
        .map(Some),
    };
    let selectors = if patch_of("selectors") {
        collect(json_value(body, "selectors", false), &mut errors).map(Some)
    } else {
        Some(None)
    };
    let dom_snapshot = if patch_of("domSnapshot") {
        collect(json_value(body, "domSnapshot", true), &mut errors).map(Some)
    } else {
        Some(None)
    };
    let status = collect(status(body), &mut errors);
    check(errors)?;
    Ok(FlowPatch {
        name: valid(name)?,
        description: valid(description)?,
        base_url: valid(base_url)?,
        start_url: valid(start_url)?,
        goal: valid(goal)?,
        steps: valid(steps)?,
        selectors: valid(selectors)?,
        dom_snapshot: valid(dom_snapshot)?,
        status: valid(status)?,
    })
}

/// `POST /api/v1/flows {name, baseUrl, description?, startUrl?, goal?,
/// steps?, selectors?, domSnapshot?, status?}` -> 201 `{success, message,
/// data: {flow}}`, at version 1.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let limits = config::limits(ctx);
    let body = body(ctx)?;
    let patch = flow_patch(&body, limits, true)?;
    let fields = FlowFields {
        name: valid(patch.name)?,
        description: patch.description.flatten(),
        base_url: valid(patch.base_url)?,
        start_url: patch.start_url.flatten(),
        goal: patch.goal.flatten(),
        steps: patch.steps.unwrap_or_else(|| json!([])),
        selectors: patch.selectors.flatten(),
        dom_snapshot: patch.dom_snapshot.flatten(),
        status: patch.status.unwrap_or(FlowStatus::Draft).as_str(),
    };
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let flow = flows::create(&db, actor(caller, ctx), &id, &fields)?;
    Response::envelope(
        201,
        &json!({ "flow": flow.view() }),
        Some("Flow created successfully"),
    )
}

/// `GET /api/v1/flows?status=&limit=&offset=` -> `{success, data: {flows,
/// pagination}}`, newest first, without DOM snapshots.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let mut errors = Vec::new();
    let page = collect_all(
        crate::domain::Page::parse(
            ctx.query("limit").as_deref(),
            ctx.query("offset").as_deref(),
        ),
        &mut errors,
    );
    let status = match ctx.query("status").as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(s) => collect(FlowStatus::parse("status", s), &mut errors).map(Some),
    };
    check(errors)?;
    let (page, status) = (valid(page)?, valid(status)?);
    let db = db::open()?;
    let listed = flows::list(&db, &caller.user_id, status.map(FlowStatus::as_str), page)?;
    let views: Vec<_> = listed.items.iter().map(|f| f.summary()).collect();
    Response::envelope(
        200,
        &json!({ "flows": views, "pagination": pagination(page, listed.total) }),
        None,
    )
}

/// `GET /api/v1/flows/:id` -> `{success, data: {flow}}` with its DOM snapshot.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let id = row_id(ctx, "id", flows::not_found)?;
    let db = db::open()?;
    let flow = flows::get(&db, &id, &caller.user_id)?.ok_or_else(flows::not_found)?;
    Response::envelope(200, &json!({ "flow": flow.view() }), None)
}

/// `PUT /api/v1/flows/:id` with any of the create fields: those sent
/// replace the stored ones (null clears an optional one). Steps that differ
/// from the stored steps bump `version` -> `{success, message, data: {flow}}`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", flows::not_found)?;
    let limits = config::limits(ctx);
    let body = body(ctx)?;
    let patch = flow_patch(&body, limits, false)?;
    let db = db::open()?;
    let flow = flows::update(&db, actor(&caller, ctx), &id, |current| FlowFields {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        description: patch
            .description
            .unwrap_or_else(|| current.description.clone()),
        base_url: patch.base_url.unwrap_or_else(|| current.base_url.clone()),
        start_url: patch.start_url.unwrap_or_else(|| current.start_url.clone()),
        goal: patch.goal.unwrap_or_else(|| current.goal.clone()),
        steps: patch.steps.unwrap_or_else(|| current.steps.clone()),
        selectors: patch.selectors.unwrap_or_else(|| current.selectors.clone()),
        dom_snapshot: patch
            .dom_snapshot
            .unwrap_or_else(|| current.dom_snapshot.clone()),
        status: match patch.status {
            Some(s) => s.as_str(),
            None => {
                FlowStatus::parse("status", &current.status).map_or("draft", FlowStatus::as_str)
            }
        },
    })?;
    Response::envelope(
        200,
        &json!({ "flow": flow.view() }),
        Some("Flow updated successfully"),
    )
}

/// `DELETE /api/v1/flows/:id` -> `{success, message, data: {flow}}`; its
/// executions are deleted with it.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", flows::not_found)?;
    let db = db::open()?;
    let flow = flows::delete(&db, actor(&caller, ctx), &id)?;
    Response::envelope(
        200,
        &json!({ "flow": flow.summary() }),
        Some("Flow deleted successfully"),
    )
}

/// `POST /api/v1/flows/:id/executions {stepsTotal?}` (the body may be
/// empty) -> 201 `{success, message, data: {execution}}`: a `running`
/// execution of the flow's current version.
pub fn start(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let flow_id = row_id(ctx, "id", flows::not_found)?;
    let body = if ctx.request.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        body(ctx)?
    };
    let steps_total = parse_count(
        "stepsTotal",
        Field::of(&body, "stepsTotal").value(),
        MAX_STEP_COUNT,
    )
    .map_err(|e| ApiError::invalid_input(vec![e]))?;
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let execution = flows::start_execution(&db, actor(&caller, ctx), &flow_id, &id, steps_total)?;
    Response::envelope(
        201,
        &json!({ "execution": execution.view() }),
        Some("Execution started"),
    )
}

/// `POST /api/v1/flows/:id/executions/:execId/finish {status: success|failed,
/// durationMs?, stepsCompleted?, error?, log?, screenshotKeys?}` ->
/// `{success, message, data: {execution, flow}}`; the flow's statistics are
/// updated in the same transaction. A second finish is 409.
pub fn finish(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let flow_id = row_id(ctx, "id", flows::not_found)?;
    let id = row_id(ctx, "execId", flows::execution_not_found)?;
    let limits = config::limits(ctx);
    let body = body(ctx)?;
    let mut errors = Vec::new();
    let outcome = collect(
        string(&body, "status").and_then(|s| match s {
            Some(s) => Outcome::parse("status", s),
            None => Err(FieldError::new(
                "status",
                "is required (\"success\" or \"failed\")",
            )),
        }),
        &mut errors,
    );
    let duration_ms = collect(
        parse_count(
            "durationMs",
            Field::of(&body, "durationMs").value(),
            MAX_DURATION_MS,
        ),
        &mut errors,
    );
    let steps_completed = collect(
        parse_count(
            "stepsCompleted",
            Field::of(&body, "stepsCompleted").value(),
            MAX_STEP_COUNT,
        ),
        &mut errors,
    );
    let error_message = collect(optional_text(&body, "error", MAX_ERROR_CHARS), &mut errors);
    let log = collect(
        parse_log(
            "log",
            Field::of(&body, "log").value(),
            limits.max_execution_log_bytes,
        ),
        &mut errors,
    );
    let screenshot_keys = collect_all(
        parse_screenshot_keys("screenshotKeys", Field::of(&body, "screenshotKeys").value()),
        &mut errors,
    );
    check(errors)?;
    let finish = Finish {
        outcome: valid(outcome)?,
        duration_ms: valid(duration_ms)?,
        steps_completed: valid(steps_completed)?,
        error_message: valid(error_message)?,
        log: valid(log)?,
        screenshot_keys: valid(screenshot_keys)?,
    };
    let db = db::open()?;
    let (execution, flow) =
        flows::finish_execution(&db, actor(&caller, ctx), &flow_id, &id, &finish)?;
    Response::envelope(
        200,
        &json!({ "execution": execution.view(), "flow": flow.summary() }),
        Some("Execution finished"),
    )
}

/// `GET /api/v1/flows/:id/executions?limit=&offset=` -> `{success, data:
/// {executions, pagination}}`, newest first, without logs.
pub fn list_executions(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let flow_id = row_id(ctx, "id", flows::not_found)?;
    let page = page(ctx)?;
    let db = db::open()?;
    let listed = flows::list_executions(&db, &flow_id, &caller.user_id, page)?;
    let views: Vec<_> = listed.items.iter().map(|e| e.summary()).collect();
    Response::envelope(
        200,
        &json!({ "executions": views, "pagination": pagination(page, listed.total) }),
        None,
    )
}

/// `GET /api/v1/flows/:id/executions/:execId` -> `{success, data: {execution}}`
/// with its log.
pub fn get_execution(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let flow_id = row_id(ctx, "id", flows::not_found)?;
    let id = row_id(ctx, "execId", flows::execution_not_found)?;
    let db = db::open()?;
    let execution = flows::get_execution(&db, &flow_id, &id, &caller.user_id)?
        .ok_or_else(flows::execution_not_found)?;
    Response::envelope(200, &json!({ "execution": execution.view() }), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::InvalidInput { details, .. } => {
                details.into_iter().map(|d| d.field).collect()
            }
            other => panic!("expected 400, got {other:?}"),
        }
    }

    #[test]
    fn create_needs_a_name_and_a_base_url() {
        let e = flow_patch(&body(json!({})), Limits::default(), true).expect_err("invalid");
        assert_eq!(fields(e), ["name", "baseUrl"]);
        let p = flow_patch(
            &body(json!({ "name": "Checkout", "baseUrl": "https://shop.example" })),
            Limits::default(),
            true,
        )
        .expect("valid");
        assert_eq!(p.name.as_deref(), Some("Checkout"));
        assert!(p.steps.is_none() && p.status.is_none());
    }

    #[test]
    fn an_update_reads_only_the_fields_sent_and_null_clears() {
        let p = flow_patch(
            &body(json!({ "goal": null, "status": "active" })),
            Limits::default(),
            false,
        )
        .expect("valid");
        assert!(p.name.is_none() && p.base_url.is_none() && p.description.is_none());
        assert_eq!(p.goal, Some(None));
        assert_eq!(p.status, Some(FlowStatus::Active));
    }

    #[test]
    fn every_bad_field_is_named() {
        let limits = Limits {
            max_flow_steps: 1,
            ..Limits::default()
        };
        let e = flow_patch(
            &body(json!({
                "name": 3, "baseUrl": "ftp://x", "startUrl": "nope", "steps": [{}, {}],
                "selectors": "div", "domSnapshot": 5, "status": "done", "goal": ["x"]
            })),
            limits,
            false,
        )
        .expect_err("invalid");
        assert_eq!(
            fields(e),
            [
                "name",
                "baseUrl",
                "startUrl",
                "goal",
                "steps",
                "selectors",
                "domSnapshot",
                "status"
            ]
        );
    }

    #[test]
    fn json_values_keep_their_shape() {
        let b = body(json!({ "a": {"x": 1}, "b": "<html/>", "c": null }));
        assert_eq!(
            json_value(&b, "a", false).expect("ok"),
            Some(json!({"x": 1}))
        );
        assert_eq!(
            json_value(&b, "b", true).expect("ok"),
            Some(json!("<html/>"))
        );
        assert!(json_value(&b, "b", false).is_err());
        assert_eq!(json_value(&b, "c", true).expect("ok"), None);
        assert_eq!(json_value(&b, "missing", true).expect("ok"), None);
    }
}
