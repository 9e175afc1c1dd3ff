//! Delivery rows on both backends: the cursor moves once per batch, a matched event is recorded
//! once per target, claims are exclusive until their lease runs out, and a dead delivery can be
//! replayed.
use crate::notify::DeliveryStatus;
use crate::store::deliveries::NewDelivery;
use crate::testing::{TestDatabase, BACKENDS};
use crate::Store;

fn new(event_id: i64, target: &str) -> NewDelivery {
    NewDelivery {
        event_id,
        rule_name: "failures".into(),
        target_id: target.into(),
        target_arn: "arn:aws:codepipeline:us-east-1:000000000000:next".into(),
        payload: format!("{{\"event\": {event_id}}}"),
    }
}

#[tokio::test]
async fn deliveries_are_recorded_once_claimed_once_and_replayed_when_dead() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        let start = store.delivery_cursor().await.unwrap();
        assert!(store.record_deliveries(start, start + 2, &[new(1, "a"), new(1, "b")], 1000).await.unwrap());
        // A second process that read the same cursor loses the race and writes nothing.
        assert!(!store.record_deliveries(start, start + 2, &[new(1, "a"), new(2, "c")], 1000).await.unwrap());
        assert_eq!(store.delivery_cursor().await.unwrap(), start + 2);
        assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 2, "{backend:?}");

        let claimed = store.claim_deliveries(1000, 61_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|d| d.attempts == 1 && d.status == DeliveryStatus::Pending));
        assert!(store.claim_deliveries(2000, 62_000, 10).await.unwrap().is_empty(), "leased");

        let (a, b) = (claimed[0].id, claimed[1].id);
        store.finish_delivery(a, DeliveryStatus::Delivered, 3000, "HTTP 200: ok", 3000).await.unwrap();
        store.finish_delivery(b, DeliveryStatus::Pending, 5000, "connection refused", 3000).await.unwrap();
        assert!(store.claim_deliveries(4000, 64_000, 10).await.unwrap().is_empty(), "not due yet");
        let retried = store.claim_deliveries(5000, 65_000, 10).await.unwrap();
        assert_eq!((retried.len(), retried[0].id, retried[0].attempts), (1, b, 2));
        assert_eq!(retried[0].last_response.as_deref(), Some("connection refused"));

        store.finish_delivery(b, DeliveryStatus::Dead, 6000, "HTTP 404: gone", 6000).await.unwrap();
        let dead = store.deliveries(Some(DeliveryStatus::Dead), 10).await.unwrap();
        assert_eq!(dead.iter().map(|d| d.id).collect::<Vec<_>>(), [b]);
        assert!(!store.replay_delivery(a, 7000).await.unwrap(), "a delivered one is not replayed");
        assert!(store.replay_delivery(b, 7000).await.unwrap());
        let again = store.claim_deliveries(7000, 67_000, 10).await.unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 1), "a replay starts the count again");
        db.cleanup().await;
    }
}
