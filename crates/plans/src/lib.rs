//! Billing plans and their limits: the one tier table of BrowserCloud.
//!
//! Every team is on one plan. `free` is the plan of every team without a
//! subscription; `pro` and `team` are set by Stripe subscription events
//! (`components/billing`, table `team_billing` of `migrations/0008_billing.sql`).
//! Each plan has three limits, each a Spin variable with a default:
//!
//! | limit | variable | free | pro | team |
//! |---|---|---|---|---|
//! | profiles per team | `billing_<plan>_max_profiles` | 10 | 100 | 1000 |
//! | members per team | `billing_<plan>_max_members` | 3 | 10 | 50 |
//! | requests per minute, the whole team | `billing_<plan>_requests_per_minute` | 600 | 3000 | 10000 |
//!
//! Where each is enforced, with [`store::check`] inside the transaction that
//! creates the thing: profiles on `POST /api/profiles` (components/profiles),
//! members on `POST /api/teams/:id/invitations` and on accepting one
//! (components/teams). The per-minute budget is a key-value counter per team
//! in the `identity` provider (components/identity), next to the per-credential
//! and per-user counters (`rate_limit_per_minute`, `rate_limit_user_per_minute`),
//! which stay as they are: a request must fit all three.
//!
//! Over a limit: 409 `plan_limit_reached`, naming the plan and the limit.
//!
//! [`Plan`], [`Limits`], [`limits_with`] and [`limit_reached`] are plain Rust
//! (unit-tested); [`limits`] reads the Spin variables; [`store`] reads a
//! team's plan from SQLite.

use edge::ApiError;
use serde::Serialize;

/// A billing plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Team,
}

impl Plan {
    /// Every plan, cheapest first.
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Pro, Plan::Team];

    /// The plan's name in the API, the database and variable names.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Team => "team",
        }
    }

    /// The plan from its API name.
    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The plan's name for people (`Free`), in error messages.
    pub fn title(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Pro => "Pro",
            Plan::Team => "Team",
        }
    }

    /// The plan's limits when no variable changes them.
    pub fn defaults(self) -> Limits {
        match self {
            Plan::Free => Limits {
                profiles: 10,
                members: 3,
                requests_per_minute: 600,
            },
            Plan::Pro => Limits {
                profiles: 100,
                members: 10,
                requests_per_minute: 3000,
            },
            Plan::Team => Limits {
                profiles: 1000,
                members: 50,
                requests_per_minute: 10_000,
            },
        }
    }
}

/// One limit of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Profiles one team may have.
    Profiles,
    /// Members one team may have (the owner included).
    Members,
    /// Authenticated requests per minute, all the team's credentials together.
    RequestsPerMinute,
}

impl Limit {
    pub const ALL: [Limit; 3] = [Limit::Profiles, Limit::Members, Limit::RequestsPerMinute];

    /// The limit's part of its variable's name.
    fn variable_suffix(self) -> &'static str {
        match self {
            Limit::Profiles => "max_profiles",
            Limit::Members => "max_members",
            Limit::RequestsPerMinute => "requests_per_minute",
        }
    }

    /// What the limit counts, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Limit::Profiles => "profiles per team",
            Limit::Members => "members per team",
            Limit::RequestsPerMinute => "requests per minute",
        }
    }

    /// The limit's key in the API's `limits` and `usage` objects.
    pub fn api_name(self) -> &'static str {
        match self {
            Limit::Profiles => "profiles",
            Limit::Members => "members",
            Limit::RequestsPerMinute => "requestsPerMinute",
        }
    }
}

/// A plan's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub profiles: u32,
    pub members: u32,
    pub requests_per_minute: u32,
}

impl Limits {
    /// One limit's value.
    pub fn get(&self, limit: Limit) -> u32 {
        match limit {
            Limit::Profiles => self.profiles,
            Limit::Members => self.members,
            Limit::RequestsPerMinute => self.requests_per_minute,
        }
    }
}

