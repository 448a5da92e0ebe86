//! Events stored before OrderCreated had line items still load: `fixtures/v1_events.json` is a log
//! written by Foldlab before schema version 2 (its engine, run through two customers, three orders
//! delivered to the end and a fourth left NEW, with the envelopes serialized as IndexedDB keeps them).
//! Reading it must fold every aggregate, turn each v1 total into one legacy line, and keep totals.

use foldlab_domain::order::LEGACY_PRODUCT;
use foldlab_domain::{
    project, CustomerId, CustomerViews, EventEnvelope, LowCreditLimitProjection, Money,
    NewCustomersProjection, OrderHistoryProjection, OrderId, OrderStatus, Projection, WriteModel,
};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/v1_events.json");

fn log() -> Vec<EventEnvelope> {
    serde_json::from_str(FIXTURE).expect("the fixture is a JSON array of envelopes")
}

/// The totals the v1 events stored, read from their raw JSON rather than through the codec.
fn stored_totals() -> Vec<(OrderId, Money)> {
    log()
        .iter()
        .filter(|e| e.event_type == "OrderCreated")
        .map(|e| {
            let data: Value = serde_json::from_str(&e.event_data).expect("json");
            let cents = data["order_total_cents"].as_i64().expect("a v1 total");
            (OrderId::new(&e.entity_id), Money::from_cents(cents))
        })
        .collect()
}

#[test]
fn the_fixture_is_what_version_1_wrote() {
    let log = log();
    assert_eq!(log.len(), 12);
    assert!(log.iter().all(|e| e.schema_version == 1));
    assert_eq!(stored_totals().len(), 4);
}

#[test]
fn every_aggregate_folds_from_v1_events() {
    let model = WriteModel::from_log(&log());
    assert!(model.unreadable.is_empty(), "{:?}", model.unreadable);
    assert_eq!(model.customers.len(), 2);
    assert_eq!(model.orders.len(), 4);
    let status = |id: &str| model.orders[&OrderId::new(id)].order().map(|o| o.status);
    assert_eq!(status("o-5d6e7f80"), Some(OrderStatus::Approved));
    assert_eq!(status("o-91a2b3c4"), Some(OrderStatus::Approved));
    assert_eq!(status("o-d5e6f7a8"), Some(OrderStatus::Cancelled));
    assert_eq!(status("o-b9c0d1e2"), Some(OrderStatus::New));
    let available = |id: &str| {
        model.customers[&CustomerId::new(id)]
            .customer()
            .map(|c| c.available_credit())
    };
    assert_eq!(available("c-3f9a1c27"), Some(Money::from_cents(75_000)));
    assert_eq!(available("c-8b0e44d1"), Some(Money::from_cents(4_000)));
}

#[test]
fn each_v1_order_has_one_legacy_line_and_the_total_it_had() {
    let model = WriteModel::from_log(&log());
    for (order_id, total) in stored_totals() {
        let order = model.orders[&order_id].order().expect("the order exists");
        assert_eq!(order.total, total, "{order_id}");
        assert_eq!(order.line_items.len(), 1, "{order_id}");
        let line = &order.line_items[0];
        assert_eq!(line.product_id.as_str(), LEGACY_PRODUCT);
        assert_eq!(line.quantity, 1);
        assert_eq!(line.unit_price, total);
    }
}

#[test]
fn the_customer_view_builds_from_v1_events() {
    let mut views = CustomerViews::default();
    for envelope in log() {
        views.apply(&envelope).expect("every v1 event reads");
    }
    let ada = &views.customers[&CustomerId::new("c-3f9a1c27")];
    assert_eq!(ada.available_credit, Money::from_cents(75_000));
    assert_eq!(ada.recent_orders.len(), 2);
    assert_eq!(ada.recent_orders[0].total, Money::from_cents(1_234));
    assert_eq!(ada.recent_orders[1].total, Money::from_cents(25_000));
}

#[test]
fn every_projection_builds_from_v1_events_with_the_totals_they_stored() {
    let log = log();
    let history = OrderHistoryProjection;
    let histories = project(&history, history.initial_state(), &log).expect("every v1 event reads");
    for (order_id, total) in stored_totals() {
        let order = histories
            .order(&order_id)
            .expect("the order is in the history");
        assert_eq!(order.total, total, "{order_id}");
        assert_eq!(order.line_items[0].product_id.as_str(), LEGACY_PRODUCT);
    }
    let low = LowCreditLimitProjection {
        threshold: Money::from_cents(1_000_000),
    };
    let lows = project(&low, low.initial_state(), &log).expect("every v1 event reads");
    assert_eq!(lows.customers().len(), 2);
    let new = NewCustomersProjection {
        window: 100,
        threshold: Money::ZERO,
    };
    let news = project(&new, new.initial_state(), &log).expect("every v1 event reads");
    let placed: Money = news.high_value_orders().iter().map(|row| row.total).sum();
    let cancelled = histories
        .order(&OrderId::new("o-d5e6f7a8"))
        .expect("cancelled order")
        .total;
    let stored: Money = stored_totals().into_iter().map(|(_, total)| total).sum();
    assert_eq!(placed, stored - cancelled);
}
