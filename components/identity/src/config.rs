//! The provider's variables (inherited from the component it is plugged into).

use credentials::JwtSecret;

/// Variable: HS256 secret for session tokens (required, secret, ≥ 32 bytes).
pub const VAR_JWT_SECRET: &str = "jwt_secret";
/// Variable: requests per minute for one API key or one session.
pub const VAR_RATE_LIMIT_PER_MINUTE: &str = "rate_limit_per_minute";
/// Variable: requests per minute for one user, across all their credentials.
pub const VAR_RATE_LIMIT_USER_PER_MINUTE: &str = "rate_limit_user_per_minute";

pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;
pub const DEFAULT_RATE_LIMIT_USER_PER_MINUTE: u32 = 1200;

/// Per-minute budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per API key or session.
    pub per_credential: u32,
    /// Per user.
    pub per_user: u32,
    /// Per team: its billing plan's `requests_per_minute`.
    pub per_team: u32,
}

/// Reads the budgets for a team on `plan`; an undeclared variable takes its
/// default (`billing_<plan>_requests_per_minute`: see `crates/plans`).
pub fn limits(plan: plans::Plan) -> Result<Limits, String> {
    Ok(Limits {
        per_credential: number(VAR_RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE)?,
        per_user: number(
            VAR_RATE_LIMIT_USER_PER_MINUTE,
            DEFAULT_RATE_LIMIT_USER_PER_MINUTE,
        )?,
        per_team: plans::limit(plan, plans::Limit::RequestsPerMinute)?,
    })
}

/// Reads and checks `jwt_secret`.
pub fn jwt_secret() -> Result<JwtSecret, String> {
    let raw = edge::spin::variable(VAR_JWT_SECRET)?
        .ok_or_else(|| format!("variable {VAR_JWT_SECRET} is not set for this component"))?;
    JwtSecret::new(&raw).map_err(|e| e.to_string())
}

fn number(name: &str, default: u32) -> Result<u32, String> {
    match edge::spin::variable(name)? {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "variable {name} = {v:?} is not a positive whole number"
            )),
        },
    }
}