/// The variable holding `limit` of `plan`: `billing_free_max_profiles`.
pub fn variable_name(plan: Plan, limit: Limit) -> String {
    format!("billing_{}_{}", plan.as_str(), limit.variable_suffix())
}

/// Looks a variable up: `Ok(None)` when it is not set for the component.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

/// `limit` of `plan`, from its variable through `lookup`; unset or empty
/// means the default. Anything but a positive whole number is an error
/// naming the variable (a deployment mistake, answered 500 and logged).
pub fn limit_with(plan: Plan, limit: Limit, lookup: Lookup<'_>) -> Result<u32, String> {
    let name = variable_name(plan, limit);
    match lookup(&name)? {
        Some(raw) if !raw.trim().is_empty() => match raw.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "variable {name} = {raw:?} is not a positive whole number"
            )),
        },
        _ => Ok(plan.defaults().get(limit)),
    }
}

/// Every limit of `plan` through `lookup` (see [`limit_with`]).
pub fn limits_with(plan: Plan, lookup: Lookup<'_>) -> Result<Limits, String> {
    Ok(Limits {
        profiles: limit_with(plan, Limit::Profiles, lookup)?,
        members: limit_with(plan, Limit::Members, lookup)?,
        requests_per_minute: limit_with(plan, Limit::RequestsPerMinute, lookup)?,
    })
}

/// `limit` of `plan`, from the component's Spin variables.
pub fn limit(plan: Plan, limit: Limit) -> Result<u32, String> {
    limit_with(plan, limit, &edge::spin::variable)
}

/// Every limit of `plan`, from the component's Spin variables.
pub fn limits(plan: Plan) -> Result<Limits, String> {
    limits_with(plan, &edge::spin::variable)
}

/// The answer when a team on `plan` already has `max` of `limit`: 409
/// `plan_limit_reached`, naming the plan and the limit.
pub fn limit_reached(plan: Plan, limit: Limit, max: u32) -> ApiError {
    ApiError::conflict(
        "plan_limit_reached",
        format!(
            "The {} plan allows {max} {}, and this team has reached it; upgrade the plan \
             (GET /api/billing shows the plan, its limits and the usage)",
            plan.title(),
            limit.describe()
        ),
    )
}

/// Length of a rate-limit window, seconds (the `identity` provider's).
pub const RATE_WINDOW_SECS: u64 = 60;

/// The key-value key of a team's request counter in window `window`
/// (unix seconds / [`RATE_WINDOW_SECS`]): incremented by `identity` on every
/// authenticated request, read by `GET /api/billing`.
pub fn team_counter_key(team_id: &str, window: u64) -> String {
    format!("rl:team:{team_id}:{window}")
}

/// A team's plan in SQLite (`team_billing`), and the limit check.
pub mod store {
    use edge::ApiError;
    use edge::db::{self, Connection};

    use crate::{Limit, Plan};

    /// A team without a row is on the free plan.
    const SELECT_TEAM_PLAN: &str = "SELECT plan FROM team_billing WHERE team_id = ?";

    /// The team's plan (`free` when it has never had a subscription).
    pub fn team_plan(db: &Connection, team_id: &str) -> Result<Plan, ApiError> {
        let result = db::execute(
            db,
            "selecting team plan",
            SELECT_TEAM_PLAN,
            &[db::text_param(team_id)],
        )?;
        match result.rows.first() {
            None => Ok(Plan::Free),
            Some(row) => {
                let name = db::text(row, 0, "team_billing.plan")?;
                Plan::parse(&name)
                    .ok_or_else(|| ApiError::internal(format!("team_billing.plan {name:?}")))
            }
        }
    }

