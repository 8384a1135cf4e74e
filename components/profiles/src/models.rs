//! Rows (converted from SQLite with `TryFrom`) and the JSON views the API
//! returns (camelCase, timestamps in ms since the epoch). Sealed proxy
//! credentials never leave this layer except through the launch response.

use edge::ApiError;
use edge::db::{self, RowResult};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::fingerprint::Fingerprint;

/// A `profiles` row with its lock row's holder columns.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub team_id: String,
    pub owner_id: String,
    pub name: String,
    pub group_id: Option<String>,
    /// The group's name, joined in (the published clients show it).
    pub group_name: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub template_id: String,
    pub fingerprint_seed: String,
    pub fingerprint: Fingerprint,
    pub proxy_id: Option<String>,
    pub own_proxy: Option<OwnProxy>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active: i64,
    pub launch_count: i64,
    pub lock: Option<LockRow>,
}

/// A profile's own proxy (instead of a team proxy).
#[derive(Debug, Clone)]
pub struct OwnProxy {
    pub scheme: String,
    pub host: String,
    pub port: i64,
    pub credentials: Option<String>,
}

/// The holder columns of `profile_locks`.
#[derive(Debug, Clone)]
pub struct LockRow {
    pub client_id: String,
    pub user_id: Option<String>,
    pub acquired_at: Option<i64>,
    pub expires_at: i64,
}

impl LockRow {
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

/// Reads the columns of `persistence::profiles::profile_columns!`, in order.
impl TryFrom<&RowResult> for Profile {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let tags: Vec<String> = serde_json::from_str(&db::text(row, 5, "profiles.tags")?)
            .map_err(|e| ApiError::internal(format!("profiles.tags: {e}")))?;
        let fingerprint: Fingerprint =
            serde_json::from_str(&db::text(row, 9, "profiles.fingerprint")?)
                .map_err(|e| ApiError::internal(format!("profiles.fingerprint: {e}")))?;
        let own_proxy = match db::opt_text(row, 11, "profiles.proxy_scheme")? {
            None => None,
            Some(scheme) => Some(OwnProxy {
                scheme,
                host: db::text(row, 12, "profiles.proxy_host")?,
                port: db::int(row, 13, "profiles.proxy_port")?,
                credentials: db::opt_text(row, 14, "profiles.proxy_credentials")?,
            }),
        };
        let lock = match db::opt_text(row, 19, "profile_locks.client_id")? {
            None => None,
            Some(client_id) => Some(LockRow {
                client_id,
                user_id: db::opt_text(row, 20, "profile_locks.user_id")?,
                acquired_at: db::opt_int(row, 21, "profile_locks.acquired_at")?,
                expires_at: db::opt_int(row, 22, "profile_locks.expires_at")?.unwrap_or(0),
            }),
        };
        Ok(Self {
            id: db::text(row, 0, "profiles.id")?,
            team_id: db::text(row, 1, "profiles.team_id")?,
            owner_id: db::text(row, 2, "profiles.owner_id")?,
            name: db::text(row, 3, "profiles.name")?,
            group_id: db::opt_text(row, 4, "profiles.group_id")?,
            group_name: db::opt_text(row, 23, "profile_groups.name")?,
            tags,
            notes: db::text(row, 6, "profiles.notes")?,
            template_id: db::text(row, 7, "profiles.template_id")?,
            fingerprint_seed: db::text(row, 8, "profiles.fingerprint_seed")?,
            fingerprint,
            proxy_id: db::opt_text(row, 10, "profiles.proxy_id")?,
            own_proxy,
            created_at: db::int(row, 15, "profiles.created_at")?,
            updated_at: db::int(row, 16, "profiles.updated_at")?,
            last_active: db::int(row, 17, "profiles.last_active")?,
            launch_count: db::int(row, 18, "profiles.launch_count")?,
            lock,
        })
    }
}

impl Profile {
    /// The profile as the API shows it: no credentials, the lock only while
    /// it is live (and never its token).
    pub fn view(&self, now: i64) -> Value {
        let proxy = self.own_proxy.as_ref().map(|p| {
            json!({
                "scheme": p.scheme,
                "host": p.host,
                "port": p.port,
                "hasCredentials": p.credentials.is_some(),
            })
        });
        let lock = self.lock.as_ref().filter(|l| l.is_live(now)).map(|l| {
            json!({
                "clientId": l.client_id,
                "userId": l.user_id,
                "since": l.acquired_at,
                "expiresAt": l.expires_at,
            })
        });
        json!({
            "id": self.id,
            "name": self.name,
            "groupId": self.group_id,
            "groupName": self.group_name,
            "tags": self.tags,
            "notes": self.notes,
            "teamId": self.team_id,
            "ownerId": self.owner_id,
            "templateId": self.template_id,
            "fingerprintSeed": self.fingerprint_seed,
            "fingerprint": self.fingerprint,
            "timezone": self.fingerprint.timezone,
            "language": self.fingerprint.language,
            "proxyId": self.proxy_id,
            "proxy": proxy,
            "lock": lock,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "lastActive": self.last_active,
            "launchCount": self.launch_count,
        })
    }
}

/// A `profile_groups` row with its profile count.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub description: Option<String>,
    pub profile_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Reads the columns of `persistence::groups::group_columns!`, in order.
impl TryFrom<&RowResult> for Group {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "profile_groups.id")?,
            name: db::text(row, 1, "profile_groups.name")?,
            color: db::opt_text(row, 2, "profile_groups.color")?,
            description: db::opt_text(row, 6, "profile_group_details.description")?,
            profile_count: db::int(row, 3, "profile_count")?,
            created_at: db::int(row, 4, "profile_groups.created_at")?,
            updated_at: db::int(row, 5, "profile_groups.updated_at")?,
        })
    }
}

/// A `proxies` row. The sealed credentials stay in the row.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub id: String,
    pub name: String,
    pub scheme: String,
    pub host: String,
    pub port: i64,
    pub credentials: Option<String>,
    pub profile_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Reads the columns of `persistence::proxies::proxy_columns!`, in order.
impl TryFrom<&RowResult> for Proxy {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "proxies.id")?,
            name: db::text(row, 1, "proxies.name")?,
            scheme: db::text(row, 2, "proxies.scheme")?,
            host: db::text(row, 3, "proxies.host")?,
            port: db::int(row, 4, "proxies.port")?,
            credentials: db::opt_text(row, 5, "proxies.credentials")?,
            profile_count: db::int(row, 6, "profile_count")?,
            created_at: db::int(row, 7, "proxies.created_at")?,
            updated_at: db::int(row, 8, "proxies.updated_at")?,
        })
    }
}

impl Proxy {
    /// The proxy as lists and gets show it: never the credentials.
    pub fn view(&self) -> Value {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        json!({
            "id": self.id,
            "name": self.name,
            "scheme": self.scheme,
            "host": self.host,
            "port": self.port,
            "url": format!("{}://{host}:{}", self.scheme, self.port),
            "hasCredentials": self.credentials.is_some(),
            "profileCount": self.profile_count,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}
