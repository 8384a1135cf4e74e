//! `GET /api/v1/health/system`: the dashboard's health page and home
//! widget, computed from the team's own data. A profile is healthy when
//! its fingerprint validates clean (the same check as `POST
//! /api/fingerprints/validate`), warning with warnings, critical with
//! errors. Proxies are counted as unchecked until the proxy checks exist;
//! `sync.lastSync` is the team's newest pushed session.

use std::time::Instant;

use edge::db::{self, Value as Sql};
use edge::v1;
use edge::{ApiError, Ctx, Response};
use serde_json::json;

use crate::domain::fingerprint;
use crate::domain::query::{Page, ProfileQuery, RawProfileQuery};
use crate::handlers::caller;
use crate::persistence::profiles;

/// Most profiles one report looks at (newest activity first).
const MAX_PROFILES: u32 = 100;

const TEAM_FACTS: &str = "\
    SELECT (SELECT COUNT(*) FROM profiles WHERE team_id = ?1), \
           (SELECT COUNT(*) FROM proxies WHERE team_id = ?1), \
           (SELECT MAX(created_at) FROM session_versions WHERE team_id = ?1)";

pub fn system(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = caller(ctx, "profiles:read")?;
        let started = Instant::now();
        let db = db::open()?;
        let row = db::one_row(
            &db,
            "reading team facts",
            TEAM_FACTS,
            &[Sql::Text(caller.team_id.clone())],
        )?;
        let total = db::int(&row, 0, "profile count")?;
        let proxies = db::int(&row, 1, "proxy count")?;
        let last_sync = db::opt_int(&row, 2, "last sync")?;
        let latency = started.elapsed().as_millis();

        let q =
            ProfileQuery::parse(&RawProfileQuery::default()).map_err(ApiError::invalid_input)?;
        let q = ProfileQuery {
            page: Page {
                limit: MAX_PROFILES,
                offset: 0,
            },
            ..q
        };
        let page = profiles::list(&db, &caller.team_id, &q)?;
        let (mut healthy, mut warning, mut critical) = (0, 0, 0);
        for p in &page.profiles {
            let report = fingerprint::validate(&p.fingerprint);
            if !report.valid {
                critical += 1;
            } else if !report.warnings.is_empty() {
                warning += 1;
            } else {
                healthy += 1;
            }
        }
        let checked = healthy + warning + critical;
        let score = if checked == 0 {
            100
        } else {
            (healthy * 100 + warning * 50) / checked
        };
        let overall = if checked == 0 {
            "unknown"
        } else if critical > 0 {
            "critical"
        } else if warning > 0 {
            "warning"
        } else {
            "healthy"
        };
        Response::json(
            200,
            &json!({
                "overall": overall,
                "score": score,
                "profiles": { "healthy": healthy, "warning": warning, "critical": critical, "total": total, "checked": checked },
                "proxies": { "working": 0, "failed": 0, "unchecked": proxies, "total": proxies, "averageLatency": 0 },
                "sync": { "lastSync": last_sync, "pendingChanges": 0, "status": "synced" },
                "api": { "status": "operational", "latency": latency, "errorRate": 0 },
            }),
        )
    })();
    v1::answer(ctx, result, Ok)
}