    /// 409 `plan_limit_reached` when a team that has `current` of `limit`
    /// may not get one more on its plan. Call it inside the transaction
    /// that creates the thing, after counting, so that two concurrent
    /// creations cannot both pass.
    pub fn check(
        db: &Connection,
        team_id: &str,
        limit: Limit,
        current: i64,
    ) -> Result<(), ApiError> {
        let plan = team_plan(db, team_id)?;
        let max = crate::limit(plan, limit).map_err(ApiError::internal)?;
        if current >= i64::from(max) {
            Err(crate::limit_reached(plan, limit, max))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Result<Option<String>, String> {
        Ok(None)
    }

    #[test]
    fn plans_round_trip_and_grow_with_the_price() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Some(plan));
        }
        assert_eq!(Plan::parse("Pro"), None);
        assert_eq!(Plan::parse("enterprise"), None);
        for pair in Plan::ALL.windows(2) {
            let (lower, higher) = (pair[0].defaults(), pair[1].defaults());
            for limit in Limit::ALL {
                assert!(
                    lower.get(limit) < higher.get(limit),
                    "{limit:?}: {lower:?} vs {higher:?}"
                );
            }
        }
    }

    #[test]
    fn variables_are_named_by_plan_and_limit() {
        assert_eq!(
            variable_name(Plan::Free, Limit::Profiles),
            "billing_free_max_profiles"
        );
        assert_eq!(
            variable_name(Plan::Team, Limit::Members),
            "billing_team_max_members"
        );
        assert_eq!(
            variable_name(Plan::Pro, Limit::RequestsPerMinute),
            "billing_pro_requests_per_minute"
        );
    }

    #[test]
    fn unset_or_empty_variables_take_the_default() {
        assert_eq!(limits_with(Plan::Free, &none), Ok(Plan::Free.defaults()));
        let empty = |_: &str| Ok(Some("  ".to_owned()));
        assert_eq!(limits_with(Plan::Team, &empty), Ok(Plan::Team.defaults()));
    }

    #[test]
    fn a_variable_overrides_its_own_limit_only() {
        let lookup =
            |name: &str| Ok((name == "billing_free_max_profiles").then(|| " 2 ".to_owned()));
        let free = limits_with(Plan::Free, &lookup).expect("valid");
        assert_eq!(free.profiles, 2);
        assert_eq!(free.members, Plan::Free.defaults().members);
        assert_eq!(
            limits_with(Plan::Pro, &lookup).expect("valid"),
            Plan::Pro.defaults()
        );
    }

    #[test]
    fn a_bad_variable_is_an_error_naming_it() {
        for bad in ["0", "-1", "ten", "1.5", "99999999999"] {
            let lookup = |_: &str| Ok(Some(bad.to_owned()));
            let err = limit_with(Plan::Pro, Limit::Members, &lookup).expect_err(bad);
            assert!(err.contains("billing_pro_max_members"), "{err}");
        }
        let failing = |_: &str| Err("host error".to_owned());
        assert_eq!(
            limit_with(Plan::Free, Limit::Profiles, &failing),
            Err("host error".to_owned())
        );
    }

    #[test]
    fn the_limit_error_is_a_409_naming_the_plan_and_the_limit() {
        let e = limit_reached(Plan::Free, Limit::Profiles, 10);
        assert_eq!(e.status(), 409);
        assert_eq!(e.code(), "plan_limit_reached");
        let ApiError::Conflict { message, .. } = e else {
            panic!("a conflict");
        };
        assert!(
            message.contains("Free plan allows 10 profiles per team"),
            "{message}"
        );
        let e = limit_reached(Plan::Pro, Limit::Members, 10);
        let ApiError::Conflict { message, .. } = e else {
            panic!("a conflict");
        };
        assert!(
            message.contains("Pro plan allows 10 members per team"),
            "{message}"
        );
    }

    #[test]
    fn limits_serialise_with_the_api_names() {
        let v = serde_json::to_value(Plan::Free.defaults()).expect("json");
        for limit in Limit::ALL {
            assert!(v[limit.api_name()].is_u64(), "{v}");
        }
        assert_eq!(serde_json::to_value(Plan::Team).expect("json"), "team");
    }

    #[test]
    fn team_counters_are_per_team_and_window() {
        assert_eq!(team_counter_key("t1", 7), "rl:team:t1:7");
        assert_ne!(team_counter_key("t1", 7), team_counter_key("t1", 8));
    }
}
