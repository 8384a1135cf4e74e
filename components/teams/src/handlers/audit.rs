//! `GET /api/audit`: the audit log of the caller's team, for its admins.

use edge::{ApiError, Ctx, FieldError, Response, db};
use serde_json::json;

use crate::persistence::{self, AuditFilter};
use roles::{Permission, Role};

/// Cursor prefix: the cursor is opaque to clients (`"a" + hex(last id)`).
const CURSOR_PREFIX: &str = "a";

/// Encodes the id of the last entry of a page as the next page's cursor.
pub fn encode_cursor(last_id: i64) -> String {
    format!("{CURSOR_PREFIX}{}", hex::encode(last_id.to_be_bytes()))
}

/// The id a cursor stands for.
pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = hex::decode(cursor.strip_prefix(CURSOR_PREFIX)?).ok()?;
    let bytes: [u8; 8] = bytes.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|id| *id > 0)
}

fn text_filter(ctx: &Ctx, name: &str) -> Result<Option<String>, FieldError> {
    match ctx.query(name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() || v.len() > 200 => {
            Err(FieldError::new(name, "must be 1-200 characters when given"))
        }
        Some(v) => Ok(Some(v.trim().to_owned())),
    }
}

/// `GET /api/audit?action&targetType&targetId&userId&from&to&limit&cursor|offset`
/// -> `{entries, nextCursor, limit, offset, total}`: newest first; `from` /
/// `to` are ms since the epoch, inclusive; `nextCursor` is null on the last
/// page; `total` counts every match. Entries carry the actor's `userName`
/// and the request's `ipAddress` and `userAgent` when known.
/// The team is the caller's (the credential's team), or `teamId` if the
/// caller is a member of it; admins and owners only.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team_id, role) = match ctx.query("teamId") {
        None => (
            caller.team_id.clone(),
            platform_bindings::role_of(caller.role),
        ),
        Some(id) => {
            let team = if super::is_id(&id) {
                persistence::team_of_member(&db, &id, &caller.user_id)?
            } else {
                None
            };
            let team = team.ok_or_else(super::team_not_found)?;
            let role = Role::parse(team.role).ok_or_else(|| ApiError::internal("team role"))?;
            (team.id, role)
        }
    };
    roles::require(role, Permission::ViewAudit)?;

    let action = text_filter(ctx, "action");
    let target_type = text_filter(ctx, "targetType");
    let target_id = text_filter(ctx, "targetId");
    let user_id = text_filter(ctx, "userId");
    let from = super::int_query(ctx, "from", None, 0, i64::MAX);
    let to = super::int_query(ctx, "to", None, 0, i64::MAX);
    let limit = super::int_query(ctx, "limit", Some(50), 1, 100);
    let offset = super::int_query(ctx, "offset", Some(0), 0, 1_000_000);
    let cursor = match ctx.query("cursor") {
        None => Ok(None),
        Some(c) => decode_cursor(c.trim())
            .map(Some)
            .ok_or_else(|| FieldError::new("cursor", "is not a cursor from a previous page")),
    };
    let paged_twice = match (&offset, &cursor) {
        (Ok(Some(o)), Ok(Some(_))) if *o > 0 => {
            Some(FieldError::new("offset", "cannot be combined with cursor"))
        }
        _ => None,
    };
    let range = match (&from, &to) {
        (Ok(Some(f)), Ok(Some(t))) if f > t => {
            Some(FieldError::new("to", "must not be before from"))
        }
        _ => None,
    };
    super::all_valid_query(vec![
        action.as_ref().err().cloned(),
        target_type.as_ref().err().cloned(),
        target_id.as_ref().err().cloned(),
        user_id.as_ref().err().cloned(),
        from.as_ref().err().cloned(),
        to.as_ref().err().cloned(),
        range,
        paged_twice,
        limit.as_ref().err().cloned(),
        offset.as_ref().err().cloned(),
        cursor.as_ref().err().cloned(),
    ])?;
    let (
        Ok(action),
        Ok(target_type),
        Ok(target_id),
        Ok(user_id),
        Ok(from),
        Ok(to),
        Ok(Some(limit)),
        Ok(Some(offset)),
        Ok(before_id),
    ) = (
        action,
        target_type,
        target_id,
        user_id,
        from,
        to,
        limit,
        offset,
        cursor,
    )
    else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };

    let filter = AuditFilter {
        team_id,
        action,
        target_type,
        target_id,
        user_id,
        from,
        to,
        before_id,
        limit: limit + 1,
        offset,
    };
    let mut entries = persistence::audit_page(&db, &filter)?;
    let total = persistence::audit_total(&db, &filter)?;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        entries.last().map(|e| encode_cursor(e.id))
    } else {
        None
    };
    Response::json(
        200,
        &json!({
            "entries": entries,
            "nextCursor": next_cursor,
            "limit": limit,
            "offset": offset,
            "total": total,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for id in [1, 42, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        }
        for bad in [
            "",
            "a",
            "42",
            "azz",
            "a00",
            &encode_cursor(0),
            &encode_cursor(-1),
        ] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
