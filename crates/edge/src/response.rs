//! Responses, and the two success styles the API uses:
//! plain JSON objects for the desktop routes (`{"profiles":[...],"total":3}`)
//! and the `{"success":true,"data":{...},"message"?}` envelope for seed 001's
//! `/api/v1/*` routes.

use serde::Serialize;

use crate::error::ApiError;

/// A response before it is handed to Spin. Header names are lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    success: bool,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

impl Response {
    /// `body` serialized as a plain JSON object (desktop style).
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ApiError::internal(format!("serializing response: {e}")))?;
        Ok(Self::raw_json(status, bytes))
    }

    /// `{"success":true,"data":…,"message":…}` (seed 001 style).
    pub fn envelope<T: Serialize>(
        status: u16,
        data: &T,
        message: Option<&str>,
    ) -> Result<Self, ApiError> {
        Self::json(
            status,
            &Envelope {
                success: true,
                data,
                message,
            },
        )
    }

    /// Bytes that already are JSON.
    pub fn raw_json(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }

    /// 204 with no body.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sets a header, replacing any earlier value of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
    }

    /// Builder form of [`Response::set_header`].
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_header(name, value);
        self
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn the_envelope_wraps_data_and_an_optional_message() {
        let r = Response::envelope(
            201,
            &json!({"project": {"id": "p1"}}),
            Some("Project created successfully"),
        )
        .expect("serializes");
        let body: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(
            body,
            json!({"success":true,"data":{"project":{"id":"p1"}},"message":"Project created successfully"})
        );
        let r = Response::envelope(200, &json!({}), None).expect("serializes");
        let body: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(body, json!({"success":true,"data":{}}));
    }

    #[test]
    fn plain_json_is_the_object_itself() {
        let r = Response::json(200, &json!({"profiles": [], "total": 0})).expect("serializes");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let body: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(body, json!({"profiles": [], "total": 0}));
    }

    #[test]
    fn set_header_replaces() {
        let r = Response::no_content()
            .with_header("X-A", "1")
            .with_header("x-a", "2");
        assert_eq!(r.headers, vec![("x-a".to_string(), "2".to_string())]);
    }
}
