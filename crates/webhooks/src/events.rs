//! The events a webhook can subscribe to, and the envelope every delivery
//! carries:
//!
//! ```json
//! {"id":"<event id>","type":"profile.launched","createdAt":1795327035019,"teamId":"…","data":{…}}
//! ```
//!
//! `id` is the event's (the same in every delivery and retry of it, also
//! sent as `Webhook-Id`, so a receiver can drop duplicates).

use serde_json::{Value, json};

/// An event a component emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A client took a profile's launch lock (profiles, `POST …/launch`).
    ProfileLaunched,
    /// The holder gave the lock up (profiles, `POST …/release`).
    ProfileReleased,
    /// A launch took over another client's stale lock (profiles).
    LockTakenOver,
    /// A push was refused as stale: `If-Match` named another hash (sync, 412).
    SyncConflict,
    /// Someone accepted an invitation and joined the team (teams).
    MemberJoined,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::ProfileLaunched,
        Event::ProfileReleased,
        Event::LockTakenOver,
        Event::SyncConflict,
        Event::MemberJoined,
    ];

    /// The API name.
    pub fn name(self) -> &'static str {
        match self {
            Event::ProfileLaunched => "profile.launched",
            Event::ProfileReleased => "profile.released",
            Event::LockTakenOver => "lock.taken_over",
            Event::SyncConflict => "sync.conflict",
            Event::MemberJoined => "member.joined",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// The names, for messages: `profile.launched, profile.released, …`.
pub fn names() -> String {
    Event::ALL
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A webhook's subscription: 1 to 5 distinct known event names, in the
/// canonical order. Errors say what is wrong, for the field `events`.
pub fn parse_list(raw: &[String]) -> Result<Vec<Event>, String> {
    if raw.is_empty() {
        return Err(format!("must name at least one event of {}", names()));
    }
    let mut events = Vec::new();
    for name in raw {
        let event = Event::parse(name.trim())
            .ok_or_else(|| format!("{name:?} is not an event; known: {}", names()))?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    events.sort_by_key(|e| Event::ALL.iter().position(|x| x == e));
    Ok(events)
}

/// The JSON body of one event.
pub fn envelope(
    event_id: &str,
    event: Event,
    team_id: &str,
    created_at: i64,
    data: Value,
) -> Value {
    json!({
        "id": event_id,
        "type": event.name(),
        "createdAt": created_at,
        "teamId": team_id,
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.name()), Some(e));
        }
        assert_eq!(Event::parse("profile.deleted"), None);
    }

    #[test]
    fn lists_are_deduplicated_ordered_and_checked() {
        let list = parse_list(&[
            "member.joined".into(),
            "profile.launched".into(),
            "member.joined".into(),
        ])
        .expect("ok");
        assert_eq!(list, vec![Event::ProfileLaunched, Event::MemberJoined]);
        assert!(parse_list(&[]).is_err());
        assert!(
            parse_list(&["profile.exploded".into()])
                .expect_err("bad")
                .contains("profile.exploded")
        );
    }

    #[test]
    fn the_envelope_carries_id_type_time_team_and_data() {
        let v = envelope(
            "e1",
            Event::SyncConflict,
            "t1",
            5,
            json!({"profileId": "p"}),
        );
        assert_eq!(
            v,
            json!({"id":"e1","type":"sync.conflict","createdAt":5,"teamId":"t1","data":{"profileId":"p"}})
        );
    }
}
