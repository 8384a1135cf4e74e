//! The component's limits, from Spin variables (`spin.toml`), each with a
//! default used when the variable is not declared; a value that is not a
//! positive whole number is logged and replaced by the default.

/// Variable: most test cases in one test plan.
pub const VAR_MAX_TEST_CASES: &str = "max_test_cases";
/// Variable: most steps in one flow.
pub const VAR_MAX_FLOW_STEPS: &str = "max_flow_steps";
/// Variable: largest execution log, in bytes of JSON.
pub const VAR_MAX_EXECUTION_LOG_BYTES: &str = "max_execution_log_bytes";

pub const DEFAULT_MAX_TEST_CASES: usize = 200;
pub const DEFAULT_MAX_FLOW_STEPS: usize = 500;
pub const DEFAULT_MAX_EXECUTION_LOG_BYTES: usize = 256 * 1024;

/// Size limits on what clients store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_test_cases: usize,
    pub max_flow_steps: usize,
    pub max_execution_log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_test_cases: DEFAULT_MAX_TEST_CASES,
            max_flow_steps: DEFAULT_MAX_FLOW_STEPS,
            max_execution_log_bytes: DEFAULT_MAX_EXECUTION_LOG_BYTES,
        }
    }
}

/// Reads the limits; `ctx` is only used to log a bad value.
pub fn limits(ctx: &edge::Ctx) -> Limits {
    let d = Limits::default();
    Limits {
        max_test_cases: number(ctx, VAR_MAX_TEST_CASES, d.max_test_cases),
        max_flow_steps: number(ctx, VAR_MAX_FLOW_STEPS, d.max_flow_steps),
        max_execution_log_bytes: number(
            ctx,
            VAR_MAX_EXECUTION_LOG_BYTES,
            d.max_execution_log_bytes,
        ),
    }
}

fn number(ctx: &edge::Ctx, name: &str, default: usize) -> usize {
    match edge::spin::variable(name) {
        Ok(None) => default,
        Ok(Some(v)) => parse_positive(&v).unwrap_or_else(|| {
            ctx.log(format!(
                "variable {name} = {v:?} is not a positive whole number; using {default}"
            ));
            default
        }),
        Err(e) => {
            ctx.log(format!("{e}; using {default}"));
            default
        }
    }
}

fn parse_positive(raw: &str) -> Option<usize> {
    raw.trim().parse::<usize>().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_whole_numbers_are_limits() {
        assert_eq!(parse_positive(" 42 "), Some(42));
        assert_eq!(parse_positive("0"), None);
        assert_eq!(parse_positive("-3"), None);
        assert_eq!(parse_positive("1e3"), None);
    }
}
